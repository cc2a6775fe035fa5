// `npm run bench -- --only notifications` (issue 14). Three figures, each beside its baseline
// measured in the same run, on PostgreSQL when TEST_DATABASE_URL is set (else embedded PGlite):
//
// 1. ingest with 50 threshold rules active vs none: the ingest's batch write (decode → registry
//    → one transaction per batch) of the same readings, with and without the evaluator in it;
//    rounds alternate so drift hits both. Goal: ratio ≥ 0.95.
// 2. reading stored → first webhook received, at 100 alerts/s for 10 s: each crossing is a
//    batch committed by the ingest's writer; the receiver is a local webhook stand-in. Baseline:
//    the same webhook send alone. Goal: p99 < 1 s.
// 3. a storm: 2,000 devices crossing at once → messages sent and time to drain, grouped by
//    alertname and site, beside the same storm grouped per device.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AppContext } from '../data-api/src/kernel/context.ts';
import { openDatabase, type DatabaseHandle } from '../data-api/src/kernel/db/index.ts';
import { migrateToLatest } from '../data-api/src/kernel/db/migrator.ts';
import { decodeMessage } from '../data-api/src/telemetry/ingest/decode.ts';
import { RegistryCache } from '../data-api/src/telemetry/ingest/registry-cache.ts';
import { writeBatch, type IncomingMessage } from '../data-api/src/telemetry/ingest/writer.ts';
import type { ReadingsHook } from '../data-api/src/telemetry/ingest/readings.ts';
import { channelFor } from '../data-api/src/notifications/channels/index.ts';
import { startNotificationEngine, type NotificationEngine } from '../data-api/src/notifications/engine.ts';
import {
  formatDiagnostic,
  loadNotificationConfig,
  readRuleCatalog,
  type NotificationConfig,
} from '../data-api/src/notifications/rules.ts';
import { PROJECT_ROOT } from '../data-api/src/kernel/paths.ts';
import { createPgDatabase, dropPgDatabase } from '../tests/helpers/database.ts';
import { sendContext } from '../tests/helpers/notifications.ts';
import { seedDevices } from '../tests/helpers/notify-engine.ts';
import { startWebhookStandIn, type WebhookStandIn } from '../tests/helpers/webhook-stand-in.ts';
import { benchContext } from './lib.ts';

const HOOK_ENV = { BENCH_HOOK_KEY: 'bench-secret' };
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const median = (xs: number[]) => pct(xs, 50);

async function config(rules: string, policies: string, hookUrl: string): Promise<NotificationConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-bench-notify-'));
  fs.writeFileSync(path.join(dir, 'rules.yaml'), rules);
  fs.writeFileSync(path.join(dir, 'policies.yaml'), policies);
  fs.writeFileSync(
    path.join(dir, 'contact-points.yaml'),
    `contact_points:\n  - name: hook\n    type: webhook\n    config: { url: '${hookUrl}', hmac_secret: env:BENCH_HOOK_KEY, timeout_ms: 10000 }\n`,
  );
  const loaded = loadNotificationConfig(dir, await readRuleCatalog(PROJECT_ROOT), dir);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
  return loaded.config;
}

/** 50 threshold rules over the pump controller's metrics: one that some readings cross, 49 they do not. */
function fiftyRules(): string {
  const metrics = ['flow_lpm', 'pressure_bar', 'motor_temp_c', 'motor_current_a', 'supply_v'];
  const lines = [
    'rules:',
    "  - { id: r00_hot, kind: threshold, metric: motor_temp_c, op: '>', value: 95, severity: critical, summary: 'hot {{device.id}}' }",
  ];
  for (let i = 1; i < 50; i++) {
    const metric = metrics[i % metrics.length]!;
    const forPart = i % 3 === 0 ? ', for: 5m' : '';
    const when = i % 4 === 0 ? `, when: { '==': [{ var: status }, running] }` : '';
    lines.push(
      `  - { id: r${String(i).padStart(2, '0')}, kind: threshold, metric: ${metric}, op: '>', value: ${10_000 + i}${forPart}${when}, summary: 'r${i} {{device.id}}' }`,
    );
  }
  return lines.join('\n') + '\n';
}

const POLICIES = (groupBy: string) => `
route:
  receiver: hook
  group_by: ${groupBy}
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
delivery:
  rate_limit: 100000/1m
  max_alerts_per_message: 50
`;

interface Fleet {
  ids: string[];
  site: (i: number) => string;
}

