import type { DeviceHealthChangedPayload } from '../../contracts/change-events.ts';
import { sql, type Kysely, type Transaction } from 'kysely';
import { deviceDownKey, resolveAlertsByKey } from '../../health/alerts/service.ts';
import { emitChanges } from '../../kernel/changes/service.ts';
import { applyChirpstackAck, applyCommandResult } from '../commands/service.ts';
import type { DeadLetterReason } from '../../contracts/mqtt.ts';
import type { Database } from '../../kernel/db/index.ts';
import { iso, isoString } from '../../kernel/db/values.ts';
import { capturePayload, type DeadLetter, type Decoded, type Radio } from './decode.ts';
import type { DeviceInfo, RegistryCache } from './registry-cache.ts';
import { insertTelemetryRows, type TelemetryRow } from './telemetry-insert.ts';
import type { ReadingsHook, StoredReading } from './readings.ts';

/** One MQTT message after decoding, with when it arrived (epoch ms). */
export interface IncomingMessage {
  decoded: Decoded;
  receivedAt: number;
}

export interface WriteResult {
  rows: number;
  inserted: number;
  duplicates: number;
  deadLetters: Partial<Record<DeadLetterReason, number>>;
  /** Devices that came up (from down or unknown) in this batch. */
  cameUp: string[];
  samples: StoredReading[];
}

/** Per device, what this batch says, newest facts only. */
export interface DeviceAgg {
  id: string;
  seen: number | null; // liveness: epoch ms, the reading time capped at its arrival
  metrics_ts: number | null;
  metrics: Record<string, number> | null;
  run_status: string | null;
  fw_ts: number | null;
  fw: string | null;
  uptime_s: number | null;
  radio_ts: number | null;
  radio: Radio | null;
  reported_ts: number | null;
  reported: Record<string, unknown> | null;
}

const ACTOR = 'system:ingest';

/**
 * Device states a batch with readings writes at most; the rest wait for the next batch (or
 * the state-only write, telemetry/ingest/writer-pool.ts). When a whole fleet comes up at once
 * (a start, a reconnect) every device's first message changes its health: an UPDATE, a health
 * event and a change event each, and one batch carrying hundreds of them held its readings,
 * and their live samples, for hundreds of milliseconds. Steady state needs far fewer (each
 * device at most once per window).
 */
const STATES_PER_READINGS_BATCH = 100;

/** Device state windows end on boundaries this far apart (DeviceStateThrottle). */
const STATE_SLOT_MS = 250;

type Item = Decoded['items'][number];
type Letter = DeadLetter & { customer_id: string | null };

/** A batch sorted by where each fact goes: built before the transaction, against the registry cache. */
interface BatchPlan {
  /** The registry facts of the devices the batch names by id. */
  devices: Map<string, DeviceInfo | null>;
  rows: TelemetryRow[];
  /** The device of each row (its site and customer). */
  rowSite: Map<string, DeviceInfo>;
  deadLetters: Letter[];
  /** Per device, the newest facts of the batch (observed state, liveness). */
  aggs: Map<string, DeviceAgg>;
  commandResults: Array<{ item: Extract<Item, { kind: 'cmd_result' }>; info: DeviceInfo }>;
  downlinkAcks: Array<{ item: Extract<Item, { kind: 'chirpstack_ack' }>; info: DeviceInfo; topic: string }>;
}

/**
 * Writes one batch of decoded messages in ONE transaction: telemetry rows (idempotent on
 * device + msg_id), dead letters, device observed state, health transitions to up (with
 * the alert resolved), command results. Registry checks happen here, against the cache.
 */
