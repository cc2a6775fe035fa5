// The notifications engine in tests: rule files written to a temporary folder and loaded as
// `fleetbook start` loads them (same checks), devices of a given product in the registry, and
// an engine started on the test app with short intervals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../data-api/src/kernel/context.ts';
import { json, type Database } from '../../data-api/src/kernel/db/index.ts';
import {
  startNotificationEngine,
  type EngineOptions,
  type NotificationEngine,
} from '../../data-api/src/notifications/engine.ts';
import {
  formatDiagnostic,
  loadNotificationConfig,
  readRuleCatalog,
  type NotificationConfig,
  type RuleCatalog,
} from '../../data-api/src/notifications/rules.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';

let catalog: RuleCatalog | null = null;

/** Writes the three files and loads them; any error fails the test with the diagnostics. */
export async function notificationConfig(files: {
  rules: string;
  policies: string;
  contactPoints: string;
}): Promise<NotificationConfig> {
  catalog ??= await readRuleCatalog(PROJECT_ROOT);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-notify-'));
  fs.writeFileSync(path.join(dir, 'rules.yaml'), files.rules);
  fs.writeFileSync(path.join(dir, 'policies.yaml'), files.policies);
  fs.writeFileSync(path.join(dir, 'contact-points.yaml'), files.contactPoints);
  const loaded = loadNotificationConfig(dir, catalog, dir);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!loaded.ok)
    throw new Error(`test notification files are invalid:\n${loaded.diagnostics.map(formatDiagnostic).join('\n')}`);
  return loaded.config;
}

/** Webhook contact points, each pointing at a stand-in (URL given inline: a test receiver has no token). */
export const webhookPoints = (points: Record<string, string>, timeoutMs = 1500) =>
  `contact_points:\n${Object.entries(points)
    .map(
      ([name, url]) =>
        `  - name: ${name}\n    type: webhook\n    config: { url: '${url}', hmac_secret: env:TEST_HOOK_KEY, timeout_ms: ${timeoutMs} }`,
    )
    .join('\n')}\n`;

export const HOOK_ENV = { TEST_HOOK_KEY: 'test-hook-secret' };

export async function startTestEngine(
  ctx: AppContext,
  config: NotificationConfig,
  options: Partial<EngineOptions> = {},
): Promise<NotificationEngine> {
  return startNotificationEngine(ctx, config, {
    instance: `notify-${Math.random().toString(36).slice(2, 8)}`,
    externalUrl: 'http://fleetbook.test',
    tickMs: 200,
    sweepMs: 500,
    env: HOOK_ENV,
    ...options,
  });
}

export interface SeededDevice {
  id: string;
  site: string;
}

/** `n` devices of `product` at one site (created with its customer when missing). */
export async function seedDevices(
  db: Kysely<Database>,
  opts: {
    tag: string;
    site?: string;
    customer?: string;
    product: string;
    role: 'gateway' | 'sensor' | 'controller';
    count: number;
    prefix?: string;
    version?: string;
    heartbeat_interval_s?: number;
  },
): Promise<SeededDevice[]> {
  const customer = opts.customer ?? `cus_${opts.tag}`;
  const site = opts.site ?? `site_${opts.tag}`;
  await db
    .insertInto('customers')
    .values({ id: customer, name: `Customer ${opts.tag}` })
    .onConflict((c) => c.doNothing())
    .execute();
  await db
    .insertInto('sites')
    .values({ id: site, customer_id: customer, name: `Site ${opts.tag}`, timezone: 'UTC' })
    .onConflict((c) => c.doNothing())
    .execute();
  const rows = Array.from({ length: opts.count }, (_, i) => ({
    id: `${opts.role === 'gateway' ? 'gw' : 'dev'}_${opts.tag}-${opts.prefix ?? 'd'}${String(i + 1).padStart(3, '0')}`,
    site_id: site,
    customer_id: customer,
    product_code: opts.product,
    product_version: opts.version ?? '1.5.0',
    role: opts.role,
    name: `${opts.prefix ?? 'd'} ${i + 1}`,
    desired_state: json({}),
    observed_state: json({}),
    external_refs: json({}),
    heartbeat_interval_s: opts.heartbeat_interval_s ?? 60,
  }));
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('devices')
      .values(rows.slice(i, i + 500) as never)
      .execute();
  return rows.map((r) => ({ id: r.id, site }));
}