async function seed(ctx: AppContext, t: string, count: number, sites: number): Promise<Fleet> {
  const ids: string[] = [];
  const siteOf: string[] = [];
  const per = Math.ceil(count / sites);
  for (let s = 0; s < sites; s++) {
    const rows = await seedDevices(ctx.db, {
      tag: t,
      site: `site_${t}-${s}`,
      customer: `cus_${t}`,
      product: 'pump-ctl',
      role: 'controller',
      count: Math.min(per, count - s * per),
      prefix: `s${s}-`,
    });
    for (const r of rows) {
      ids.push(r.id);
      siteOf.push(r.site);
    }
  }
  return { ids, site: (i) => siteOf[i]! };
}

let seq = 0;
function message(fleet: Fleet, i: number, metrics: Record<string, number>): IncomingMessage {
  const id = fleet.ids[i]!;
  const payload = Buffer.from(
    JSON.stringify({ schema_version: 1, msg_id: `b${++seq}`, ts: Date.now() / 1000, status: 'running', metrics }),
  );
  return {
    decoded: decodeMessage(`fleetbook/v1/${fleet.site(i)}/${id}/telemetry`, payload, Date.now()),
    receivedAt: Date.now(),
  };
}

async function ingestRatio(
  ctx: AppContext,
  engine: NotificationEngine,
  fleet: Fleet,
  readings: number,
  rounds: number,
) {
  const cache = new RegistryCache(ctx.db, null);
  const batch = 500;
  const run = async (hook: ReadingsHook | undefined) => {
    const started = performance.now();
    for (let n = 0; n < readings; n += batch) {
      const msgs: IncomingMessage[] = [];
      for (let k = 0; k < batch; k++) {
        const i = (n + k) % fleet.ids.length;
        // 1 % of the readings are over the first rule's threshold.
        const temp = (n + k) % 100 === 0 ? 97 : 60 + ((n + k) % 20);
        msgs.push(
          message(fleet, i, {
            flow_lpm: 120,
            pressure_bar: 3.1,
            motor_temp_c: temp,
            motor_current_a: 12,
            supply_v: 24,
            run_hours_h: 100,
            rssi_dbm: -70,
          }),
        );
      }
      await writeBatch(ctx.db, cache, msgs, undefined, hook);
    }
    return readings / ((performance.now() - started) / 1000);
  };
  // The evaluator's own time inside the batch transactions, to tell its cost from machine noise.
  let inHook = 0;
  const timed: ReadingsHook = async (trx, readings, device) => {
    const t0 = performance.now();
    await engine.onReadings(trx, readings, device);
    inHook += performance.now() - t0;
  };
  await run(undefined); // warm-up: caches, plans
  await run(timed);
  const none: number[] = [];
  const rules: number[] = [];
  let ruleSeconds = 0;
  inHook = 0;
  for (let r = 0; r < rounds; r++) {
    // Alternating, and in both orders, so drift and caches hit both sides alike.
    if (r % 2 === 0) {
      none.push(await run(undefined));
      rules.push(await run(timed));
    } else {
      rules.push(await run(timed));
      none.push(await run(undefined));
    }
    ruleSeconds += readings / rules[rules.length - 1]!;
  }
  return {
    none: median(none),
    rules: median(rules),
    ratio: median(rules) / median(none),
    evaluatorShare: inHook / 1000 / ruleSeconds,
  };
}