export async function writeBatch(
  db: Kysely<Database>,
  cache: RegistryCache,
  messages: IncomingMessage[],
  throttle?: DeviceStateThrottle,
  onReadings?: ReadingsHook,
): Promise<WriteResult> {
  const plan = await planBatch(cache, messages);
  const result: WriteResult = {
    rows: plan.rows.length,
    inserted: 0,
    duplicates: 0,
    deadLetters: {},
    cameUp: [],
    samples: [],
  };

  // One global row order: two writers (or two replicas) inserting the same readings can
  // then only wait for each other, never deadlock.
  plan.rows.sort(byKey);

  const taken = { states: [] as DeviceAgg[] };
  try {
    await db.transaction().execute((trx) => writePlan(trx, plan, result, taken, throttle, onReadings));
  } catch (err) {
    // Nothing was written: facts taken from the throttle go back to it, due at once.
    throttle?.restore(taken.states);
    throw err;
  } finally {
    throttle?.settle(taken.states);
  }
  return result;
}

/** (device_id, msg_id) order; one string comparison for rows of different devices (most of them). */
function byKey(a: TelemetryRow, b: TelemetryRow): number {
  if (a.device_id !== b.device_id) return a.device_id < b.device_id ? -1 : 1;
  return a.msg_id < b.msg_id ? -1 : a.msg_id > b.msg_id ? 1 : 0;
}

async function planBatch(cache: RegistryCache, messages: IncomingMessage[]): Promise<BatchPlan> {
  const ids = new Set<string>();
  const euis = new Set<string>();
  for (const m of messages)
    for (const item of m.decoded.items) {
      if (item.kind === 'chirpstack' || item.kind === 'chirpstack_ack') euis.add(item.dev_eui);
      else ids.add(item.device_id);
    }
  const devices = ids.size ? await cache.devices(ids) : new Map<string, DeviceInfo | null>();
  const byEui = euis.size ? await cache.devEuis(euis) : new Map<string, DeviceInfo | null>();
  const plan: BatchPlan = {
    devices,
    rows: [],
    rowSite: new Map(),
    deadLetters: [],
    aggs: new Map(),
    commandResults: [],
    downlinkAcks: [],
  };

  for (const { decoded, receivedAt } of messages) {
    for (const dl of decoded.deadLetters)
      plan.deadLetters.push({ ...dl, customer_id: customerOf(devices, dl.device_id) });
    let gatewayProblem = false;
    for (const item of decoded.items) {
      if (item.kind === 'chirpstack_ack' || item.kind === 'chirpstack') {
        planChirpstack(plan, byEui.get(item.dev_eui) ?? null, item, decoded.topic, receivedAt);
        continue;
      }
      if (item.kind === 'telemetry' && item.via === 'batch' && gatewayProblem) continue;
      const info = devices.get(item.device_id) ?? null;
      const problem = registryProblem(info, item.device_id, item.site_id);
      if (problem) {
        if (item.kind === 'seen') {
          // The gateway itself is unknown or misplaced: the whole batch is one dead letter.
          gatewayProblem = true;
          plan.deadLetters.push({
            ...problem,
            detail: `gateway: ${problem.detail}`,
            topic: decoded.topic,
            site_id: item.site_id,
            device_id: item.device_id,
            customer_id: info?.customer_id ?? null,
            payload: item.raw(),
          });
        } else {
          plan.deadLetters.push({
            ...problem,
            topic: decoded.topic,
            site_id: item.site_id,
            device_id: item.device_id,
            customer_id: info?.customer_id ?? null,
            payload: item.raw(),
          });
        }
        continue;
      }
      planDeviceItem(plan, item, info!, receivedAt);
    }
  }
  return plan;
}

/** A ChirpStack uplink (a reading of the device with that DevEUI) or downlink ack. */
function planChirpstack(
  plan: BatchPlan,
  info: DeviceInfo | null,
  item: Extract<Item, { kind: 'chirpstack' | 'chirpstack_ack' }>,
  topic: string,
  receivedAt: number,
): void {
  if (!info) {
    plan.deadLetters.push({
      reason: 'unknown_device',
      detail: `no device has external_refs.chirpstack.dev_eui = ${item.dev_eui}`,
      topic,
      site_id: null,
      device_id: null,
      customer_id: null,
      payload: item.raw(),
    });
    return;
  }
  if (item.kind === 'chirpstack_ack') {
    plan.downlinkAcks.push({ item, info, topic });
    return;
  }
  if (item.unmapped.length) {
    // Stored, but not all of it: say which codec fields were left out, and why.
    const fields = item.unmapped.map((u) => `${u.field} (${u.why})`).join('; ');
    plan.deadLetters.push({
      reason: 'partial',
      detail: `stored ${Object.keys(item.metrics).length} metric(s); not mapped: ${fields}`,
      topic,
      site_id: info.site_id,
      device_id: info.id,
      customer_id: info.customer_id,
      payload: item.raw(),
    });
  }
  plan.rows.push({ device_id: info.id, msg_id: item.msg_id, ts: item.ts / 1000, status: 'ok', metrics: item.metrics });
  plan.rowSite.set(info.id, info);
  const a = aggOf(plan, info.id);
  live(a, item.ts, receivedAt);
  if (newer(a, 'metrics', item.ts)) ((a.metrics = item.metrics), (a.run_status = 'ok'));
  if (item.radio && newer(a, 'radio', item.ts)) a.radio = item.radio;
}

