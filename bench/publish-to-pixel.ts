// Publish → pixel (issue #6, widgets.md): the time from a device publishing a reading over
// MQTT to the widgets of an open page painting it, while a background load of `rate` MQTT
// messages a second (one reading each) flows to the simulated fleet through the same
// server. Goal: p99 < 250 ms.
import type { Browser, Page } from 'playwright-core';
import mqtt, { type MqttClient } from 'mqtt';
import { topicFor } from '../data-api/src/contracts/mqtt.ts';
import { Simulation, type SimDevice } from '../data-api/src/demo/simulate/simulator.ts';

export interface BenchServer {
  /** http://127.0.0.1:<port> */
  base: string;
  adminToken: string;
}

export interface PixelOptions {
  /** Marked readings to time (default 120; at least 100 for a p99). */
  samples?: number;
  /** Background MQTT messages a second (default 1000). */
  rate?: number;
  /** Simulated fleet size to provision (its gateways and controllers publish; default 2000). */
  fleet?: number;
  /** The page and the device whose widgets are watched. */
  path?: string;
  device?: string;
}

export interface PixelResult {
  path: string;
  device: string;
  rate: number;
  publishers: number;
  /** Background messages the broker acknowledged per second over the measured window. */
  achievedRate: number;
  /** ms from publish to the frame that shows it, per widget. */
  widgets: Record<string, { samples: number[]; lost: number }>;
  /** |page clock − bench clock| bound (ms): both read this machine's wall clock. */
  clockSkewMs: number;
}

/** Widgets watched on the page, and how each shows the marked reading. */
const WATCHED = ['TelemetryChart', 'DeviceHealth'] as const;
type Watched = (typeof WATCHED)[number];
/** The marker metric: DeviceHealth shows every metric a device reports, so it shows this one. */
const MARK = 'bench_seq';

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
}

async function api<T>(server: BenchServer, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function connect(url: string, username: string, password: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: `bench-pixel-${username}`,
      username,
      password,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
    });
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/**
 * In the page: watch the marked device's widgets and report, for each new value, the time
 * of the frame that shows it. The MutationObserver sees React's commit; the paint follows
 * that frame's requestAnimationFrame callbacks, and a message posted from there runs
 * right after the frame is rendered: that moment is the "pixel" time. Plain JavaScript in a
 * string: tsx would wrap a function's inner helpers in `__name`, which the page lacks.
 */
function installPaintProbe(page: Page, device: string): Promise<void> {
  const chart = JSON.stringify(`[data-widget="TelemetryChart"][data-device="${device}"]`);
  const health = JSON.stringify(
    `[data-widget="DeviceHealth"][data-device="${device}"] [data-testid="device-health-metric-${MARK}"]`,
  );
  return page.evaluate(`(() => {
    const painted = (widget, value) => requestAnimationFrame(() => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => window.__benchPainted(widget, value, Date.now());
      ch.port2.postMessage(0);
    });
    const read = {
      // The chart counts the live samples it folded in: one per marked reading.
      TelemetryChart: () => document.querySelector(${chart})?.getAttribute('data-live-samples') ?? null,
      DeviceHealth: () => document.querySelector(${health})?.lastElementChild?.textContent ?? null,
    };
    const last = {};
    const check = () => {
      for (const [widget, get] of Object.entries(read)) {
        const v = get();
        if (v === last[widget]) continue;
        last[widget] = v;
        if (v !== null && v !== '—') painted(widget, Number(v));
      }
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-live-samples'] });
    check();
  })()`);
}

/** Both clocks are this machine's wall clock; measure how far apart they read, to state the error bound. */
async function clockSkew(page: Page): Promise<number> {
  let best = Infinity;
  let skew = 0;
  for (let i = 0; i < 10; i++) {
    const before = Date.now();
    const inPage = await page.evaluate(() => Date.now());
    const after = Date.now();
    if (after - before < best) {
      best = after - before;
      skew = Math.abs(inPage - (before + after) / 2) + (after - before) / 2;
    }
  }
  return skew;
}

