import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import {
  CURRENT_SCHEMA_VERSION,
  MAX_BATCH_ITEMS,
  MAX_DEPTH,
  MAX_PAYLOAD_BYTES,
  batchItemV0,
  batchItemV1,
  claimedVersion,
  commandResult,
  heartbeatV0,
  heartbeatV1,
  parseTopic,
  stateV1,
  telemetryV0,
  telemetryV1,
  type DeadLetterReason,
  type IngestKind,
} from '../../contracts/mqtt.ts';
import { chirpstackAck, chirpstackTxAck, chirpstackUplink } from '../../contracts/chirpstack.ts';
import { mapCodecObject, type Unmapped } from './chirpstack/codec.ts';
import { DEFAULT_CHIRPSTACK_TOPICS, type ChirpstackTopics } from './chirpstack/topics.ts';
import { fastBatchItemV1, plainTelemetryV1 } from './fast-telemetry.ts';

/**
 * Topic + raw bytes → what the message says, or why it is dead. Pure: no database, no
 * clock other than `receivedAt`; the registry checks (unknown device, site mismatch)
 * come later, in the writer, against the cache.
 */

// Local copies: run through tsx, every use of an imported binding is a getter call, and these
// are read for every message (MAX_DEPTH at every level of every payload).
const LIMITS = { payloadBytes: MAX_PAYLOAD_BYTES, depth: MAX_DEPTH };

/** Raw payloads kept in dead letters are capped (the reason and size are always kept). */
export const DEAD_LETTER_PAYLOAD_CAP = 8 * 1024;

export type Item =
  | {
      kind: 'telemetry';
      device_id: string;
      site_id: string | null;
      msg_id: string;
      ts: number;
      status: string | null;
      metrics: Record<string, number>;
      radio?: Radio;
      raw: () => string;
      via: 'direct' | 'batch' | 'chirpstack';
      gateway_id?: string;
    }
  | {
      kind: 'heartbeat';
      device_id: string;
      site_id: string;
      ts: number;
      uptime_s?: number;
      fw?: string;
      raw: () => string;
    }
  | {
      kind: 'state';
      device_id: string;
      site_id: string;
      ts: number;
      fw?: string;
      reported: Record<string, unknown>;
      raw: () => string;
    }
  | {
      kind: 'cmd_result';
      device_id: string;
      site_id: string;
      cmd_id: string;
      status: 'accepted' | 'done' | 'failed';
      detail: string | null;
      ts: number;
      raw: () => string;
    }
  /** A gateway that published a batch is alive, whatever its batch holds. */
  | { kind: 'seen'; device_id: string; site_id: string; ts: number; raw: () => string }
  /** A ChirpStack uplink: its device is known only once the DevEUI is looked up. `unmapped`: codec fields not stored. */
  | {
      kind: 'chirpstack';
      dev_eui: string;
      msg_id: string;
      ts: number;
      metrics: Record<string, number>;
      unmapped: Unmapped[];
      radio?: Radio;
      raw: () => string;
    }
  /** A ChirpStack ack/txack: settles the command whose downlink carried `queue_item_id`. */
  | {
      kind: 'chirpstack_ack';
      dev_eui: string;
      queue_item_id: string;
      event: 'ack' | 'txack';
      acknowledged: boolean;
      ts: number;
      raw: () => string;
    };

/** What the network saw of the last uplink: kept in observed_state (rssi/snr of the best gateway). */
export interface Radio {
  rssi_dbm?: number;
  snr_db?: number;
  gateway_id?: string;
  f_cnt?: number;
  f_port?: number;
  dr?: number;
  frequency_hz?: number;
  dev_addr?: string;
}

export interface DeadLetter {
  reason: DeadLetterReason;
  detail: string;
  topic: string;
  site_id: string | null;
  device_id: string | null;
  payload: Buffer | string;
}

export interface Decoded {
  topic: string;
  items: Item[];
  deadLetters: DeadLetter[];
}

