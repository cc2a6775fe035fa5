// A generic webhook receiver as an Alertmanager-compatible consumer would be written: it checks
// every request (POST, JSON, the body against Alertmanager's documented webhook format, the
// fleetbook extras, the Idempotency-Key, the timestamp and the HMAC-SHA256 signature it
// recomputes itself, the bearer token) and answers 400 naming what is wrong, like a strict
// receiver. A repeated Idempotency-Key is answered 200 without being delivered twice.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startHttpReceiver, type HttpReceiver, type RecordedRequest } from './http-receiver.ts';
import { checkAlertmanagerWebhookBody } from './peer-formats.ts';

export interface WebhookStandIn extends HttpReceiver {
  /** Requests that were delivered: conforming, answered 2xx, first of their Idempotency-Key. */
  delivered(): RecordedRequest[];
}

const isHttpUrl = (v: unknown) => typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v);

export function checkFleetbookExtras(body: any): string[] {
  const f = body?.fleetbook;
  if (!f || typeof f !== 'object') return ['fleetbook: missing'];
  const problems: string[] = [];
  if (typeof f.notificationId !== 'string' || !f.notificationId)
    problems.push('fleetbook.notificationId: expected a non-empty string');
  if (!Number.isInteger(f.escalationStep) || f.escalationStep < 0)
    problems.push('fleetbook.escalationStep: expected an integer ≥ 0');
  if (typeof f.title !== 'string' || !f.title) problems.push('fleetbook.title: expected a non-empty string');
  for (const k of ['ackUrl', 'runbookUrl'])
    if (k in f && !isHttpUrl(f[k])) problems.push(`fleetbook.${k}: expected an http(s) URL`);
  return problems;
}

export async function startWebhookStandIn(
  opts: { secret?: string; bearer?: string; maxAlerts?: number } = {},
): Promise<WebhookStandIn> {
  const answered = new Set<string>();
  const firstOfKey = new Set<RecordedRequest>();
  const check = (req: Omit<RecordedRequest, 'problems' | 'at'>): string[] => {
    const p: string[] = [];
    if (req.method !== 'POST') p.push(`method: expected POST, got ${req.method}`);
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
      p.push('content-type: expected application/json');
    if (req.json === undefined) return [...p, 'body: not JSON'];
    p.push(...checkAlertmanagerWebhookBody(req.json), ...checkFleetbookExtras(req.json));
    if (opts.maxAlerts && req.json.alerts?.length > opts.maxAlerts)
      p.push(`alerts: more than max_alerts ${opts.maxAlerts}`);
    const key = req.headers['idempotency-key'];
    if (typeof key !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(key))
      p.push('idempotency-key: expected 1-255 visible ASCII characters');
    const ts = req.headers['x-fleetbook-timestamp'];
    if (typeof ts !== 'string' || !/^\d+$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > 300) {
      p.push('x-fleetbook-timestamp: expected unix seconds within 5 minutes of now');
    }
    if (opts.secret !== undefined) {
      const sig = req.headers['x-fleetbook-signature'];
      const want = `sha256=${createHmac('sha256', opts.secret).update(`${ts}.${req.body}`).digest('hex')}`;
      if (typeof sig !== 'string') p.push('x-fleetbook-signature: missing');
      else if (sig.length !== want.length || !timingSafeEqual(Buffer.from(sig), Buffer.from(want)))
        p.push('x-fleetbook-signature: does not verify');
    }
    if (opts.bearer !== undefined && req.headers.authorization !== `Bearer ${opts.bearer}`)
      p.push('authorization: expected the bearer token');
    return p;
  };
  const receiver = await startHttpReceiver(check, (req) => {
    if (req.problems.length)
      return { status: 400, body: JSON.stringify({ status: 'invalid', problems: req.problems }) };
    const key = String(req.headers['idempotency-key']);
    if (answered.has(key)) return { status: 200, body: JSON.stringify({ status: 'duplicate' }) };
    answered.add(key);
    firstOfKey.add(req);
    return { status: 200, body: JSON.stringify({ status: 'ok' }), headers: { 'content-type': 'application/json' } };
  });
  return { ...receiver, delivered: () => receiver.requests.filter((r) => firstOfKey.has(r)) };
}