/** A fact of a registered device, on its own topic or in a gateway's batch. */
function planDeviceItem(
  plan: BatchPlan,
  item: Exclude<Item, { kind: 'chirpstack' | 'chirpstack_ack' }>,
  info: DeviceInfo,
  receivedAt: number,
): void {
  const a = aggOf(plan, item.device_id);
  switch (item.kind) {
    case 'telemetry': {
      plan.rows.push({
        device_id: item.device_id,
        msg_id: item.msg_id,
        ts: item.ts / 1000,
        status: item.status,
        metrics: item.metrics,
      });
      plan.rowSite.set(item.device_id, info);
      live(a, item.ts, receivedAt);
      if (newer(a, 'metrics', item.ts)) ((a.metrics = item.metrics), (a.run_status = item.status));
      const m = item.metrics;
      if ((m.rssi_dbm !== undefined || m.snr_db !== undefined) && newer(a, 'radio', item.ts)) {
        const radio: Radio = (a.radio = {});
        if (m.rssi_dbm !== undefined) radio.rssi_dbm = m.rssi_dbm;
        if (m.snr_db !== undefined) radio.snr_db = m.snr_db;
      }
      break;
    }
    case 'heartbeat':
      live(a, item.ts, receivedAt);
      if (newer(a, 'fw', item.ts)) ((a.fw = item.fw ?? a.fw), (a.uptime_s = item.uptime_s ?? a.uptime_s));
      break;
    case 'state':
      live(a, item.ts, receivedAt);
      if (newer(a, 'reported', item.ts)) a.reported = item.reported;
      if (item.fw && newer(a, 'fw', item.ts)) a.fw = item.fw;
      break;
    case 'seen':
      live(a, item.ts, receivedAt);
      break;
    case 'cmd_result':
      live(a, item.ts, receivedAt);
      plan.commandResults.push({ item, info });
      break;
  }
}

function aggOf(plan: BatchPlan, id: string): DeviceAgg {
  let a = plan.aggs.get(id);
  if (!a) plan.aggs.set(id, (a = emptyAgg(id)));
  return a;
}

/** A device's aggregate before any fact: every fact null. */
export function emptyAgg(id: string): DeviceAgg {
  return {
    id,
    seen: null,
    metrics_ts: null,
    metrics: null,
    run_status: null,
    fw_ts: null,
    fw: null,
    uptime_s: null,
    radio_ts: null,
    radio: null,
    reported_ts: null,
    reported: null,
  };
}

/** Liveness: the reading time, capped at its arrival (a device clock ahead of ours does not count). */
function live(a: DeviceAgg, ts: number, receivedAt: number): void {
  const seen = Math.min(ts, receivedAt);
  if (a.seen === null || seen > a.seen) a.seen = seen;
}