async function latency(
  ctx: AppContext,
  engine: NotificationEngine,
  hook: WebhookStandIn,
  fleet: Fleet,
  rate: number,
  seconds: number,
) {
  const cache = new RegistryCache(ctx.db, null);
  const storedAt = new Map<string, number>();
  const total = rate * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await writeBatch(ctx.db, cache, [message(fleet, i, { motor_temp_c: 97 })], undefined, engine.onReadings);
    storedAt.set(fleet.ids[i]!, Date.now());
  }
  const deadline = Date.now() + 60_000;
  const firstAt = () => {
    const seen = new Map<string, number>();
    for (const r of hook.requests)
      for (const a of r.json?.alerts ?? []) if (!seen.has(a.labels.device)) seen.set(a.labels.device, r.at);
    return seen;
  };
  while (firstAt().size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const seen = firstAt();
  const ms = [...storedAt].filter(([id]) => seen.has(id)).map(([id, at]) => seen.get(id)! - at);
  // Where the time goes: stored → its first message written to the outbox (routing, group,
  // flush) and written → received (the outbox worker's claim and the send).
  const queued = new Map(
    (
      await ctx.db
        .selectFrom('notifications as n')
        .innerJoin('notification_alerts as na', 'na.notification_id', 'n.id')
        .innerJoin('alerts as a', 'a.id', 'na.alert_id')
        .select(['a.subject_id', (eb) => eb.fn.min('n.created_at').as('at')])
        .groupBy('a.subject_id')
        .execute()
    ).map((r) => [r.subject_id, new Date(r.at as unknown as string).getTime()]),
  );
  const toOutbox: number[] = [];
  const toReceiver: number[] = [];
  for (const [id, at] of storedAt) {
    const q = queued.get(id);
    const got = seen.get(id);
    if (q === undefined || got === undefined) continue;
    toOutbox.push(Math.max(0, q - at));
    toReceiver.push(Math.max(0, got - q));
  }
  return {
    alerts: total,
    received: seen.size,
    p50: pct(ms, 50),
    p99: pct(ms, 99),
    max: Math.max(...ms),
    outbox: { p50: pct(toOutbox, 50), p99: pct(toOutbox, 99) },
    send: { p50: pct(toReceiver, 50), p99: pct(toReceiver, 99) },
  };
}

async function sendBaseline(hook: WebhookStandIn, n: number) {
  const ms: number[] = [];
  const body = {
    version: '4' as const,
    receiver: 'hook',
    status: 'firing' as const,
    groupKey: 'g',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://bench',
    truncatedAlerts: 0,
    alerts: [],
    fleetbook: { notificationId: 'ntf_baseline', escalationStep: 0, title: 'baseline' },
  };
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await channelFor('webhook').send(
      { url: `${hook.url}/baseline`, hmac_secret: 'env:BENCH_HOOK_KEY' },
      { ...body, fleetbook: { ...body.fleetbook, notificationId: `ntf_b${i}` } },
      sendContext(HOOK_ENV, { idempotencyKey: `ntf_b${i}` }),
    );
    ms.push(performance.now() - t0);
  }
  return { p50: pct(ms, 50), p99: pct(ms, 99) };
}

async function storm(ctx: AppContext, engine: NotificationEngine, hook: WebhookStandIn, fleet: Fleet) {
  const cache = new RegistryCache(ctx.db, null);
  const before = hook.requests.length;
  const msgs = fleet.ids.map((_, i) => message(fleet, i, { motor_temp_c: 98 }));
  const t0 = performance.now();
  const t0Wall = Date.now();
  for (let i = 0; i < msgs.length; i += 500)
    await writeBatch(ctx.db, cache, msgs.slice(i, i + 500), undefined, engine.onReadings);
  const stored = performance.now() - t0;
  const told = () =>
    new Set(
      hook.requests
        .slice(before)
        .flatMap((r) => (r.json?.alerts ?? []).map((a: { labels: { device: string } }) => a.labels.device)),
    ).size + hook.requests.slice(before).reduce((n, r) => n + (r.json?.truncatedAlerts ?? 0), 0);
  const deadline = Date.now() + 180_000;
  while (told() < fleet.ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await engine.settle();
  // When the last message was written to the outbox (routing and flushing done): the rest of
  // the drain is sending.
  const written = await ctx.db
    .selectFrom('notifications')
    .select((eb) => eb.fn.max('created_at').as('at'))
    .executeTakeFirst();
  return {
    writtenS: (new Date(written?.at as unknown as string).getTime() - t0Wall) / 1000,
    devices: fleet.ids.length,
    messages: hook.requests.length - before,
    alertsTold: told(),
    storedS: stored / 1000,
    drainS: (performance.now() - t0) / 1000,
  };
}

async function withDatabase<T>(fn: (db: DatabaseHandle) => Promise<T>): Promise<T> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    const handle = await openDatabase({ kind: 'pglite' });
    await migrateToLatest(handle.db);
    try {
      return await fn(handle);
    } finally {
      await handle.close();
    }
  }
  const url = await createPgDatabase(base, 'fb_bench');
  const handle = await openDatabase({ kind: 'pg', url, max: 10 });
  await migrateToLatest(handle.db);
  try {
    return await fn(handle);
  } finally {
    await handle.close();
    await dropPgDatabase(base, url);
  }
}