/**
 * One message being decoded: where its items and dead letters go, and what its dead letters
 * name by default. One object per message instead of closures (tsx names every closure it
 * creates, a defineProperty each: measurable at tens of thousands of messages a second).
 */
interface Message {
  out: Decoded;
  site: string | null;
  device: string | null;
  payload: Buffer;
  receivedAt: number;
  /** The payload as text and as parsed JSON, once `readJson` accepted it. */
  text: string;
  value: unknown;
}

/** Decodes one MQTT message. `receivedAt` is epoch milliseconds. */
export function decodeMessage(
  topic: string,
  payload: Buffer,
  receivedAt: number,
  chirpstack: ChirpstackTopics = DEFAULT_CHIRPSTACK_TOPICS,
): Decoded {
  const parsedTopic = parseTopic(topic);
  const chirp = !parsedTopic ? chirpstack.parseEvent(topic) : null;
  const m: Message = {
    out: { topic, items: [], deadLetters: [] },
    site: parsedTopic?.site_id ?? null,
    device: parsedTopic?.device_id ?? null,
    payload,
    receivedAt,
    text: '',
    value: undefined,
  };
  if (!parsedTopic && !chirp) return dead(m, 'validation', 'not a fleetbook/v1 or ChirpStack uplink topic');
  // Other ChirpStack events (join, status, log, location) are not ours to keep.
  if (chirp && chirp.event !== 'up' && chirp.event !== 'ack' && chirp.event !== 'txack') return m.out;
  if (parsedTopic?.kind === 'cmd')
    return dead(m, 'validation', 'cmd is a cloud → device topic; devices publish cmd/result');
  if (!readJson(m)) return m.out;
  if (chirp) return decodeChirpstack(chirp.event, m);
  return BY_KIND[parsedTopic!.kind as IngestKind](m);
}

/** A dead letter of the message (topic, site, device and payload its own unless `extra` says otherwise). */
function dead(m: Message, reason: DeadLetterReason, detail: string, extra?: Partial<DeadLetter>): Decoded {
  const { out } = m;
  out.deadLetters.push({
    reason,
    detail,
    topic: out.topic,
    site_id: m.site,
    device_id: m.device,
    payload: m.payload,
    ...extra,
  });
  return out;
}

/** Size, UTF-8, JSON, depth and NUL checks; fills `text` and `value`, or dead-letters the message (false). */
function readJson(m: Message): boolean {
  const { payload } = m;
  if (payload.length > LIMITS.payloadBytes) {
    dead(m, 'oversize', `payload is ${payload.length} bytes; the limit is ${LIMITS.payloadBytes}`);
    return false;
  }
  // As TextDecoder does: a leading byte-order mark is not part of the text.
  const text =
    payload[0] === 0xef && payload[1] === 0xbb && payload[2] === 0xbf
      ? payload.toString('utf8', 3)
      : payload.toString('utf8');
  // Bytes that are not UTF-8 decode to U+FFFD: only a text holding one needs the byte check (an
  // ASCII text never does, and V8 answers that at once for a one-byte string).
  if (text.includes('\uFFFD') && !isUtf8(payload)) {
    dead(m, 'validation', 'payload is not UTF-8 text (binary?)');
    return false;
  }
  try {
    m.value = JSON.parse(text);
  } catch (err) {
    dead(m, 'validation', `payload is not JSON: ${(err as Error).message}`);
    return false;
  }
  m.text = text;
  // JSON can only carry a NUL as the escape \u0000: without one in the text, strings need no scan.
  const depthProblem = checkShape(m.value, 0, text.includes('\\u0000'));
  if (depthProblem) {
    dead(m, 'validation', depthProblem);
    return false;
  }
  return true;
}

/** `raw` of an item: the text it came from (a factory, so no per-message named closure). */
const textOf = (text: string) => () => text;
/** `raw` of a batch element: its JSON, made only when a dead letter needs it. */
const elementTextOf = (element: unknown) => () => JSON.stringify(element) ?? 'null';

