// Who a request is, as `GET /api/v1/whoami` says it: read by the site to show or hide what a role may do.
import * as z from 'zod';
import { idSchema } from './ids.ts';

export const ROLES = ['viewer', 'operator', 'automation', 'admin', 'station'] as const;

export const identitySchema = z
  .object({
    kind: z.string().describe('token, proxy (a trusted identity header) or anonymous (open localhost reads)'),
    name: z.string(),
    role: z.string(),
    customer_id: z.string().nullable().describe('set for a customer-scoped token: it sees that customer only'),
  })
  .meta({ id: 'Whoami' });
export type Identity = z.infer<typeof identitySchema>;

/** Roles that may act (acknowledge, queue, tick) rather than only read. */
export const canOperate = (role: string | undefined): boolean => role === 'operator' || role === 'admin';

/** Roles that may change the registry (customers, sites, deployments, devices): admin only (contracts.md). */
export const canEditRegistry = (role: string | undefined): boolean => role === 'admin';

/** The roles a token may be created with (station tokens come from the station's enrolment). */
export const TOKEN_ROLES = ['viewer', 'operator', 'automation', 'admin'] as const;
const tokenRoleSchema = z.enum(TOKEN_ROLES);

/** An API token as the list shows it: never its secret. */
export const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    customer_id: z.string().nullable(),
    station_id: z.string().nullable(),
    prefix: z.string().describe('the visible part of the token (fbk_<prefix>_…)'),
    created_at: z.iso.datetime(),
    revoked_at: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Token' });
export const tokenListSchema = z.object({ items: z.array(tokenSchema) });

/**
 * Who fleetbook itself is in the audit log and alert history: its background jobs
 * (`system:ingest`, `system:monitor`, `system:notifications`…) and RFID stations
 * (`station:<id>`). A person's token or SSO name may not take one of these forms.
 */
export const RESERVED_NAME = /^(system|station):/i;
export const reservedNameMessage = (name: string) =>
  `${name}: names beginning with system: or station: are fleetbook's own (its background jobs and RFID stations)`;

/** A token's name: who or what uses it, as the audit log records it. */
export const tokenNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((name) => !RESERVED_NAME.test(name), { error: (issue) => reservedNameMessage(String(issue.input)) });

export const tokenCreateBodySchema = z.strictObject({
  name: tokenNameSchema,
  role: tokenRoleSchema,
  customer_id: idSchema('customer').nullable().optional(),
});
/** The answer to a create: the secret, shown this once. */
export const tokenCreatedSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: tokenRoleSchema,
  customer_id: z.string().nullable(),
  prefix: z.string(),
  token: z.string().describe('shown once; store it'),
});
export const tokenParams = z.object({ id: z.string().max(100) });