async function phase<T>(
  rules: string,
  groupBy: string,
  devices: number,
  sites: number,
  body: (ctx: AppContext, engine: NotificationEngine, hook: WebhookStandIn, fleet: Fleet) => Promise<T>,
): Promise<T> {
  return withDatabase(async (database) => {
    const ctx = benchContext(database);
    const hook = await startWebhookStandIn({ secret: HOOK_ENV.BENCH_HOOK_KEY });
    const engine = await startNotificationEngine(ctx, await config(rules, POLICIES(groupBy), `${hook.url}/hook`), {
      instance: 'bench',
      externalUrl: 'http://bench',
      env: HOOK_ENV,
      concurrency: 16,
    });
    try {
      return await body(ctx, engine, hook, await seed(ctx, 'b', devices, sites));
    } finally {
      await engine.stop();
      await hook.close();
    }
  });
}

export async function notificationsBenchmark(
  options: { readings?: number; rounds?: number; rate?: number; seconds?: number; storm?: number } = {},
) {
  const backend = process.env.TEST_DATABASE_URL ? 'PostgreSQL' : 'PGlite';
  console.log(`notifications benchmark (${backend}, ${os.cpus().length} cores)`);

  const ratio = await phase(fiftyRules(), '[device]', 2000, 8, (ctx, engine, _hook, fleet) =>
    ingestRatio(ctx, engine, fleet, options.readings ?? 20_000, options.rounds ?? 3),
  );
  console.table([
    { ingest: 'no rules (baseline)', 'readings/s': Math.round(ratio.none) },
    { ingest: '50 threshold rules', 'readings/s': Math.round(ratio.rules) },
  ]);
  console.log(
    `ratio with 50 rules / without: ${ratio.ratio.toFixed(3)} (goal ≥ 0.95); the evaluator's own time: ${(ratio.evaluatorShare * 100).toFixed(2)} % of the write time with rules`,
  );

  const rate = options.rate ?? 100;
  const seconds = options.seconds ?? 10;
  const hot =
    "rules:\n  - { id: hot, kind: threshold, metric: motor_temp_c, op: '>', value: 95, severity: critical, summary: 'hot {{device.id}}' }\n";
  const lat = await phase(hot, '[device]', rate * seconds, 8, async (_ctx, engine, hook, fleet) => ({
    run: await latency(_ctx, engine, hook, fleet, rate, seconds),
    base: await sendBaseline(hook, 200),
  }));
  console.table([
    {
      path: `reading stored → first webhook, ${rate} alerts/s × ${seconds} s`,
      'p50 ms': Math.round(lat.run.p50),
      'p99 ms': Math.round(lat.run.p99),
      'max ms': Math.round(lat.run.max),
      received: `${lat.run.received}/${lat.run.alerts}`,
    },
    {
      path: 'the webhook send alone (baseline)',
      'p50 ms': +lat.base.p50.toFixed(1),
      'p99 ms': +lat.base.p99.toFixed(1),
      'max ms': '',
      received: '',
    },
  ]);
  console.log(
    `crossing → first notification p99: ${Math.round(lat.run.p99)} ms (goal < 1000 ms); of it, stored → message in the outbox p50 ${Math.round(lat.run.outbox.p50)} / p99 ${Math.round(lat.run.outbox.p99)} ms, outbox → received p50 ${Math.round(lat.run.send.p50)} / p99 ${Math.round(lat.run.send.p99)} ms`,
  );

  const n = options.storm ?? 2000;
  const grouped = await phase(hot, '[alertname, site]', n, 8, (ctx, engine, hook, fleet) =>
    storm(ctx, engine, hook, fleet),
  );
  const single = await phase(hot, '[device]', n, 8, (ctx, engine, hook, fleet) => storm(ctx, engine, hook, fleet));
  console.table([
    {
      storm: `${n} devices, grouped by alertname+site`,
      messages: grouped.messages,
      'alerts told': grouped.alertsTold,
      'stored s': +grouped.storedS.toFixed(2),
      'in outbox s': +grouped.writtenS.toFixed(2),
      'drained s': +grouped.drainS.toFixed(2),
    },
    {
      storm: `${n} devices, one group per device (baseline)`,
      messages: single.messages,
      'alerts told': single.alertsTold,
      'stored s': +single.storedS.toFixed(2),
      'in outbox s': +single.writtenS.toFixed(2),
      'drained s': +single.drainS.toFixed(2),
    },
  ]);
  return { ratio, latency: lat, grouped, single };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  notificationsBenchmark().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
