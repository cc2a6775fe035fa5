// The network probes of `auto_check` (runbooks.md): each answers passed/failed with a reason a
// person can act on, within PROBE_TIMEOUT_MS. Their targets come from the runbook definition
// (templates resolved by targets.ts), never from a request.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { MqttClient } from 'mqtt';
import { connectClient, type BrokerHandle } from '../../telemetry/broker/index.ts';
import { encodePullData, pullAckProblem } from './semtech-udp.ts';

/** How long any probe may take, connecting included. */
export const PROBE_TIMEOUT_MS = 5000;
/** Same-host redirects an http probe follows before it gives up. */
const MAX_REDIRECTS = 5;

export interface ProbeOutcome {
  passed: boolean;
  /** What was seen: "connected in 12 ms", "connection refused (ECONNREFUSED)". */
  detail: string;
}

const since = (t0: number) => `${Math.max(0, Math.round(performance.now() - t0))} ms`;
const seconds = (ms: number) => `${ms / 1000} s`;
const errText = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  const message = String(e?.message ?? err);
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
};

/** TCP: a connection is accepted. */
export function probeTcp(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (o: ProbeOutcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(o);
    };
    const timer = setTimeout(
      () => done({ passed: false, detail: `no answer within ${seconds(timeoutMs)}` }),
      timeoutMs,
    );
    socket.once('connect', () => done({ passed: true, detail: `connected in ${since(t0)}` }));
    socket.once('error', (err) => done({ passed: false, detail: `cannot connect: ${errText(err)}` }));
  });
}

/**
 * UDP: the Semtech packet-forwarder handshake (semtech-udp.ts). A PULL_DATA with a random
 * token goes to the target; it passes on a PULL_ACK carrying that token. UDP has no other
 * way to tell "a network server listens" from "the datagram was dropped".
 */
export async function probeUdp(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome> {
  const t0 = performance.now();
  let address: { address: string; family: number };
  try {
    address = await lookup(host);
  } catch (err) {
    return { passed: false, detail: `cannot resolve ${host}: ${errText(err)}` };
  }
  const token = randomBytes(2);
  return new Promise((resolve) => {
    const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
    let last: string | null = null;
    const done = (o: ProbeOutcome) => {
      clearTimeout(timer);
      socket.close();
      resolve(o);
    };
    const timer = setTimeout(
      () =>
        done({
          passed: false,
          detail: `no PULL_ACK within ${seconds(timeoutMs)}${last ? ` (got ${last})` : ''}`,
        }),
      Math.max(0, timeoutMs - (performance.now() - t0)),
    );
    socket.on('error', (err) => done({ passed: false, detail: `no PULL_ACK: ${errText(err)}` }));
    socket.on('message', (msg) => {
      const problem = pullAckProblem(msg, token);
      if (problem === null) done({ passed: true, detail: `PULL_ACK in ${since(t0)}` });
      else last = problem;
    });
    // Connected: only the target's datagrams arrive, and an ICMP "port unreachable" is an error.
    socket.connect(port, address.address, () => socket.send(encodePullData(token)));
  });
}

/** HTTP(S): a GET answered 2xx; redirects are followed only on the same host. */
export async function probeHttp(url: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  let current: URL;
  try {
    current = new URL(url);
  } catch {
    return { passed: false, detail: `${url} is not a URL` };
  }
  const host = current.hostname;
  try {
    for (let hop = 0; ; hop++) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:')
        return { passed: false, detail: `${current.protocol} is not http or https` };
      const res = await fetch(current, { redirect: 'manual', signal });
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) return { passed: true, detail: `HTTP ${res.status} in ${since(t0)}` };
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current);
        if (next.hostname !== host)
          return { passed: false, detail: `HTTP ${res.status} redirects to another host (${next.host}): not followed` };
        if (hop >= MAX_REDIRECTS) return { passed: false, detail: `more than ${MAX_REDIRECTS} redirects` };
        current = next;
        continue;
      }
      return { passed: false, detail: `HTTP ${res.status}, not 2xx` };
    }
  } catch (err) {
    if (signal.aborted) return { passed: false, detail: `no answer within ${seconds(timeoutMs)}` };
    const cause = (err as { cause?: unknown }).cause;
    return { passed: false, detail: `cannot connect: ${errText(cause ?? err)}` };
  }
}

/**
 * MQTT: a message on the topic within the timeout, on the broker this API uses. Device state
 * topics are retained (contracts.md), so a device that ever reported its state answers at once
 * with that last state; a retained message is said to be one.
 */
export async function probeMqtt(
  broker: BrokerHandle | null,
  topic: string,
  timeoutMs = PROBE_TIMEOUT_MS,
): Promise<ProbeOutcome> {
  if (!broker) return { passed: false, detail: 'this API runs without an MQTT broker' };
  const t0 = performance.now();
  let client: MqttClient;
  try {
    client = await connectClient(
      broker.url,
      `fleetbook-probe-${randomBytes(6).toString('hex')}`,
      timeoutMs,
      broker.credentials,
    );
  } catch (err) {
    return { passed: false, detail: errText(err) };
  }
  try {
    return await new Promise<ProbeOutcome>((resolve) => {
      const timer = setTimeout(
        () => resolve({ passed: false, detail: `no message within ${seconds(timeoutMs)}` }),
        Math.max(0, timeoutMs - (performance.now() - t0)),
      );
      client.on('message', (t, payload, packet) => {
        if (t !== topic) return;
        clearTimeout(timer);
        const what = packet.retain ? 'retained message' : 'message';
        resolve({ passed: true, detail: `${what} (${payload.length} bytes) seen in ${since(t0)}` });
      });
      client.subscribe(topic, { qos: 0 }, (err, granted) => {
        const refused = granted?.some((g) => g.qos === 128);
        if (err || refused) {
          clearTimeout(timer);
          resolve({ passed: false, detail: `the broker refused the subscription${err ? `: ${err.message}` : ''}` });
        }
      });
    });
  } finally {
    await client.endAsync(true).catch(() => {});
  }
}