const BY_KIND: Record<IngestKind, (m: Message) => Decoded> = {
  'cmd/result': decodeCommandResult,
  batch: decodeBatch,
  telemetry: decodeTelemetry,
  heartbeat: decodeHeartbeat,
  state: decodeState,
};

function decodeCommandResult(m: Message): Decoded {
  const parsed = commandResult.safeParse(m.value);
  if (!parsed.success) return dead(m, 'validation', describe(parsed.error));
  m.out.items.push({
    kind: 'cmd_result',
    device_id: m.device!,
    site_id: m.site!,
    cmd_id: parsed.data.cmd_id,
    status: parsed.data.status,
    detail: parsed.data.detail ?? null,
    ts: m.receivedAt,
    raw: textOf(m.text),
  });
  return m.out;
}

/** A gateway's batch: the gateway is seen, each element is a reading of its own device (or a dead letter of its own). */
function decodeBatch(m: Message): Decoded {
  const { value, out } = m;
  if (!Array.isArray(value)) return dead(m, 'validation', 'a batch is a JSON array of telemetry payloads');
  if (value.length === 0) return dead(m, 'validation', 'a batch is empty');
  if (value.length > MAX_BATCH_ITEMS)
    return dead(m, 'validation', `a batch holds at most ${MAX_BATCH_ITEMS} readings, got ${value.length}`);
  const gatewayId = m.device!;
  out.items.push({ kind: 'seen', device_id: gatewayId, site_id: m.site!, ts: m.receivedAt, raw: textOf(m.text) });
  for (let index = 0; index < value.length; index++) {
    const element: unknown = value[index];
    const version = versionOf(element, batchItemV1, batchItemV0, fastBatchItemV1);
    if ('reason' in version) {
      const elementDevice =
        typeof (element as { device_id?: unknown })?.device_id === 'string'
          ? (element as { device_id: string }).device_id
          : null;
      dead(m, version.reason, `batch[${index}]: ${version.detail}`, {
        payload: elementTextOf(element)(),
        device_id: elementDevice ?? gatewayId,
      });
      continue;
    }
    const item = version.data;
    out.items.push({
      kind: 'telemetry',
      device_id: item.device_id,
      site_id: m.site,
      msg_id: item.msg_id,
      ts: item.ts * 1000,
      status: item.status ?? null,
      metrics: item.metrics,
      via: 'batch',
      gateway_id: gatewayId,
      raw: elementTextOf(element),
    });
  }
  return out;
}

function decodeTelemetry(m: Message): Decoded {
  const v = m.value;
  if (plainTelemetryV1(v)) {
    // Plainly valid v1, nearly every message: its fields as they are, no copy of them made. A
    // one-element array, not push(): that gives room for 16, held as long as the message waits.
    m.out.items = [telemetryItem(m, v)];
    return m.out;
  }
  const version = versionOf(v, telemetryV1, telemetryV0);
  if ('reason' in version) return dead(m, version.reason, version.detail);
  m.out.items = [telemetryItem(m, version.data)];
  return m.out;
}

/** A directly connected device's reading, as the writer takes it. */
function telemetryItem(
  m: Message,
  t: { msg_id: string; ts: number; status?: string | null; metrics: Record<string, number> },
): Decoded['items'][number] {
  return {
    kind: 'telemetry',
    device_id: m.device!,
    site_id: m.site,
    msg_id: t.msg_id,
    ts: t.ts * 1000,
    status: t.status ?? null,
    metrics: t.metrics,
    via: 'direct',
    raw: textOf(m.text),
  };
}

function decodeHeartbeat(m: Message): Decoded {
  const version = versionOf(m.value, heartbeatV1, heartbeatV0);
  if ('reason' in version) return dead(m, version.reason, version.detail);
  const h = version.data;
  m.out.items.push({
    kind: 'heartbeat',
    device_id: m.device!,
    site_id: m.site!,
    ts: h.ts * 1000,
    ...(h.uptime_s !== undefined ? { uptime_s: h.uptime_s } : {}),
    ...(h.fw ? { fw: h.fw } : {}),
    raw: textOf(m.text),
  });
  return m.out;
}

