// run_health_checks: every check runs (one failing does not hide the others); the action fails
// when any check fails. Semantics per kind:
//   tcp        a TCP connection is accepted within timeout_s.
//   udp        one probe datagram is sent from a connected socket. A reply passes. An ICMP
//              "port unreachable" (ECONNREFUSED on the socket) fails. Silence until timeout_s
//              passes with expect: no_error (the default: UDP cannot prove more, but a closed
//              port on a reachable host is caught) and fails with expect: reply. The probe for
//              port 1700 (or probe: semtech) is a Semtech UDP PUSH_DATA (version 2, random
//              token, gateway EUI, JSON "{}"); a network server answers it with PUSH_ACK.
//   http       the status equals expect_status (default 200) and the body contains `contains`.
//   mqtt       connect (username, password by reference) and publish one QoS 1 message,
//              acknowledged by the broker (PUBACK).
//   device_up  GET {api}/api/v1/devices/{id} reports status "up"; polled every second until
//              timeout_s (default 60 s). Needs the API (--api / --token).
import dgram from 'node:dgram';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import { apiUrl, automationRoutes } from '../../contracts/automation-write-back.ts';
import { describeNetError, formatMs, httpRequest, sleep } from '../http.ts';
import {
  runHealthChecksDefinition,
  type HealthCheck,
  type RunHealthChecksWith,
} from '../../contracts/actions/run_health_checks.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  duration_ms: number;
}

type Check<K extends string> = Extract<HealthCheck, Record<K, unknown>>;

export function checkKind(check: HealthCheck): 'tcp' | 'udp' | 'http' | 'mqtt' | 'device_up' {
  if ('tcp' in check) return 'tcp';
  if ('udp' in check) return 'udp';
  if ('http' in check) return 'http';
  if ('mqtt' in check) return 'mqtt';
  return 'device_up';
}

export function checkLabel(check: HealthCheck): string {
  const kind = checkKind(check);
  return check.name ?? `${kind} ${(check as Record<string, unknown>)[kind]}`;
}

function splitHostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(value.slice(i + 1)) };
}

/** A signal that fires on the parent's abort or after ms. */
function deadline(parent: AbortSignal, ms: number): { signal: AbortSignal; done: () => void } {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new ActionError(`no answer within ${formatMs(ms)}`)), ms);
  const onAbort = () => ctrl.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctrl.signal,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

function checkTcp(check: Check<'tcp'>, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const { host, port } = splitHostPort(check.tcp);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => finish(new ActionError(`no connection within ${formatMs(timeoutMs)}`)), timeoutMs);
    const onAbort = () => finish(new ActionError('stopped (timeout)'));
    signal.addEventListener('abort', onAbort, { once: true });
    const finish = (err?: Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve('connected');
    };
    socket.once('connect', () => finish());
    socket.once('error', (err) => finish(new ActionError(describeNetError(err))));
  });
}

/** Semtech UDP PUSH_DATA: version 2, token, identifier 0x00, gateway EUI, JSON. */
export function semtechPushData(token: Buffer, gatewayEui: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x02]),
    token,
    Buffer.from([0x00]),
    Buffer.from(gatewayEui, 'hex'),
    Buffer.from('{}'),
  ]);
}

function checkUdp(check: Check<'udp'>, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const { host, port } = splitHostPort(check.udp);
  const probeKind = check.probe ?? (port === 1700 ? 'semtech' : 'empty');
  const token = randomBytes(2);
  const probe = probeKind === 'semtech' ? semtechPushData(token, check.gateway_eui) : Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    let settled = false;
    const finish = (err: Error | null, detail?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        socket.close();
      } catch {
        // already closed
      }
      if (err) reject(err);
      else resolve(detail!);
    };
    const timer = setTimeout(() => {
      if (check.expect === 'reply') finish(new ActionError(`no reply within ${formatMs(timeoutMs)}`));
      else
        finish(
          null,
          `no reply and no ICMP error within ${formatMs(timeoutMs)} (sent ${probeKind === 'semtech' ? 'PUSH_DATA' : 'an empty datagram'}; UDP cannot prove more)`,
        );
    }, timeoutMs);
    const onAbort = () => finish(new ActionError('stopped (timeout)'));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      finish(
        new ActionError(
          code === 'ECONNREFUSED' ? 'port unreachable (ICMP error): nothing listens there' : describeNetError(err),
        ),
      );
    });
    socket.on('message', (msg) => {
      if (
        probeKind === 'semtech' &&
        msg.length >= 4 &&
        msg[0] === 0x02 &&
        msg[3] === 0x01 &&
        msg.subarray(1, 3).equals(token)
      )
        finish(null, 'PUSH_ACK received');
      else finish(null, `reply received (${msg.length} bytes)`);
    });
    socket.connect(port, host, () => {
      socket.send(probe, (err) => {
        if (err) finish(new ActionError(describeNetError(err)));
      });
    });
  });
}

async function checkHttp(check: Check<'http'>, timeoutMs: number, signal: AbortSignal): Promise<string> {
  const res = await httpRequest({
    method: check.method,
    url: check.http,
    timeoutMs,
    signal,
    tls: { insecure: check.tls_insecure },
  }).catch((err: Error) => {
    throw new ActionError(err.message.replace(/^(GET|HEAD) \S+: /, ''));
  });
  if (res.status !== check.expect_status)
    throw new ActionError(`HTTP ${res.status} ${res.statusMessage}, expected ${check.expect_status}`);
  if (check.contains && !res.body.includes(check.contains))
    throw new ActionError(`HTTP ${res.status}, but the body does not contain ${JSON.stringify(check.contains)}`);
  return `HTTP ${res.status}${check.contains ? `, body contains ${JSON.stringify(check.contains)}` : ''}`;
}