/** The transaction of a batch: readings (and the alert rules on them), device states, command results, dead letters. */
async function writePlan(
  trx: Transaction<Database>,
  plan: BatchPlan,
  result: WriteResult,
  taken: { states: DeviceAgg[] },
  throttle: DeviceStateThrottle | undefined,
  onReadings: ReadingsHook | undefined,
): Promise<void> {
  const { rows, rowSite, devices, aggs } = plan;
  if (rows.length) {
    const { inserted, repeats } = await insertTelemetryRows(trx, rows);
    result.inserted = inserted;
    result.duplicates = rows.length - inserted;
    // Repeats absorbed by the insert are not news for the live feed; usually there are none.
    const old = repeats.length ? new Set(repeats.map((r) => `${r.device_id}\u0000${r.msg_id}`)) : null;
    for (const r of rows) {
      if (old?.has(`${r.device_id}\u0000${r.msg_id}`)) continue;
      const info = rowSite.get(r.device_id)!;
      result.samples.push({
        device_id: r.device_id,
        site_id: info.site_id,
        customer_id: info.customer_id,
        ts: r.ts,
        status: r.status,
        metrics: r.metrics,
      });
    }
    if (onReadings && result.samples.length) await onReadings(trx, result.samples, (id) => rowSite.get(id) ?? null);
  }

  const now = Date.now();
  const states = throttle
    ? throttle.take(
        [...aggs.values()],
        (id) => (devices.get(id) ?? rowSite.get(id))?.heartbeat_interval_s ?? 60,
        now,
        rows.length ? STATES_PER_READINGS_BATCH : Infinity,
      )
    : [...aggs.values()];
  taken.states = throttle ? states : [];
  if (states.length) {
    const written = await updateDevices(trx, states);
    result.cameUp = written.cameUp;
    throttle?.markWritten(written.rows, now);
  }
  await applyCommands(trx, plan);
  if (plan.deadLetters.length) await insertDeadLetters(trx, plan.deadLetters, result);
}

/** Command results and ChirpStack downlink acks; one naming a command never sent is a dead letter. */
async function applyCommands(trx: Transaction<Database>, plan: BatchPlan): Promise<void> {
  for (const { item, info } of plan.commandResults) {
    const applied = await applyCommandResult(trx, {
      cmdId: item.cmd_id,
      deviceId: item.device_id,
      status: item.status,
      detail: item.detail,
    });
    if (applied === 'unknown') {
      plan.deadLetters.push({
        reason: 'unknown_command',
        detail: `device ${item.device_id} was never sent ${item.cmd_id}`,
        topic: `fleetbook/v1/${item.site_id}/${item.device_id}/cmd/result`,
        site_id: item.site_id,
        device_id: item.device_id,
        customer_id: info.customer_id,
        payload: item.raw(),
      });
    }
  }
  for (const { item, info, topic } of plan.downlinkAcks) {
    const applied = await applyChirpstackAck(trx, {
      deviceId: info.id,
      queueItemId: item.queue_item_id,
      event: item.event,
      acknowledged: item.acknowledged,
    });
    if (applied === 'unknown') {
      plan.deadLetters.push({
        reason: 'unknown_command',
        detail: `device ${info.id} was sent no downlink with queue item ${item.queue_item_id}`,
        topic,
        site_id: info.site_id,
        device_id: info.id,
        customer_id: info.customer_id,
        payload: item.raw(),
      });
    }
  }
}

async function insertDeadLetters(
  trx: Transaction<Database>,
  deadLetters: Letter[],
  result: WriteResult,
): Promise<void> {
  const dlRows = deadLetters.map((dl) => {
    const captured = capturePayload(dl.payload);
    result.deadLetters[dl.reason] = (result.deadLetters[dl.reason] ?? 0) + 1;
    return {
      reason: dl.reason,
      topic: noNul(dl.topic),
      site_id: dl.site_id && noNul(dl.site_id),
      device_id: dl.device_id && noNul(dl.device_id),
      customer_id: dl.customer_id,
      // Parser messages quote the offending character, which may be a NUL.
      detail: noNul(dl.detail).slice(0, 2000),
      payload: captured.payload,
      payload_encoding: captured.encoding,
      payload_bytes: captured.bytes,
      truncated: captured.truncated,
    };
  });
  // Resolve the tenant of dead letters whose device is unknown but whose site is known.
  await sql`
    insert into dead_letters (reason, topic, site_id, device_id, customer_id, detail, payload, payload_encoding, payload_bytes, truncated)
    select x.reason, x.topic, x.site_id, x.device_id, coalesce(x.customer_id, s.customer_id), x.detail, x.payload, x.payload_encoding, x.payload_bytes, x.truncated
    from jsonb_to_recordset(${JSON.stringify(dlRows)}::jsonb) as x(reason text, topic text, site_id text, device_id text, customer_id text, detail text,
         payload text, payload_encoding text, payload_bytes integer, truncated boolean)
    left join sites s on s.id = x.site_id`.execute(trx);
}

