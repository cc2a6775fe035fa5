// Shared by the API and the browser (no server-only imports here): the payload of each change
// event the browser turns into data, and the one parse of a stream message the browser does
// (`parseChangeEvent`, in the page's connection); widgets read its output (`changePayloadOf`).
// contracts.md / style.md: one schema per contract; the browser parses, never guesses.
import * as z from 'zod';
import { alertSchema } from './alerts.ts';
import { commandSchema } from './commands.ts';
import { executionChangePayloadSchema } from './executions.ts';
import { DEVICE_STATUSES, deploymentSchema, deviceSchema } from './registry.ts';
import { changeEventSchema, type ChangeEventMessage } from './stream.ts';
import { surfaceEventPayloadSchema } from './surfaces.ts';
import { WORK_ITEM_SUBJECT, workItemSchema } from './work-items.ts';

/** `device.health_changed`: the ingest (up) and the health monitor (down) say so; a partial the store merges. */
export const deviceHealthChangedPayloadSchema = z.looseObject({
  device_id: z.string(),
  status: z.enum(DEVICE_STATUSES),
  previous: z.string().nullable().optional(),
  last_seen: z.string().nullable(),
});
export type DeviceHealthChangedPayload = z.infer<typeof deviceHealthChangedPayloadSchema>;

/** `alert.*`: the alert as it is now. */
export const alertChangePayloadSchema = z.looseObject({ alert: alertSchema });
/** `command.*`: the command as it is now. */
export const commandChangePayloadSchema = z.looseObject({ command: commandSchema });

/** `handbook.built`: a new build of the site is served (the page offers a reload). */
export const handbookBuiltPayloadSchema = z.looseObject({
  build_id: z.string().nullable(),
  built_at: z.string().nullable().optional(),
});

/**
 * The payload schema of each event type the browser reads into data: an exact type, or a
 * family (`alert.*`). One lookup per event, then one small schema: not a union of them all,
 * which would try each member on every event of the hot path. A type not listed carries a
 * payload only its envelope vouches for (an object): widgets use it only to decide to re-read.
 */
export const changePayloadSchemas = {
  'device.created': deviceSchema,
  'device.updated': deviceSchema,
  'device.desired_state': z.looseObject({
    desired_state: z.record(z.string(), z.unknown()),
    desired_version: z.number().int(),
  }),
  'device.health_changed': deviceHealthChangedPayloadSchema,
  'deployment.created': deploymentSchema,
  'deployment.updated': deploymentSchema,
  'alert.*': alertChangePayloadSchema,
  'command.*': commandChangePayloadSchema,
  [`${WORK_ITEM_SUBJECT}.deleted`]: z.looseObject({ id: z.string() }),
  [`${WORK_ITEM_SUBJECT}.*`]: z.looseObject({ [WORK_ITEM_SUBJECT]: workItemSchema }),
  'execution.*': executionChangePayloadSchema,
  'surface.updated': surfaceEventPayloadSchema,
  'handbook.built': handbookBuiltPayloadSchema,
} as const satisfies Readonly<Record<string, z.ZodType<Record<string, unknown>>>>;

/** The same table, looked up by an event's type (any string). */
const schemaByType: Readonly<Record<string, z.ZodType<Record<string, unknown>> | undefined>> = changePayloadSchemas;

/** The payload schema of an event type (exact, else its family's), or null: envelope only. */
export function changePayloadSchema(type: string): z.ZodType<Record<string, unknown>> | null {
  const exact = schemaByType[type];
  if (exact) return exact;
  const dot = type.indexOf('.');
  return dot > 0 ? (schemaByType[`${type.slice(0, dot)}.*`] ?? null) : null;
}

/** Why a stream message was refused: the field (a dotted path from the message) and the reason. */
export interface StreamRefusal {
  /** The event type, when the envelope had one. */
  type: string | null;
  field: string;
  reason: string;
}

/** Only `parseChangeEvent` makes one (a type-level mark: nothing at run time). */
declare const parsedByContract: unique symbol;

/**
 * A change event `parseChangeEvent` accepted: its payload is the output of its type's schema.
 * What the page's connection hands to the store and to every widget; a widget reads the payload
 * it needs with `changePayloadOf`, never parses it again (one parse per event per page).
 */
export type ParsedChangeEvent = ChangeEventMessage & { readonly [parsedByContract]: true };

export type ChangeEventParse = { success: true; data: ParsedChangeEvent } | { success: false; refusal: StreamRefusal };

const where = (prefix: string, path: readonly PropertyKey[]) =>
  [prefix, ...path.map(String)].filter(Boolean).join('.') || '(the message)';

/**
 * One `event: change` / `event: surface` message (its JSON already parsed) as the contract
 * says: the envelope (`changeEventSchema`), then the payload with its type's schema
 * (`changePayloadSchema`). The parsed payload replaces the raw one.
 */
export function parseChangeEvent(data: unknown): ChangeEventParse {
  const envelope = changeEventSchema.safeParse(data);
  if (!envelope.success) {
    const issue = envelope.error.issues[0]!;
    const type = data && typeof data === 'object' && typeof (data as { type?: unknown }).type === 'string';
    return {
      success: false,
      refusal: {
        type: type ? (data as { type: string }).type : null,
        field: where('', issue.path),
        reason: issue.message,
      },
    };
  }
  const event = envelope.data;
  const schema = changePayloadSchema(event.type);
  if (!schema) return { success: true, data: event as ParsedChangeEvent };
  const payload = schema.safeParse(event.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0]!;
    return {
      success: false,
      refusal: { type: event.type, field: where('payload', issue.path), reason: issue.message },
    };
  }
  return { success: true, data: { ...event, payload: payload.data } as ParsedChangeEvent };
}

/**
 * The payload of an event the connection parsed, typed by the schema listed under `key` in
 * `changePayloadSchemas`, or null when its type is parsed by another schema (or none): e.g.
 * `changePayloadOf(e, 'alert.*')?.alert`. No parse: `parseChangeEvent` looked the schema up
 * by the event's type and parsed the payload with it; this asks that same lookup.
 */
export function changePayloadOf<K extends keyof typeof changePayloadSchemas>(
  event: ParsedChangeEvent,
  key: K,
): z.output<(typeof changePayloadSchemas)[K]> | null {
  return changePayloadSchema(event.type) === changePayloadSchemas[key]
    ? (event.payload as z.output<(typeof changePayloadSchemas)[K]>)
    : null;
}
