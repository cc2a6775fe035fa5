// Contact points (notifications/contact-points.yaml): where notifications go and how. The ONE
// schema, used by the API at start, `fleetbook rules validate`, `fleetbook notify test` and the
// outbox worker. Secrets are never inline: a field that holds one takes an `env:NAME` reference
// that the process resolves from its environment when it sends. No server-only imports here.
// `import * as z`: Docusaurus loads contracts through jiti (see runbook.ts).
import * as z from 'zod';
import { ownerSchema, WORK_ITEM_KINDS, WORK_ITEM_PRIORITIES } from './work-items.ts';

export const CONTACT_POINT_TYPES = ['webhook', 'slack', 'email', 'whatsapp', 'work_item'] as const;
export type ContactPointType = (typeof CONTACT_POINT_TYPES)[number];

/** `env:NAME`: a secret read from the process environment at send time. */
export const SECRET_REF_PATTERN = /^env:[A-Za-z_][A-Za-z0-9_]*$/;
export const CONTACT_POINT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Graph API host and version of the WhatsApp Business Cloud API (a provider may front it). */
export const WHATSAPP_DEFAULT_BASE_URL = 'https://graph.facebook.com/v23.0';
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;

export function isSecretRef(value: string): boolean {
  return SECRET_REF_PATTERN.test(value);
}

/** The error of a secret field given inline; never quotes the value (it may be the secret). */
export function inlineSecretMessage(field: string): string {
  return `${field} is a secret and must not be written inline: give a reference env:NAME to the variable that holds it`;
}

/** A field that holds a secret: only `env:NAME` is accepted, anything else names the field. */
export function secretRef(field: string) {
  return z.string().superRefine((value, ctx) => {
    if (isSecretRef(value)) return;
    const message = value.startsWith('env:')
      ? `${field}: expected env:NAME with NAME made of letters, digits and _ (not starting with a digit)`
      : inlineSecretMessage(field);
    ctx.addIssue({ code: 'custom', message });
  });
}

function isHttpUrl(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/**
 * A URL given inline or as `env:NAME` (a webhook URL often carries a token in its path). An
 * inline URL with a user:password part is an inline secret.
 */
function urlOrSecretRef(field: string) {
  return z.string().superRefine((value, ctx) => {
    if (value.startsWith('env:')) {
      if (!isSecretRef(value)) ctx.addIssue({ code: 'custom', message: `${field}: expected env:NAME` });
      return;
    }
    const url = isHttpUrl(value);
    if (!url) ctx.addIssue({ code: 'custom', message: `${field}: expected an http(s) URL or env:NAME` });
    else if (url.username || url.password)
      ctx.addIssue({ code: 'custom', message: inlineSecretMessage(`${field} (its user:password part)`) });
  });
}

const httpUrl = (field: string) =>
  z.string().refine((v) => isHttpUrl(v) !== null, { message: `${field}: expected an http(s) URL` });
const timeoutMs = z
  .number()
  .int()
  .min(100, 'at least 100 ms')
  .max(120_000, 'at most 120000 ms (2 min)')
  .optional()
  .describe(`how long one delivery attempt may take (default ${DEFAULT_SEND_TIMEOUT_MS} ms)`);
// An address, not an RFC 5322 parser: nodemailer takes care of display names and encoding.
const emailAddress = z
  .string()
  .regex(/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$/, 'expected an email address like ops@example.com');

export const webhookConfigSchema = z
  .strictObject({
    url: urlOrSecretRef('url').describe('where the Alertmanager-shaped JSON is POSTed: an http(s) URL or env:NAME'),
    hmac_secret: secretRef('hmac_secret')
      .optional()
      .describe(
        'env:NAME of the key signing each body: X-Fleetbook-Signature: sha256=<hex HMAC-SHA256 of timestamp.body>',
      ),
    bearer_token: secretRef('bearer_token').optional().describe('env:NAME of a token sent as Authorization: Bearer'),
    max_alerts: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('at most this many alerts per body, the rest counted in truncatedAlerts (0 or absent: all)'),
    timeout_ms: timeoutMs,
  })
  .meta({ id: 'WebhookContactPointConfig' });
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export const slackConfigSchema = z
  .strictObject({
    url: secretRef('url').describe('env:NAME of the Slack incoming-webhook URL (the URL is the credential)'),
    mention: z
      .string()
      .regex(
        /^<(!here|!channel|@[A-Z0-9]+|!subteam\^[A-Z0-9]+)>$/,
        'expected <!here>, <!channel>, <@U…> or <!subteam^S…>',
      )
      .optional()
      .describe('prepended to firing messages, e.g. <!here>'),
    timeout_ms: timeoutMs,
  })
  .meta({ id: 'SlackContactPointConfig' });
export type SlackConfig = z.infer<typeof slackConfigSchema>;

export const emailConfigSchema = z
  .strictObject({
    to: z.array(emailAddress).min(1, 'at least one recipient').max(50),
    from: emailAddress,
    host: z.string().min(1, 'the SMTP host'),
    port: z.number().int().min(1).max(65535).optional().describe('default 587 (465 when secure)'),
    secure: z.boolean().optional().describe('TLS from the first byte (port 465); otherwise STARTTLS when offered'),
    require_tls: z.boolean().optional().describe('refuse to send unless STARTTLS succeeds'),
    username: z.string().min(1).optional(),
    password: secretRef('password').optional().describe('env:NAME of the SMTP password'),
    subject_prefix: z.string().max(60).optional().describe('default [fleetbook]'),
    timeout_ms: timeoutMs,
  })
  .superRefine((c, ctx) => {
    if (c.password && !c.username)
      ctx.addIssue({ code: 'custom', path: ['username'], message: 'username is required with password' });
  })
  .meta({ id: 'EmailContactPointConfig' });
export type EmailConfig = z.infer<typeof emailConfigSchema>;

/** What a WhatsApp template's body parameters are filled with, in order. */
export const WHATSAPP_TEMPLATE_FIELDS = ['title', 'status', 'severity', 'summary', 'alert_count', 'link'] as const;

export const whatsappConfigSchema = z
  .strictObject({
    base_url: httpUrl('base_url')
      .optional()
      .describe(
        `the Graph API root, version included (default ${WHATSAPP_DEFAULT_BASE_URL}); a provider's URL otherwise`,
      ),
    phone_number_id: z.string().regex(/^[0-9]{5,20}$/, 'expected the numeric WhatsApp phone number id'),
    token: secretRef('token').describe('env:NAME of the bearer access token'),
    to: z
      .array(
        z.string().regex(/^\+?[1-9][0-9]{6,14}$/, 'expected a phone number in international format, e.g. +31612345678'),
      )
      .min(1, 'at least one recipient')
      .max(20),
    template: z.strictObject({
      name: z
        .string()
        .regex(/^[a-z0-9_]{1,512}$/, 'expected an approved template name: lowercase letters, digits and _'),
      language: z
        .string()
        .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'expected a language code like en or en_US')
        .default('en'),
      body_parameters: z
        .array(z.enum(WHATSAPP_TEMPLATE_FIELDS))
        .max(10)
        .optional()
        .describe('what fills {{1}}, {{2}}… of the template body (default: title, status, link)'),
    }),
    timeout_ms: timeoutMs,
  })
  .meta({ id: 'WhatsAppContactPointConfig' });
