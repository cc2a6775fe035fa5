import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPage } from '../../data-api/src/site/library/create-page.ts';
import { runCli, ROOT } from '../helpers/cli.ts';

// Issue 15: `fleetbook new <template> --title "…" [--product …] [--project …]` creates a
// lint-clean page in the right folder, from docs/templates/.
const site = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-new-'));
beforeAll(() => {
  for (const dir of ['docs/products', 'docs/templates', 'docs/projects', 'static'])
    fs.cpSync(path.join(ROOT, dir), path.join(site, dir), { recursive: true });
});
afterAll(() => fs.rmSync(site, { recursive: true, force: true }));

const cli = (...args: string[]) => runCli(['new', ...args, '--site-dir', site], {}, 120_000);
/** What the CLI does, in-process (flags as the CLI passes them). */
const create = (template: string, flags: Record<string, string>) =>
  createPage({ template, title: flags.title!, product: flags.product, project: flags.project, siteDir: site });

describe('fleetbook new', () => {
  it('as a user runs it: the page, its id and the lint verdict; a refusal exits 2', async () => {
    const res = await cli('runbook', '--title', 'Replace a pump controller', '--product', 'pump-ctl');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(
      /^created \S*runbooks\/replace-a-pump-controller\.mdx \(rb-replace-a-pump-controller\): 0 errors, 0 warnings\n$/,
    );
    const again = await cli('runbook', '--title', 'Replace a pump controller', '--product', 'pump-ctl');
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      'fleetbook: runbooks/replace-a-pump-controller.mdx exists: pass --force to overwrite it, or choose another --title\n',
    );
  });

  it.each([
    [
      'sop',
      { title: 'Monthly gateway check', product: 'lorawan-gw' },
      'runbooks/sop-monthly-gateway-check.mdx',
      'kind: sop',
    ],
    ['sop', { title: 'Shift handover' }, 'runbooks/sop-shift-handover.mdx', 'id: sop-shift-handover'],
    [
      'project',
      { title: 'Orchard East irrigation', project: 'orchard-east', product: 'soil-probe' },
      'docs/projects/orchard-east/index.mdx',
      '<FleetHealth groupBy="site" product="soil-probe"',
    ],
    [
      'postmortem',
      { title: 'LTE outage at Farm North', project: 'farm-north-lorawan' },
      `docs/postmortems/${new Date().toISOString().slice(0, 10)}-lte-outage-at-farm-north.mdx`,
      '| project | [farm-north-lorawan]',
    ],
    [
      'decision',
      { title: 'One ChirpStack per site' },
      'docs/decisions/0001-one-chirpstack-per-site.mdx',
      'title: "0001. One ChirpStack per site"',
    ],
    [
      'decision',
      { title: 'Offline buffer in RAM' },
      'docs/decisions/0002-offline-buffer-in-ram.mdx',
      '# 0002. Offline buffer in RAM',
    ],
    [
      'runbook',
      { title: 'Swap a "soil" probe <fast>', product: 'soil-probe' },
      'runbooks/swap-a-soil-probe-fast.mdx',
      'title: "Swap a \\"soil\\" probe <fast>"',
    ],
  ] as const)('%s %j: a lint-clean page in the right folder', async (template, flags, rel, contains) => {
    const { created, lint } = await create(template, flags);
    expect(created.path).toBe(rel);
    expect(lint.files).toEqual([rel]);
    expect(lint.messages).toEqual([]);
    expect(fs.readFileSync(path.join(site, rel), 'utf8')).toContain(contains);
  });

  it('fills the product’s facts in: its versions as a range, its supply voltage as an expected value', async () => {
    const text = fs.readFileSync(path.join(site, 'runbooks/replace-a-pump-controller.mdx'), 'utf8');
    expect(text).toContain('product_versions: ">=1.4.2 <2.0.0-0"');
    expect(text).toContain('expect: { min: 23, max: 25, unit: V }');
    expect(text).toContain('- [ ] Controller 24 V supply (supply_v) \\{#supply\\}');
  });

  it('refuses what it cannot do, saying what to pass instead, and writes nothing', async () => {
    const cases: Array<[string, Record<string, string>, string]> = [
      ['memo', { title: 'x' }, 'unknown template memo: expected one of decision, postmortem, project, runbook, sop'],
      ['runbook', { title: 'No product' }, 'the runbook template needs --product'],
      [
        'runbook',
        { title: 'Bad product', product: 'warp-drive' },
        'unknown product warp-drive: expected one of lorawan-gw, pump-ctl, rfid-station, soil-probe',
      ],
      [
        'postmortem',
        { title: 'Where', project: 'nowhere' },
        'unknown project nowhere: expected one of farm-north-lorawan, orchard-east',
      ],
      ['sop', { title: '!!!' }, '--title: expected a title with letters or digits, e.g. "Replace a pump controller"'],
    ];
    for (const [template, flags, message] of cases) {
      const before = fs.readdirSync(path.join(site, 'runbooks')).length;
      await expect(create(template, flags)).rejects.toThrow(message);
      expect(fs.readdirSync(path.join(site, 'runbooks')).length).toBe(before);
    }
  });
});