/** state: v1 only (legacy firmware never published state). */
function decodeState(m: Message): Decoded {
  const version = versionOf(m.value, stateV1, null);
  if ('reason' in version) return dead(m, version.reason, version.detail);
  const s = version.data;
  m.out.items.push({
    kind: 'state',
    device_id: m.device!,
    site_id: m.site!,
    ts: s.ts * 1000,
    ...(s.fw ? { fw: s.fw } : {}),
    reported: s.reported,
    raw: textOf(m.text),
  });
  return m.out;
}

/**
 * Picks the schema by `schema_version`: 1 → v1, absent or 0 → legacy v0, newer → unsupported.
 * `fast` recognises plainly valid v1 payloads without zod (see fast-telemetry.ts).
 */
function versionOf<V1 extends z.ZodType, V0 extends z.ZodType>(
  value: unknown,
  v1: V1,
  v0: V0 | null,
  fast?: (value: unknown) => z.output<V1> | null,
): { data: z.output<V1> } | { reason: DeadLetterReason; detail: string } {
  const quick = fast?.(value);
  if (quick) return { data: quick };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { reason: 'validation', detail: 'expected a JSON object' };
  const claimed = claimedVersion(value);
  if (claimed === 'invalid') return { reason: 'validation', detail: 'schema_version: expected a whole number' };
  if (typeof claimed === 'number' && claimed > CURRENT_SCHEMA_VERSION) {
    return {
      reason: 'unsupported_schema_version',
      detail: `schema_version ${claimed} is newer than this ingest understands (≤ ${CURRENT_SCHEMA_VERSION})`,
    };
  }
  if (claimed === CURRENT_SCHEMA_VERSION) {
    const parsed = v1.safeParse(value);
    return parsed.success ? { data: parsed.data } : { reason: 'validation', detail: describe(parsed.error) };
  }
  if (!v0) return { reason: 'validation', detail: 'schema_version: expected 1' };
  const parsed = v0.safeParse(value);
  if (parsed.success) return { data: parsed.data as z.output<V1> };
  return {
    reason: 'validation',
    detail:
      claimed === 'absent'
        ? `no schema_version, and not a legacy v0 payload either: ${describe(parsed.error)}`
        : describe(parsed.error),
  };
}

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => {
      // A bad record key (metric name) carries the real reason one level down.
      const nested = (i as { issues?: Array<{ message: string }> }).issues;
      const message = i.code === 'invalid_key' && nested?.[0] ? `invalid key: ${nested[0].message}` : i.message;
      return `${i.path.length ? i.path.map(String).join('.') : '(payload)'}: ${message}`;
    })
    .join('; ');
}

/**
 * Depth and string hygiene over the whole value: nesting beyond MAX_DEPTH, and NUL
 * characters (only when `nulPossible`), which PostgreSQL's jsonb and text types refuse.
 * Recursive but bounded: it stops at MAX_DEPTH, so a hostile payload cannot blow the stack.
 */