async function checkMqtt(
  check: Check<'mqtt'>,
  timeoutMs: number,
  signal: AbortSignal,
  ctx: ActionContext<RunHealthChecksWith>,
): Promise<string> {
  const password = check.password ? ctx.secrets.resolve(check.password) : undefined;
  const topic = check.topic ?? `fleetbook/healthcheck/${ctx.runId}`;
  const client = mqtt.connect(check.mqtt, {
    clientId: `fleetbook-check-${randomBytes(4).toString('hex')}`,
    username: check.username,
    password,
    connectTimeout: timeoutMs,
    reconnectPeriod: 0,
    clean: true,
  });
  const limit = deadline(signal, timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      limit.signal.addEventListener('abort', () => reject(limit.signal.reason), { once: true });
      client.once('connect', () => resolve());
      client.once('error', (err) => reject(new ActionError(`connect failed: ${describeNetError(err)}`)));
      client.once('close', () => reject(new ActionError('connection closed before CONNACK')));
    });
    await new Promise<void>((resolve, reject) => {
      limit.signal.addEventListener('abort', () => reject(limit.signal.reason), { once: true });
      client.publish(topic, JSON.stringify({ run_id: ctx.runId, at: new Date().toISOString() }), { qos: 1 }, (err) =>
        err ? reject(new ActionError(`publish failed: ${err.message}`)) : resolve(),
      );
    });
    return `connected, published to ${topic} (QoS 1, acknowledged)`;
  } finally {
    limit.done();
    client.end(true);
  }
}

async function checkDeviceUp(
  check: Check<'device_up'>,
  timeoutMs: number,
  signal: AbortSignal,
  ctx: ActionContext<RunHealthChecksWith>,
): Promise<string> {
  const api = ctx.reporter.api;
  if (!api) throw new ActionError('device_up needs the API: run with --api URL (and --token)');
  const url = apiUrl(api.base, automationRoutes.device(check.device_up));
  const until = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const res = await httpRequest({
      url,
      headers: { accept: 'application/json', ...(api.token ? { authorization: `Bearer ${api.token}` } : {}) },
      timeoutMs: Math.max(500, Math.min(10_000, until - Date.now())),
      signal,
    }).catch((err: Error) => ({ status: 0, statusMessage: err.message, body: '' }));
    if (res.status === 404) throw new ActionError(`${check.device_up} is not in the registry (404)`);
    if (res.status === 401 || res.status === 403) throw new ActionError(`the API refused the token (${res.status})`);
    if (res.status === 200) {
      let body: { status?: string; observed_state?: { status?: string } } = {};
      try {
        body = JSON.parse(res.body);
      } catch {
        // counted as unknown below
      }
      const status = body.status ?? body.observed_state?.status ?? 'unknown';
      if (status === 'up') return `${check.device_up} is up`;
      last = `status ${status}`;
    } else last = res.status === 0 ? res.statusMessage : `HTTP ${res.status}`;
    if (Date.now() + 1000 > until)
      throw new ActionError(`${check.device_up} not up within ${formatMs(timeoutMs)} (last: ${last})`);
    await sleep(1000, signal);
  }
}

export async function runCheck(check: HealthCheck, ctx: ActionContext<RunHealthChecksWith>): Promise<CheckResult> {
  const kind = checkKind(check);
  const timeoutMs = (check.timeout_s ?? (kind === 'device_up' ? 60 : 5)) * 1000;
  const started = Date.now();
  const name = checkLabel(check);
  try {
    let detail: string;
    if (kind === 'tcp') detail = await checkTcp(check as Check<'tcp'>, timeoutMs, ctx.signal);
    else if (kind === 'udp') detail = await checkUdp(check as Check<'udp'>, timeoutMs, ctx.signal);
    else if (kind === 'http') detail = await checkHttp(check as Check<'http'>, timeoutMs, ctx.signal);
    else if (kind === 'mqtt') detail = await checkMqtt(check as Check<'mqtt'>, timeoutMs, ctx.signal, ctx);
    else detail = await checkDeviceUp(check as Check<'device_up'>, timeoutMs, ctx.signal, ctx);
    return { name, ok: true, detail, duration_ms: Date.now() - started };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message, duration_ms: Date.now() - started };
  }
}

async function execute(ctx: ActionContext<RunHealthChecksWith>) {
  const results: CheckResult[] = [];
  for (const check of ctx.with.checks) {
    if (ctx.signal.aborted) break;
    const r = await runCheck(check, ctx);
    results.push(r);
    ctx.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}  ${r.detail}  (${formatMs(r.duration_ms)})`);
  }
  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0 || results.length < ctx.with.checks.length) {
    throw new ActionError(
      `${failed.length} of ${ctx.with.checks.length} checks failed: ${failed.map((f) => `${f.name} (${f.detail})`).join('; ')}`,
    );
  }
  return { outputs: { checks: results }, summary: `${results.length} checks passed` };
}

export const runHealthChecks: ActionModule<RunHealthChecksWith> = {
  definition: runHealthChecksDefinition,
  execute,
  plan: (w) => w.checks.map((c) => `check ${checkLabel(c)}`),
};