export type WhatsAppConfig = z.infer<typeof whatsappConfigSchema>;

/** What priority the ticket of an alert of each severity gets (unless the contact point says). */
export const WORK_ITEM_PRIORITY_BY_SEVERITY = { critical: 'urgent', warning: 'high', info: 'normal' } as const;

export const workItemConfigSchema = z
  .strictObject({
    kind: z.enum(WORK_ITEM_KINDS).default('ticket').describe('ticket (default) or task'),
    owner: ownerSchema.optional().describe('who the item is given to (default: nobody, it waits on the board)'),
    priority: z
      .strictObject({
        critical: z.enum(WORK_ITEM_PRIORITIES).optional(),
        warning: z.enum(WORK_ITEM_PRIORITIES).optional(),
        info: z.enum(WORK_ITEM_PRIORITIES).optional(),
      })
      .optional()
      .describe("priority by the alert's severity (default critical → urgent, warning → high, info → normal)"),
    on_resolve: z
      .enum(['comment', 'none'])
      .default('comment')
      .describe(
        'when the alert resolves: comment on its item (default; the item stays open for a person to close) or nothing',
      ),
    timeout_ms: timeoutMs,
  })
  .meta({ id: 'WorkItemContactPointConfig' });
export type WorkItemConfig = z.infer<typeof workItemConfigSchema>;

const name = z
  .string()
  .regex(CONTACT_POINT_NAME_PATTERN, 'expected a name: lowercase letters, digits, - and _ (at most 64)');

export const contactPointSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ name, type: z.literal('webhook'), config: webhookConfigSchema }),
    z.strictObject({ name, type: z.literal('slack'), config: slackConfigSchema }),
    z.strictObject({ name, type: z.literal('email'), config: emailConfigSchema }),
    z.strictObject({ name, type: z.literal('whatsapp'), config: whatsappConfigSchema }),
    z.strictObject({
      name,
      type: z.literal('work_item'),
      config: workItemConfigSchema.default({ kind: 'ticket', on_resolve: 'comment' }),
    }),
  ])
  .meta({ id: 'ContactPoint' });
export type ContactPoint = z.infer<typeof contactPointSchema>;
export type ContactPointConfig<T extends ContactPointType> = Extract<ContactPoint, { type: T }>['config'];

export const contactPointsFileSchema = z
  .strictObject({
    contact_points: z.array(contactPointSchema).superRefine((points, ctx) => {
      const seen = new Map<string, number>();
      points.forEach((p, i) => {
        const first = seen.get(p.name);
        if (first === undefined) seen.set(p.name, i);
        else
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            message: `contact point ${p.name} is declared twice (first at index ${first})`,
          });
      });
    }),
  })
  .meta({ id: 'ContactPointsFile' });
export type ContactPointsFile = z.infer<typeof contactPointsFileSchema>;

/** The timeout of one attempt at this contact point. */
export function contactPointTimeoutMs(point: ContactPoint): number {
  return point.config.timeout_ms ?? DEFAULT_SEND_TIMEOUT_MS;
}