function checkShape(v: unknown, depth: number, nulPossible: boolean): string | null {
  if (typeof v === 'string')
    return nulPossible && v.includes('\u0000') ? 'strings must not contain NUL (\\u0000)' : null;
  if (typeof v !== 'object' || v === null) return null;
  if (depth >= LIMITS.depth) return `nested deeper than ${LIMITS.depth} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const problem = checkShape(v[i], depth + 1, nulPossible);
      if (problem) return problem;
    }
    return null;
  }
  for (const k in v) {
    if (nulPossible && k.includes('\u0000')) return 'keys must not contain NUL (\\u0000)';
    const problem = checkShape((v as Record<string, unknown>)[k], depth + 1, nulPossible);
    if (problem) return problem;
  }
  return null;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** What a dead letter keeps of the raw payload: UTF-8 text when it is, else base64; capped. */
export function capturePayload(payload: Buffer | string): {
  payload: string;
  encoding: 'utf8' | 'base64';
  bytes: number;
  truncated: boolean;
} {
  const buf = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const bytes = buf.length;
  const truncated = bytes > DEAD_LETTER_PAYLOAD_CAP;
  const head = buf.subarray(0, DEAD_LETTER_PAYLOAD_CAP);
  // A cut may split a multi-byte character: allow dropping up to 3 bytes of the tail.
  for (let drop = 0; drop <= (truncated ? 3 : 0); drop++) {
    try {
      const text = strictUtf8.decode(head.subarray(0, head.length - drop));
      if (text.includes('\u0000')) break;
      return { payload: text, encoding: 'utf8', bytes, truncated };
    } catch {
      // try a shorter cut, then base64
    }
  }
  return { payload: head.toString('base64'), encoding: 'base64', bytes, truncated };
}

/** A ChirpStack event (up, ack, txack) on its application topic: a reading or a downlink ack of the device with that DevEUI. */
function decodeChirpstack(event: string, m: Message): Decoded {
  const { value, text, receivedAt, out } = m;
  if (event !== 'up') {
    const parsed = (event === 'ack' ? chirpstackAck : chirpstackTxAck).safeParse(value);
    if (!parsed.success) return dead(m, 'validation', describe(parsed.error));
    const ev = parsed.data as {
      deviceInfo: { devEui: string };
      queueItemId: string;
      acknowledged?: boolean;
      time?: string;
    };
    const ts = ev.time ? Date.parse(ev.time) : NaN;
    out.items.push({
      kind: 'chirpstack_ack',
      dev_eui: ev.deviceInfo.devEui.toLowerCase(),
      queue_item_id: ev.queueItemId,
      event: event as 'ack' | 'txack',
      // pbjson leaves `acknowledged: false` out.
      acknowledged: ev.acknowledged === true,
      ts: Number.isFinite(ts) ? ts : receivedAt,
      raw: textOf(text),
    });
    return out;
  }

  const parsed = chirpstackUplink.safeParse(value);
  if (!parsed.success) return dead(m, 'validation', describe(parsed.error));
  const up = parsed.data;
  const ts = up.time ? Date.parse(up.time) : NaN;
  const { metrics, unmapped } = mapCodecObject(up.object);
  const best = (up.rxInfo ?? []).filter((r) => typeof r.rssi === 'number').sort((a, b) => b.rssi! - a.rssi!)[0];
  const radio: Radio = {
    ...(best ? { rssi_dbm: best.rssi } : {}),
    ...(typeof best?.snr === 'number' ? { snr_db: best.snr } : {}),
    ...(best?.gatewayId ? { gateway_id: best.gatewayId } : {}),
    // pbjson leaves zero values out: an uplink without fCnt / fPort / dr has them at 0.
    f_cnt: up.fCnt ?? 0,
    f_port: up.fPort ?? 0,
    dr: up.dr ?? 0,
    ...(typeof up.txInfo?.frequency === 'number' ? { frequency_hz: up.txInfo.frequency } : {}),
    ...(up.devAddr ? { dev_addr: up.devAddr } : {}),
  };
  if (radio.rssi_dbm !== undefined && metrics.rssi_dbm === undefined) metrics.rssi_dbm = radio.rssi_dbm;
  if (radio.snr_db !== undefined && metrics.snr_db === undefined) metrics.snr_db = radio.snr_db;
  out.items.push({
    kind: 'chirpstack',
    dev_eui: up.deviceInfo.devEui.toLowerCase(),
    msg_id: up.deduplicationId,
    // No `time` (ChirpStack omits it without a time source): the arrival time.
    ts: Number.isFinite(ts) ? ts : receivedAt,
    metrics,
    unmapped,
    radio,
    raw: textOf(text),
  });
  return out;
}