/** True (and the field's time moved to `ts`) when a fact at `ts` is at least as new as what the aggregate holds. */
function newer(a: DeviceAgg, field: 'metrics' | 'fw' | 'radio' | 'reported', ts: number): boolean {
  const key = NEWER_KEYS[field];
  if (a[key] !== null && ts < a[key]!) return false;
  a[key] = ts;
  return true;
}
const NEWER_KEYS = { metrics: 'metrics_ts', fw: 'fw_ts', radio: 'radio_ts', reported: 'reported_ts' } as const;

function registryProblem(
  info: DeviceInfo | null,
  deviceId: string,
  topicSite: string | null,
): { reason: DeadLetterReason; detail: string } | null {
  if (!info) return { reason: 'unknown_device', detail: `device ${deviceId} is not in the registry` };
  if (topicSite !== null && info.site_id !== topicSite) {
    return {
      reason: 'site_mismatch',
      detail: `topic names site ${topicSite}, the registry has ${deviceId} at ${info.site_id ?? 'no site (in stock)'}`,
    };
  }
  return null;
}

function customerOf(devices: Map<string, DeviceInfo | null>, id: string | null): string | null {
  return id ? (devices.get(id)?.customer_id ?? null) : null;
}

/** PostgreSQL text and jsonb refuse U+0000. */
const noNul = (s: string): string => s.replace(/\u0000/g, '\\u0000');

