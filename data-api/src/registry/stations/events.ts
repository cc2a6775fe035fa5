import type { Insertable, Kysely } from 'kysely';
import type { z } from 'zod';
import { recordAudit } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import {
  MAX_FUTURE_SKEW_S,
  stationEventInputSchema,
  type EventResult,
  type StationEventInput,
  type eventBatchResponseSchema,
  type eventSingleResponseSchema,
  type stationEventsBodySchema,
} from '../../contracts/stations.ts';
import type { Database } from '../../kernel/db/index.ts';
import { conflict, forbidden, formatPath, validationError, type ValidationIssue } from '../../kernel/errors/index.ts';

type Body = z.output<typeof stationEventsBodySchema>;
type SingleAck = z.output<typeof eventSingleResponseSchema>;
type BatchAck = z.output<typeof eventBatchResponseSchema>;
type EventRow = Insertable<Database['station_events']>;

const BATCH_KEYS = new Set(['station_id', 'events']);
/** How many ids an audit entry or a change event lists before it only counts. */
const LIST_CAP = 100;

/** One event checked on its own: the parsed event, or the issues that reject it. */
function check(
  raw: unknown,
  at: PropertyKey[],
  now: number,
): { event: StationEventInput } | { issues: ValidationIssue[]; eventId: string | null } {
  const eventId =
    raw && typeof raw === 'object' && typeof (raw as { event_id?: unknown }).event_id === 'string'
      ? (raw as { event_id: string }).event_id
      : null;
  const parsed = stationEventInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i): ValidationIssue[] =>
      i.code === 'unrecognized_keys'
        ? i.keys.map((key) => ({ path: formatPath([...at, ...i.path, key]), message: `unknown field "${key}"` }))
        : [{ path: formatPath([...at, ...i.path]), message: i.message }],
    );
    return { issues, eventId };
  }
  const ahead = (Date.parse(parsed.data.ts) - now) / 1000;
  if (ahead > MAX_FUTURE_SKEW_S) {
    const message = `is ${Math.round(ahead)} s ahead of the server clock (at most ${MAX_FUTURE_SKEW_S} s): check the station's NTP`;
    return { issues: [{ path: formatPath([...at, 'ts']), message }], eventId: parsed.data.event_id };
  }
  return { event: parsed.data };
}

const named = (raw: unknown): unknown =>
  raw && typeof raw === 'object' ? (raw as { station_id?: unknown }).station_id : undefined;

/**
 * POST /events. Idempotent on event_id: an id already stored (by any request, even one
 * running at the same moment) is a duplicate and changes nothing. A batch is checked
 * event by event, so one bad event never loses the good ones; one transaction stores the
 * accepted events, moves their bundles forward, marks the station seen, and leaves one
 * audit entry and one change event.
 */
