// Shared by the API and the browser (no server-only imports here): the payload of each change
// event the browser turns into data, and the one parse of a stream message the browser does.
// contracts.md / style.md: one schema per contract; the browser parses, never guesses.
import * as z from 'zod';
import { alertSchema } from './alerts.ts';
import { commandSchema } from './commands.ts';
import { executionChangePayloadSchema, type ExecutionChangePayload } from './executions.ts';
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

/**
 * An `execution.*` event's payload, typed, or null for any other event (the connection parsed it
 * already; this parse gives its type to a widget deciding whether to re-read).
 */
export const executionChangeOf = (e: ChangeEventMessage): ExecutionChangePayload | null =>
  e.type.startsWith('execution.') ? (executionChangePayloadSchema.safeParse(e.payload).data ?? null) : null;

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
export const changePayloadSchemas: Readonly<Record<string, z.ZodType<Record<string, unknown>>>> = {
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
};

/** The payload schema of an event type (exact, else its family's), or null: envelope only. */
export function changePayloadSchema(type: string): z.ZodType<Record<string, unknown>> | null {
  const exact = changePayloadSchemas[type];
  if (exact) return exact;
  const dot = type.indexOf('.');
  return dot > 0 ? (changePayloadSchemas[`${type.slice(0, dot)}.*`] ?? null) : null;
}

/** Why a stream message was refused: the field (a dotted path from the message) and the reason. */
export interface StreamRefusal {
  /** The event type, when the envelope had one. */
  type: string | null;
  field: string;
  reason: string;
}

export type ChangeEventParse = { success: true; data: ChangeEventMessage } | { success: false; refusal: StreamRefusal };

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
  if (!schema) return { success: true, data: event };
  const payload = schema.safeParse(event.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0]!;
    return {
      success: false,
      refusal: { type: event.type, field: where('payload', issue.path), reason: issue.message },
    };
  }
  return { success: true, data: { ...event, payload: payload.data } };
}