const isoSql = (expr: ReturnType<typeof sql>) =>
  sql`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One UPDATE for every device of the batch. Liveness only moves forward (greatest), and a
 * device comes up only when the message is recent (within 3 × its heartbeat interval):
 * late data from an offline buffer never flips health. Rows are locked in id order so two
 * replicas writing the same devices cannot deadlock. Each CTE is joined once, by hash on the
 * id: a plan that rescans a CTE per row grows with the square of the batch (a whole fleet
 * coming up is thousands of rows), and tests/integration/ingest-state-update.test.ts checks it.
 */
export function deviceStateUpdate(aggs: DeviceAgg[]) {
  const at = (ms: number | null) => (ms === null ? null : isoString(new Date(ms)));
  const payload = aggs.map((a) => ({
    id: a.id,
    seen: at(a.seen),
    metrics_at: a.metrics ? at(a.metrics_ts) : null,
    metrics: a.metrics,
    run_status: a.run_status,
    fw_at: a.fw || a.uptime_s !== null ? at(a.fw_ts) : null,
    fw: a.fw,
    uptime_s: a.uptime_s,
    radio_at: a.radio ? at(a.radio_ts) : null,
    radio: a.radio,
    reported_at: a.reported ? at(a.reported_ts) : null,
    reported: a.reported,
  }));
  return sql<{
    id: string;
    site_id: string | null;
    customer_id: string | null;
    product_code: string;
    old_status: string;
    status: string;
    last_seen: Date | null;
  }>`
    with v as (
      select * from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(
        id text, seen timestamptz, metrics_at text, metrics jsonb, run_status text, fw_at text, fw text, uptime_s double precision,
        radio_at text, radio jsonb, reported_at text, reported jsonb)
    ),
    old as (
      select d.id, d.status, d.last_seen, d.heartbeat_interval_s from devices d where d.id in (select id from v) order by d.id for update
    ),
    n as (
      select v.*, old.status as old_status,
        case when v.seen is not null and v.seen > now() - make_interval(secs => 3 * old.heartbeat_interval_s) then 'up' else old.status end as status,
        case when v.seen is null then old.last_seen else greatest(old.last_seen, v.seen) end as last_seen
      from v join old on old.id = v.id
    )
    update devices d set
      status = n.status,
      last_seen = n.last_seen,
      observed_state = d.observed_state
        || jsonb_build_object('status', n.status)
        || case when n.last_seen is null then '{}'::jsonb else jsonb_build_object('last_seen', ${isoSql(sql`n.last_seen`)}) end
        || case when n.metrics_at is not null and n.metrics_at >= coalesce(d.observed_state->>'metrics_at', '')
             then jsonb_build_object('metrics', n.metrics, 'metrics_at', n.metrics_at, 'run_status', n.run_status) else '{}'::jsonb end
        || case when n.fw_at is not null and n.fw_at >= coalesce(d.observed_state->>'fw_at', '')
             then jsonb_strip_nulls(jsonb_build_object('fw', n.fw, 'uptime_s', n.uptime_s, 'fw_at', n.fw_at)) else '{}'::jsonb end
        || case when n.radio_at is not null and n.radio_at >= coalesce(d.observed_state->>'radio_at', '')
             then n.radio || jsonb_build_object('radio_at', n.radio_at) else '{}'::jsonb end
        || case when n.reported_at is not null and n.reported_at >= coalesce(d.observed_state->>'reported_at', '')
             then jsonb_build_object('reported', n.reported, 'reported_at', n.reported_at) else '{}'::jsonb end
    from n
    where d.id = n.id
    returning d.id, d.site_id, d.customer_id, d.product_code, n.old_status, d.status, d.last_seen`;
}

async function updateDevices(
  trx: Transaction<Database>,
  aggs: DeviceAgg[],
): Promise<{ cameUp: string[]; rows: Array<{ id: string; status: string }> }> {
  const updated = await deviceStateUpdate(aggs).execute(trx);
  const up = updated.rows.filter((r) => r.status === 'up' && r.old_status !== 'up');
  if (!up.length) return { cameUp: [], rows: updated.rows };
  await sql`
    insert into device_health_events (device_id, site_id, customer_id, product_code, status, at)
    select id, site_id, customer_id, product_code, 'up', now()
    from jsonb_to_recordset(${JSON.stringify(up)}::jsonb) as x(id text, site_id text, customer_id text, product_code text)`.execute(
    trx,
  );
  await resolveAlertsByKey(
    trx,
    ACTOR,
    up.filter((r) => r.old_status === 'down').map((r) => deviceDownKey(r.id)),
  );
  await emitChanges(
    trx,
    up.map((r) => ({
      type: 'device.health_changed',
      subject: { type: 'device', id: r.id },
      customerId: r.customer_id,
      siteId: r.site_id,
      payload: {
        device_id: r.id,
        status: 'up',
        previous: r.old_status,
        last_seen: iso(r.last_seen),
      } satisfies DeviceHealthChangedPayload,
    })),
  );
  return { cameUp: up.map((r) => r.id), rows: updated.rows };
}

/** Keeps the newest of each fact of two aggregates of one device, in `into` (returned). */
function mergeAgg(into: DeviceAgg, from: DeviceAgg): DeviceAgg {
  if (from.seen !== null && (into.seen === null || from.seen > into.seen)) into.seen = from.seen;
  if (from.metrics && (into.metrics_ts === null || from.metrics_ts! >= into.metrics_ts)) {
    into.metrics = from.metrics;
    into.metrics_ts = from.metrics_ts;
    into.run_status = from.run_status;
  }
  if (from.fw_ts !== null && (into.fw_ts === null || from.fw_ts >= into.fw_ts)) {
    into.fw = from.fw ?? into.fw;
    into.uptime_s = from.uptime_s ?? into.uptime_s;
    into.fw_ts = from.fw_ts;
  }
  if (from.radio && (into.radio_ts === null || from.radio_ts! >= into.radio_ts)) {
    into.radio = from.radio;
    into.radio_ts = from.radio_ts;
  }
  if (from.reported && (into.reported_ts === null || from.reported_ts! >= into.reported_ts)) {
    into.reported = from.reported;
    into.reported_ts = from.reported_ts;
  }
  return into;
}

/**
 * Writes a device's observed state at most once per window while it stays up: at 2,000
 * devices reporting every few hundred milliseconds, rewriting every device row for every
 * reading would cost the database more than the readings themselves. Facts that arrive
 * within the window are merged in memory (newest wins) and written when it ends. The
 * window is at most half the device's heartbeat interval, so the monitor never sees a
 * last_seen older than it should; a device not known to be up is written at once (it may be
 * coming back), by this batch or, over its STATES_PER_READINGS_BATCH, the next. stop() writes
 * everything still held.
 *
 * A device is written by one batch at a time: while a batch writes it, another batch's facts
 * for it are held (the second UPDATE would only wait for the first one's row lock, and with
 * several writers that wait chains up), and go out once that write is settled.
 *
 * Each device's window is spread over 0.5–1 × the window (a fixed share per device): devices
 * that came up together (a fleet reconnecting, an API restart) would otherwise all fall due
 * in the same instant every window, and that one large UPDATE delays the commit, and so the
 * live samples, of every reading in its batch.
 *
 * A window ends on the next STATE_SLOT_MS boundary, so the devices falling due within one slot
 * go out in one UPDATE (at most STATES_PER_READINGS_BATCH of them) rather than a few in every
 * batch: the statement's own cost (planning, locking) is most of a small one's. Measured on
 * 2,000 devices: 110 µs of PostgreSQL CPU per device at 14 rows a statement, 30 at 100.
 */
export class DeviceStateThrottle {
  /** Everything the throttle knows of a device, in one record: one lookup per device per batch. */
  private readonly slots = new Map<string, Slot>();
  /**
   * When held facts fall due, soonest first, so a batch looks only at those due and not at every
   * held device (thousands, on every batch). Lazy: an entry whose device is no longer held at
   * that time is skipped; one that is being written is dropped and pushed again when it settles.
   */
  private readonly due = new DueQueue();

  constructor(
    private readonly everyMs = 5000,
    /** The share (0.5–1) of the window a device waits; tests pass `() => 1` for exact windows. */
    private readonly spread: (id: string) => number = windowShare,
    private readonly slotMs = STATE_SLOT_MS,
  ) {}

  private slot(id: string): Slot {
    let s = this.slots.get(id);
    if (!s) {
      s = { share: this.spread(id), writtenAt: 0, writtenStatus: null, held: null, dueAt: 0, writing: false };
      this.slots.set(id, s);
    }
    return s;
  }

  /** When a device written at `from` falls due: its window later, on the next slot boundary. */
  private dueAfter(s: Slot, from: number, intervalS: number): number {
    const window = Math.min(this.everyMs, (intervalS * 1000) / 2) * s.share;
    return Math.ceil((from + window) / this.slotMs) * this.slotMs;
  }

  private hold(s: Slot, agg: DeviceAgg, dueAt: number): void {
    s.held = agg;
    s.dueAt = dueAt;
    this.due.push(dueAt, s);
  }

  /**
   * The device states a batch writes: its own that are due, then those held and due, at most
   * `limit` (a batch with readings: see STATES_PER_READINGS_BATCH); what is over it stays held,
   * due at once, for the next batch.
   */
  take(aggs: DeviceAgg[], intervalOf: (id: string) => number, now: number, limit = Infinity): DeviceAgg[] {
    const out: DeviceAgg[] = [];
    const taken: Slot[] = [];
    for (const agg of aggs) {
      const s = this.slot(agg.id);
      const held = s.held;
      // With facts held, mergeAgg merges into that record itself: a device that stays held below
      // (not re-held) still carries this batch's facts.
      const merged = held ? mergeAgg(held, agg) : agg;
      if (s.writing) {
        // The write in flight counts as written now: an up device waits for its next window.
        if (!held) this.hold(s, merged, s.writtenStatus === 'up' ? this.dueAfter(s, now, intervalOf(agg.id)) : 0);
      } else if (s.writtenStatus !== 'up' || now >= this.dueAfter(s, s.writtenAt, intervalOf(agg.id))) {
        if (out.length >= limit) {
          if (!held || s.dueAt > now) this.hold(s, merged, now);
          continue;
        }
        s.held = null;
        out.push(merged);
        taken.push(s);
      } else if (!held) {
        this.hold(s, merged, this.dueAfter(s, s.writtenAt, intervalOf(agg.id)));
      }
    }
    // Whatever is held and due goes now too, even for devices that fell silent.
    while (out.length < limit) {
      const s = this.nextDue(now);
      if (s === null) break;
      out.push(s.held!);
      s.held = null;
      taken.push(s);
    }
    for (const s of taken) s.writing = true;
    return out;
  }

  /** The next held device due at `now` and not being written (taken off the queue), or null. */
  private nextDue(now: number): Slot | null {
    for (;;) {
      const top = this.due.peek();
      if (!top || top.dueAt > now) return null;
      this.due.pop();
      const s = top.slot;
      // Stale (taken or held again since), or being written (pushed again when it settles).
      if (!s.held || s.dueAt !== top.dueAt || s.writing) continue;
      return s;
    }
  }

  markWritten(rows: Array<{ id: string; status: string }>, now: number): void {
    for (const r of rows) {
      const s = this.slot(r.id);
      s.writtenAt = now;
      s.writtenStatus = r.status;
      this.settleSlot(s);
    }
  }

  /** The write of these (taken) devices is over, committed or not (markWritten settles those it names). */
  settle(aggs: DeviceAgg[]): void {
    for (const a of aggs) {
      const s = this.slots.get(a.id);
      if (s) this.settleSlot(s);
    }
  }

  private settleSlot(s: Slot): void {
    if (!s.writing) return;
    s.writing = false;
    if (s.held) this.due.push(s.dueAt, s);
  }

  /** Held facts whose window has ended (or all of them), not being written. */
  hasDue(now: number, all = false): boolean {
    if (all) {
      for (const s of this.slots.values()) if (s.held && !s.writing) return true;
      return false;
    }
    const s = this.nextDue(now);
    if (s === null) return false;
    this.due.push(s.dueAt, s); // only looked at: back in the queue
    return true;
  }

  /** Puts back facts taken for a write that failed (due at once). */
  restore(aggs: DeviceAgg[]): void {
    for (const agg of aggs) {
      const s = this.slot(agg.id);
      this.hold(s, s.held ? mergeAgg(agg, s.held) : agg, 0);
    }
  }

  /** Makes everything held due (before a stop). */
  releaseAll(): void {
    for (const s of this.slots.values()) if (s.held) this.hold(s, s.held, 0);
  }
}

/** One device in the throttle. */
interface Slot {
  /** Its share (0.5–1) of the window. */
  share: number;
  /** When its state was last written, and the status it had then (null: never written). */
  writtenAt: number;
  writtenStatus: string | null;
  /** Facts waiting for its window (merged, newest wins), due at `dueAt`. */
  held: DeviceAgg | null;
  dueAt: number;
  /** A batch is writing its state now. */
  writing: boolean;
}

/** A binary min-heap of (dueAt, device). */
class DueQueue {
  private readonly times: number[] = [];
  private readonly slots: Slot[] = [];

  push(dueAt: number, slot: Slot): void {
    const { times, slots } = this;
    let i = times.length;
    times.push(dueAt);
    slots.push(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= dueAt) break;
      times[i] = times[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = dueAt;
    slots[i] = slot;
  }

  peek(): { dueAt: number; slot: Slot } | null {
    return this.times.length ? { dueAt: this.times[0]!, slot: this.slots[0]! } : null;
  }

  pop(): void {
    const { times, slots } = this;
    const lastTime = times.pop()!;
    const lastSlot = slots.pop()!;
    const n = times.length;
    if (!n) return;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && times[child + 1]! < times[child]!) child++;
      if (times[child]! >= lastTime) break;
      times[i] = times[child]!;
      slots[i] = slots[child]!;
      i = child;
    }
    times[i] = lastTime;
    slots[i] = lastSlot;
  }
}

/** A device's fixed share of the state window, 0.5 to 1, from its id (FNV-1a). */
export function windowShare(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return 0.5 + (h >>> 0) / 2 ** 33;
}