export async function publishToPixel(
  browser: Browser,
  server: BenchServer,
  o: PixelOptions = {},
): Promise<PixelResult> {
  const samples = Math.max(o.samples ?? 120, 1);
  const rate = o.rate ?? 1000;
  const path = o.path ?? '/docs/dashboards/telemetry-trends';
  const device = o.device ?? 'gw_farm-north-1-001';

  // Background load: the simulated fleet, registered (so the ingest stores every reading);
  // its gateways and controllers publish one reading per MQTT message, spread round-robin.
  const fleet = await api<{ mqtt_url: string | null; devices: SimDevice[] }>(server, 'POST', '/simulator/fleet', {
    devices: o.fleet ?? 2000,
  });
  if (!fleet.mqtt_url) throw new Error('the server reports no embedded broker');
  const publishers = fleet.devices.filter((d) => d.role !== 'sensor');
  const background = new Simulation({
    url: fleet.mqtt_url,
    devices: publishers,
    rate,
    durationS: 0,
    heartbeatEveryMs: 20_000,
  });

  // The marked device publishes with its own credentials, as a device would.
  const cred = await api<{ username: string; password: string; site_id: string | null }>(
    server,
    'POST',
    `/devices/${device}/mqtt-token`,
  );
  if (!cred.site_id) throw new Error(`${device} has no site`);
  const marker = await connect(fleet.mqtt_url, cred.username, cred.password);
  const topic = topicFor(cred.site_id, device, 'telemetry');

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const waiting = new Map<string, (at: number) => void>();
  await page.exposeFunction('__benchPainted', (widget: string, value: number, at: number) =>
    waiting.get(`${widget}:${value}`)?.(at),
  );
  const widgets: PixelResult['widgets'] = Object.fromEntries(WATCHED.map((w) => [w, { samples: [], lost: 0 }]));
  let seq = 0;
  let chartCount = 0;
  /** Publishes marked reading `n` and returns when it was handed to MQTT (bench clock). */
  const publish = (n: number): number => {
    const at = Date.now();
    const payload = JSON.stringify({
      schema_version: 1,
      msg_id: `bench-pixel-${n}-${at}`,
      ts: at / 1000,
      status: 'running',
      metrics: { cpu_temp_c: 40 + (n % 20) / 2, [MARK]: n },
    });
    marker.publish(topic, payload, { qos: 1 });
    return at;
  };
  /** One marked reading: publish, then wait for each widget's frame (or give up after 5 s: lost). */
  const mark = async (record: boolean) => {
    const n = ++seq;
    const expected: Record<Watched, number> = { TelemetryChart: chartCount + 1, DeviceHealth: n };
    const seen = WATCHED.map(
      (w) =>
        new Promise<number | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), 5000);
          waiting.set(`${w}:${expected[w]}`, (at) => {
            clearTimeout(timer);
            resolve(at);
          });
        }),
    );
    const sentAt = publish(n);
    const at = await Promise.all(seen);
    WATCHED.forEach((w, i) => {
      waiting.delete(`${w}:${expected[w]}`);
      if (!record) return;
      if (at[i] === null) widgets[w].lost++;
      else widgets[w].samples.push(at[i]! - sentAt);
    });
    if (at[0] !== null) chartCount++;
  };

  try {
    await page.goto(`${server.base}${path}`, { waitUntil: 'commit' });
    // Data in (a chart with no history yet is `empty` until the first live sample) and the stream online.
    for (const w of WATCHED) {
      await page.waitForSelector(
        `[data-widget="${w}"][data-device="${device}"]:is([data-state="ready"], [data-state="empty"])[data-live="online"]`,
        { timeout: 120_000 },
      );
    }
    chartCount = Number(
      (await page.getAttribute(`[data-widget="TelemetryChart"][data-device="${device}"]`, 'data-live-samples')) ?? 0,
    );
    await installPaintProbe(page, device);
    await background.start();
    // Warm-up: the load reaches steady state, the marker metric's tile appears, JIT warms.
    const warmUntil = Date.now() + 5000;
    while (Date.now() < warmUntil) await mark(false);
    const startedAt = Date.now();
    const ackedAtStart = background.progress().messages;
    for (let i = 0; i < samples; i++) {
      await mark(true);
      // Irregular gaps, so readings do not fall in step with the server's 250 ms live flushes.
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 300));
    }
    const achievedRate = (background.progress().messages - ackedAtStart) / ((Date.now() - startedAt) / 1000);
    return {
      path,
      device,
      rate,
      publishers: publishers.length,
      achievedRate,
      widgets,
      clockSkewMs: await clockSkew(page),
    };
  } finally {
    await background.stop();
    await marker.endAsync().catch(() => {});
    await context.close();
  }
}

export function printPixel(r: PixelResult): void {
  console.log(
    `widgets: publish → pixel on ${r.path} for ${r.device}, background ${r.rate} MQTT msgs/s (achieved ${Math.round(r.achievedRate)}/s) from ${r.publishers} simulated devices; ` +
      `clock error bound ±${r.clockSkewMs.toFixed(1)} ms`,
  );
  console.table(
    Object.entries(r.widgets).map(([widget, w]) => ({
      widget,
      samples: w.samples.length,
      lost: w.lost,
      'p50 ms': Math.round(percentile(w.samples, 50)),
      'p99 ms': Math.round(percentile(w.samples, 99)),
      'max ms': Math.round(Math.max(...w.samples)),
      'goal p99 < 250 ms': percentile(w.samples, 99) < 250 ? 'met' : 'NOT met',
    })),
  );
}