export async function ingestEvents(db: Kysely<Database>, who: Principal, body: Body): Promise<SingleAck | BatchAck> {
  const stationId = who.stationId;
  if (who.role !== 'station' || !stationId)
    throw forbidden(
      `${who.name} is not a station token: events are posted with the token from POST /api/v1/stations/claim`,
    );

  const batch = body.events !== undefined;
  const rawEvents: unknown[] = batch ? body.events! : [body];
  if (batch) {
    const unknown = Object.keys(body).filter((k) => !BATCH_KEYS.has(k));
    if (unknown.length > 0)
      throw validationError(unknown.map((key) => ({ path: `body.${key}`, message: `unknown field "${key}"` })));
  }
  // contracts.md: a station token posts only its own events. Checked before anything else,
  // on every event, valid or not: a body naming another station is refused whole.
  const claimed = [batch ? body.station_id : undefined, ...rawEvents.map(named)].find(
    (s) => s !== undefined && s !== stationId,
  );
  if (claimed !== undefined)
    throw forbidden(`this token belongs to station ${stationId}; it may not post events for ${String(claimed)}`);

  const device = await db
    .selectFrom('devices')
    .select(['id', 'role', 'site_id', 'customer_id'])
    .where('id', '=', stationId)
    .executeTakeFirst();
  if (!device || device.role !== 'station')
    throw forbidden(`station ${stationId} is no longer in the registry: claim it again (POST /api/v1/stations/claim)`);
  const line =
    (await db.selectFrom('stations').select('line').where('device_id', '=', stationId).executeTakeFirst())?.line ??
    null;
  const unmapped = device.site_id === null || line === null;

  const now = Date.now();
  const results: EventResult[] = [];
  const rows: EventRow[] = [];
  const firstIndex = new Map<string, number>();
  rawEvents.forEach((raw, index) => {
    const checked = check(raw, batch ? ['body', 'events', index] : ['body'], now);
    if ('issues' in checked) {
      results.push({
        index,
        event_id: checked.eventId,
        status: 'rejected',
        reason: checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        issues: checked.issues,
      });
      return;
    }
    const e = checked.event;
    if (firstIndex.has(e.event_id)) {
      // The same id twice in one batch: the first one counts.
      results.push({ index, event_id: e.event_id, status: 'duplicate' });
      return;
    }
    firstIndex.set(e.event_id, index);
    results.push({ index, event_id: e.event_id, status: 'accepted' });
    rows.push({
      event_id: e.event_id,
      station_id: stationId,
      customer_id: device.customer_id,
      site_id: device.site_id,
      line,
      type: e.type,
      tag_id: e.tag_id ?? null,
      bundle_id: e.bundle_id ?? null,
      ts: e.ts,
      antenna: e.antenna ?? null,
      rssi: e.rssi ?? null,
    });
  });
  if (!batch && results[0]!.status === 'rejected') throw validationError(results[0]!.issues!);

  const stored =
    rows.length === 0
      ? { accepted: [] as EventRow[], foreign: new Set<string>(), moved: [] as string[] }
      : await store(db, who, stationId, device, line, rows);
  const storedIds = new Set(stored.accepted.map((a) => a.event_id));
  for (const r of results) {
    if (r.status !== 'accepted' || r.event_id === null) continue;
    if (stored.foreign.has(r.event_id)) {
      r.status = 'rejected';
      r.reason = 'event_id was already used by another station: generate event ids as UUIDs or ULIDs';
      r.issues = [
        {
          path: formatPath(batch ? ['body', 'events', r.index, 'event_id'] : ['body', 'event_id']),
          message: 'already used by another station',
        },
      ];
    } else if (!storedIds.has(r.event_id)) {
      r.status = 'duplicate';
    }
  }

  if (!batch) {
    const r = results[0]!;
    if (r.status === 'rejected')
      throw conflict(`event ${r.event_id} was already posted by another station: generate event ids as UUIDs or ULIDs`);
    return {
      station_id: stationId,
      event_id: r.event_id!,
      status: r.status as 'accepted' | 'duplicate',
      duplicate: r.status === 'duplicate',
      unmapped,
    };
  }
  const count = (s: EventResult['status']) => results.filter((r) => r.status === s).length;
  const duplicates = count('duplicate');
  return {
    station_id: stationId,
    accepted: count('accepted'),
    duplicates,
    rejected: count('rejected'),
    duplicate: duplicates === results.length,
    unmapped,
    results,
  };
}

