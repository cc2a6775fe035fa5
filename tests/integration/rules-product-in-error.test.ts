// A notification rule on a product whose page is in error, as an operator meets it: the real
// `fleetbook rules validate` and `fleetbook start` (a throwaway checkout whose pump-ctl page has a
// typo'd key). The rules file is fine, the page is not: the rule is kept, with a warning that
// names the page (docs/contracts/notifications.mdx), and the start runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkNodeModules } from '../../bench/site-build.ts';
import { RuleSet } from '../../data-api/src/notifications/evaluate.ts';
import { loadNotificationConfig, readRuleCatalog } from '../../data-api/src/notifications/rules.ts';
import { ROOT, runCli, spawnCli, stopCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-rules-left-out-'));
const checkout = path.join(tmp, 'checkout');
const PAGE = 'docs/products/pump-ctl/index.mdx';
// The page's issue, as the start logs it and fleetbook lint prints it.
const PAGE_ISSUE =
  'docs/products/pump-ctl/index.mdx:7:1  Unexpected key `sumary`, expected one of `title`, `product_code`, `name`, `category`, `summary`, `role`, `heartbeat_interval_s`, `statuses`, `currency`, `metrics`, `commands`, `versions` or a Docusaurus doc key (did you mean `summary`?)  product/schema';
const LEFT_OUT = `product "pump-ctl" is left out: its page ${PAGE} has errors (the start logs them above; fleetbook lint prints them)`;

// A rule on pump-ctl's metric with no product named: only the page in error declares it.
const FLOW_RULE = `
  - id: pump_flow_low
    kind: threshold
    metric: flow_lpm
    op: '<'
    value: 1
    severity: warning
    summary: 'No flow through {{device.name}}'
`;

beforeAll(() => {
  // What a start reads: the code, the product pages, the runbooks and the notification files.
  for (const dir of [
    'bin',
    'data-api',
    'plugins',
    'firmware',
    'automation',
    'runbooks',
    'notifications',
    'docs/products',
  ])
    fs.cpSync(path.join(ROOT, dir), path.join(checkout, dir), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json'])
    fs.copyFileSync(path.join(ROOT, file), path.join(checkout, file));
  linkNodeModules(checkout);
  const page = path.join(checkout, PAGE);
  const text = fs.readFileSync(page, 'utf8');
  expect(text).toContain('\nsummary: ');
  fs.writeFileSync(page, text.replace('\nsummary: ', '\nsumary: '));
  fs.appendFileSync(path.join(checkout, 'notifications/rules.yaml'), FLOW_RULE);
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ruleLine = (rel: string, needle: string): number =>
  fs
    .readFileSync(path.join(checkout, rel), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle)) + 1;

/** The warnings the rules check gives this checkout, with its lines (display paths from `cwd`). */
function expectedWarnings(prefix: string): string[] {
  const select = ruleLine('notifications/rules.yaml', 'select: { products: [pump-ctl] }');
  const metric = ruleLine('notifications/rules.yaml', 'metric: flow_lpm');
  return [
    `${prefix}notifications/rules.yaml:${select}:26  warning: Unchecked product "pump-ctl" (and the rule's metric for it), the rule is kept: ${LEFT_OUT}  notifications/product-in-error`,
    `${prefix}notifications/rules.yaml:${metric}:13  warning: Unchecked metric "flow_lpm", the rule is kept: no valid page declares it, and ${LEFT_OUT}  notifications/product-in-error`,
  ];
}

describe('a notification rule on a product whose page is in error', () => {
  it('fleetbook rules validate: a warning at the rule naming the page, no error, exit 0', async () => {
    const r = await runCli(['rules', 'validate', path.join(checkout, 'notifications'), '--root', checkout]);
    const prefix = `${path.relative(ROOT, checkout)}/`;
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('unknown-product');
    expect(r.stdout).not.toContain('unknown-metric');
    expect(r.stdout.split('\n').filter((l) => l.includes('product-in-error'))).toEqual(expectedWarnings(prefix));
    expect(r.stdout).toMatch(/^0 errors, \d+ warnings?$/m);
    expect(r.code).toBe(0);
  });

  it(
    'fleetbook start: runs, logs the page issue then the rule warning, and keeps the rule',
    { timeout: 180_000 },
    async () => {
      const [port, mqttPort] = [await freePort(), await freePort()];
      const proc = spawnCli(
        [
          'start',
          '--port',
          String(port),
          '--mqtt-port',
          String(mqttPort),
          '--data-dir',
          path.join(tmp, 'data'),
          '--no-build',
        ],
        { HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
        checkout,
      );
      try {
        const base = await proc.ready;
        const out = proc.output();
        const logged = out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => (JSON.parse(l) as { msg: string }).msg);
        const issue = logged.indexOf(PAGE_ISSUE);
        expect(issue).toBeGreaterThanOrEqual(0);
        const warnings = logged.filter((m) => m.includes('product-in-error'));
        expect(warnings).toEqual(expectedWarnings(''));
        expect(logged.indexOf(warnings[0]!)).toBeGreaterThan(issue);
        expect(out).not.toContain('unknown-product');

        const admin = /admin token\s+(\S+)/.exec(out)?.[1];
        expect(admin).toBeTruthy();
        const res = await fetch(`${base}/api/v1/alert-rules`, { headers: { authorization: `Bearer ${admin}` } });
        expect(res.status).toBe(200);
        const ids = ((await res.json()) as { items: Array<{ id: string }> }).items.map((r) => r.id);
        expect(ids).toEqual(expect.arrayContaining(['pump_motor_overheat', 'pump_flow_low']));
      } finally {
        await stopCli(proc);
      }
    },
  );

  it('a rule on the metric alone still applies to the devices of the product left out (its metrics read)', async () => {
    const loaded = loadNotificationConfig(
      path.join(checkout, 'notifications'),
      await readRuleCatalog(checkout),
      checkout,
    );
    if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
    const rules = new RuleSet(loaded.config, 'http://fleetbook.test');
    expect([...rules.byId.get('pump_flow_low')!.products!]).toEqual(['pump-ctl']);
    expect([...rules.byId.get('pump_motor_overheat')!.products!]).toEqual(['pump-ctl']);
  });
});
