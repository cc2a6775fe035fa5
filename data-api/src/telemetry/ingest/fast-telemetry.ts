import {
  EPOCH_SECONDS,
  MAX_METRICS,
  METRIC_LIMIT,
  MSG_ID_MAX,
  deviceIdRe,
  deviceRunStatus,
  metricNameRe,
  msgIdRe,
  type BatchItemV1,
  type TelemetryV1,
} from '../../contracts/mqtt.ts';

const RUN_STATUSES: ReadonlySet<unknown> = new Set(deviceRunStatus.options);
// Local copies: run through tsx, every use of an imported binding is a getter call, and these
// are read for every reading (the regexps and limits once per metric).
const MSG_ID = { max: MSG_ID_MAX, re: msgIdRe };
const TS = { min: EPOCH_SECONDS.min, max: EPOCH_SECONDS.max };
const METRICS = { max: MAX_METRICS, limit: METRIC_LIMIT, nameRe: metricNameRe };
const DEVICE_ID_RE = deviceIdRe;

/**
 * The hot path of validation: a v1 telemetry payload (or batch element) that is plainly
 * valid is recognised here without zod, which costs several times more per reading in
 * time and garbage. It accepts only what `telemetryV1` / `batchItemV1` accept, using their
 * own constants, and returns what zod would output (unknown keys dropped); anything else
 * (including every invalid payload) returns null and goes through zod, which decides and
 * names the field. tests/unit/fast-telemetry.test.ts checks the two agree.
 */
export function fastTelemetryV1(value: unknown): TelemetryV1 | null {
  if (!plainTelemetryV1(value)) return null;
  const { msg_id, ts, status, metrics } = value;
  return status === undefined
    ? { schema_version: 1, msg_id, ts, metrics }
    : { schema_version: 1, msg_id, ts, status, metrics };
}

/**
 * The test of fastTelemetryV1 alone: true when `value` is a plainly valid v1 telemetry payload,
 * whose msg_id, ts, status and metrics are then what zod would output. The ingest reads them
 * from the parsed value itself (decode.ts), without building the copy.
 */
export function plainTelemetryV1(value: unknown): value is PlainTelemetryV1 {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (v.schema_version !== 1) return false;
  const { msg_id, ts, status } = v;
  if (typeof msg_id !== 'string' || msg_id.length === 0 || msg_id.length > MSG_ID.max || !MSG_ID.re.test(msg_id))
    return false;
  if (typeof ts !== 'number' || !(ts >= TS.min && ts <= TS.max)) return false;
  if (status !== undefined && !RUN_STATUSES.has(status)) return false;
  return plainMetrics(v.metrics);
}

/** A payload plainTelemetryV1 accepted: the fields the ingest reads (others are ignored, as zod drops them). */
export interface PlainTelemetryV1 {
  msg_id: string;
  ts: number;
  status?: NonNullable<TelemetryV1['status']>;
  metrics: Record<string, number>;
}

export function fastBatchItemV1(value: unknown): BatchItemV1 | null {
  const device_id = (value as { device_id?: unknown } | null)?.device_id;
  if (typeof device_id !== 'string' || !DEVICE_ID_RE.test(device_id)) return null;
  const t = fastTelemetryV1(value) as BatchItemV1 | null;
  if (t) t.device_id = device_id; // our own fresh object: no copy
  return t;
}

/** metricsField: a plain object of at most MAX_METRICS snake_case names → finite numbers within ±METRIC_LIMIT. */
function plainMetrics(m: unknown): m is Record<string, number> {
  if (typeof m !== 'object' || m === null || Array.isArray(m) || Object.getPrototypeOf(m) !== Object.prototype)
    return false;
  let n = 0;
  for (const key in m) {
    if (!Object.hasOwn(m, key) || ++n > METRICS.max || !METRICS.nameRe.test(key)) return false;
    const x = (m as Record<string, unknown>)[key];
    if (typeof x !== 'number' || !(Math.abs(x) <= METRICS.limit)) return false;
  }
  return true;
}