/** The write: events (ON CONFLICT DO NOTHING), bundles forward only, last_seen, audit, feed. */
async function store(
  db: Kysely<Database>,
  who: Principal,
  stationId: string,
  device: { site_id: string | null; customer_id: string | null },
  line: string | null,
  rows: EventRow[],
) {
  return db.transaction().execute(async (trx) => {
    const inserted = new Set(
      (
        await trx
          .insertInto('station_events')
          .values(rows)
          .onConflict((oc) => oc.column('event_id').doNothing())
          .returning('event_id')
          .execute()
      ).map((r) => r.event_id),
    );
    const accepted = rows.filter((r) => inserted.has(r.event_id));
    const lost = rows.filter((r) => !inserted.has(r.event_id)).map((r) => r.event_id);
    const foreign = new Set(
      lost.length === 0
        ? []
        : (
            await trx
              .selectFrom('station_events')
              .select('event_id')
              .where('event_id', 'in', lost)
              .where('station_id', '!=', stationId)
              .execute()
          ).map((r) => r.event_id),
    );
    if (accepted.length === 0) return { accepted, foreign, moved: [] as string[] };

    // Latest event per bundle in this batch, then one upsert that only moves forward:
    // a replayed (older) event never rewinds a bundle another station has seen since.
    // Sorted by id so concurrent batches lock bundle rows in the same order.
    const latest = new Map<string, EventRow>();
    for (const r of accepted) {
      if (!r.bundle_id) continue;
      const prev = latest.get(r.bundle_id);
      if (!prev || Date.parse(String(r.ts)) > Date.parse(String(prev.ts))) latest.set(r.bundle_id, r);
    }
    const now = new Date();
    const bundleRows = [...latest.values()]
      .sort((a, b) => (a.bundle_id! < b.bundle_id! ? -1 : 1))
      .map((r) => ({
        id: r.bundle_id!,
        last_station_id: stationId,
        last_seen: r.ts,
        last_event_id: r.event_id,
        last_event_type: r.type,
        customer_id: device.customer_id,
        site_id: device.site_id,
        line,
        updated_at: now,
      }));
    const moved =
      bundleRows.length === 0
        ? []
        : (
            await trx
              .insertInto('bundles')
              .values(bundleRows)
              .onConflict((oc) =>
                oc
                  .column('id')
                  .doUpdateSet((eb) => ({
                    last_station_id: eb.ref('excluded.last_station_id'),
                    last_seen: eb.ref('excluded.last_seen'),
                    last_event_id: eb.ref('excluded.last_event_id'),
                    last_event_type: eb.ref('excluded.last_event_type'),
                    customer_id: eb.ref('excluded.customer_id'),
                    site_id: eb.ref('excluded.site_id'),
                    line: eb.ref('excluded.line'),
                    updated_at: eb.ref('excluded.updated_at'),
                  }))
                  .where((eb) => eb('bundles.last_seen', '<', eb.ref('excluded.last_seen'))),
              )
              .returning('id')
              .execute()
          ).map((r) => r.id);

    // A liveness signal for health (the monitor reads last_seen); never moves backwards.
    await trx
      .updateTable('devices')
      .set((eb) => ({ last_seen: eb.fn('greatest', [eb.fn.coalesce('last_seen', eb.val(now)), eb.val(now)]) }))
      .where('id', '=', stationId)
      .execute();

    const types: Record<string, number> = {};
    for (const r of accepted) types[r.type] = (types[r.type] ?? 0) + 1;
    const tsList = accepted.map((r) => Date.parse(String(r.ts)));
    const summary = {
      accepted: accepted.length,
      types,
      first_ts: new Date(Math.min(...tsList)).toISOString(),
      last_ts: new Date(Math.max(...tsList)).toISOString(),
      unmapped: device.site_id === null || line === null,
      site_id: device.site_id,
      line,
    };
    await recordAudit(trx, who, {
      action: 'ingest',
      entity: 'station',
      entityId: stationId,
      customerId: device.customer_id,
      after: {
        ...summary,
        event_ids: accepted.slice(0, LIST_CAP).map((r) => r.event_id),
        event_ids_truncated: accepted.length > LIST_CAP,
      },
    });
    await emitChange(trx, {
      type: 'station.events',
      subject: { type: 'station', id: stationId },
      customerId: device.customer_id,
      siteId: device.site_id,
      payload: { station_id: stationId, ...summary, bundles: moved.slice(0, LIST_CAP) },
    });
    return { accepted, foreign, moved };
  });
}
