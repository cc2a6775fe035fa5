import fs from 'node:fs';
import path from 'node:path';
import { evaluate } from '@mdx-js/mdx';
import { createElement } from 'react';
import * as runtime from 'react/jsx-runtime';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import YAML from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import {
  codeBlock,
  escapeMdxInline,
  readRunIndex,
  renderRunPage,
  runPagePaths,
  sanitizeText,
  truncateLogs,
  writeRunPage,
} from '../../data-api/src/automation/run-page.ts';
import type { RunRecord } from '../../data-api/src/automation/runner.ts';
import { specDigest } from '../../data-api/src/automation/spec-file.ts';
import { makeSpec, tempDir } from '../helpers/automation.ts';
import { renderToStaticMarkup } from '../helpers/docusaurus-stubs.ts';

const HOSTILE = fs.readFileSync(path.resolve(__dirname, '../fixtures/hostile-logs.txt'), 'utf8');
const tmp = tempDir('run-page');
afterAll(tmp.cleanup);

function makeRun(overrides: Partial<RunRecord> = {}, log: string[] = ['ok']): RunRecord {
  const spec = makeSpec([
    {
      id: 'vm',
      type: 'provision_vm',
      with: { node: 'pve1', template_vmid: 9000, name: 'cs-farm-north', ip: '10.0.0.21/24' },
    },
    { id: 'checks', type: 'run_health_checks', with: { checks: [{ tcp: '10.0.0.21:22' }] } },
  ]);
  return {
    run_id: 'arun_01JC90A7X8YQ2P3R4S5T6V7W8X',
    project: spec.project,
    deployment_id: spec.deployment_id,
    product_code: spec.product_code,
    product_version: spec.product_version,
    spec,
    spec_digest: specDigest(spec),
    state: 'failed',
    started_at: '2025-05-01T10:32:00.000Z',
    finished_at: '2025-05-01T10:32:42.300Z',
    duration_ms: 42_300,
    actions: [
      {
        id: 'vm',
        type: 'provision_vm',
        state: 'succeeded',
        attempts: 1,
        duration_ms: 30_000,
        summary: 'VM 123 cs-farm-north running',
        log,
      },
      {
        id: 'checks',
        type: 'run_health_checks',
        state: 'failed',
        attempts: 1,
        duration_ms: 12_000,
        error: 'FAIL <script>{x}</script> | `tick`',
        log: ['FAIL tcp 10.0.0.21:22 connection refused'],
      },
    ],
    timeline: [
      { at: '2025-05-01T10:32:00.000Z', state: 'queued', message: 'run queued: 2 actions', duration_ms: 0 },
      {
        at: '2025-05-01T10:32:42.000Z',
        action_id: 'checks',
        state: 'failed',
        message: 'run_health_checks failed: {oops} <div> | ```',
        duration_ms: 12_000,
      },
      { at: '2025-05-01T10:32:42.300Z', state: 'failed', message: 'run failed', duration_ms: 42_300 },
    ],
    artifacts: [],
    tickets: [],
    warnings: [],
    ...overrides,
  };
}

/** Compiles MDX the way Docusaurus does (MDX 3 + GFM + frontmatter) and renders it to HTML. */
async function renderMdx(mdx: string): Promise<string> {
  const mod = await evaluate(mdx, {
    ...(runtime as unknown as Parameters<typeof evaluate>[1]),
    remarkPlugins: [remarkGfm, remarkFrontmatter],
  });
  // No components: a run page must render in any Docusaurus site, not only one with fleetbook's theme.
  return renderToStaticMarkup(createElement(mod.default));
}

function htmlText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

describe('run page text is inert (contracts.md: logs never break MDX)', () => {
  it('strips ANSI escapes, NUL and other control characters; CR becomes a newline', () => {
    expect(sanitizeText('\x1b[35mred\x1b[0m \x1b]0;title\x07x >\x00< a\r\nb\rc\t.')).toBe('red x >< a\nb\nc\t.');
  });

  it('escapes every ASCII punctuation character in prose and table cells, on one line', () => {
    expect(escapeMdxInline('{a} <b> | `c`\nimport x')).toBe('\\{a\\} \\<b\\> \\| \\`c\\` import x');
    expect(escapeMdxInline('x'.repeat(50), 10)).toBe(`${'x'.repeat(10)}…`);
  });

  it('fences a log with more backticks than any run inside it', () => {
    expect(codeBlock('a\n``````````\nb')).toBe('```````````text {0}\na\n``````````\nb\n```````````');
    expect(codeBlock('plain').startsWith('```text')).toBe(true);
  });

  it('the hostile corpus compiles as MDX and every line is shown as written', async () => {
    const run = makeRun({}, HOSTILE.split('\n'));
    const { mdx } = renderRunPage(run);
    const html = await renderMdx(mdx);
    const text = htmlText(html);
    for (const line of sanitizeText(HOSTILE).split('\n')) expect(text, line.slice(0, 60)).toContain(line);
    // Nothing became markup: no script element, no div from the log (the only ones are the
    // tables' frames), no JSX evaluation.
    expect(html).not.toMatch(/<script/);
    expect(html.match(/<div[^>]*>/g)).toEqual([
      expect.stringContaining('aria-label="Actions"'),
      expect.stringContaining('aria-label="Timeline"'),
    ]);
    expect(text).toContain('{site.name}');
    // The error and the timeline message (table cells) are text as well.
    expect(text).toContain('FAIL <script>{x}</script> | `tick`');
    expect(text).toContain('run_health_checks failed: {oops} <div> | ```');
    // The state's icon is a span the stylesheet draws, rendered without any MDX component.
    expect(html).toContain('<span class="fb-state fb-state--failed" aria-hidden="true"></span> failed');
  });

  it('each table sits in a named frame that scrolls sideways and takes the keyboard, with no component of fleetbook', async () => {
    const html = await renderMdx(renderRunPage(makeRun()).mdx);
    const frames = [...html.matchAll(/<div ([^>]*)>\s*<table>[\s\S]*?<\/table>\s*<\/div>/g)].map((m) => m[1]);
    expect(frames).toEqual(['Actions', 'Timeline'].map((name) => expect.stringContaining(`aria-label="${name}"`)));
    expect(html.match(/<table>/g)).toHaveLength(2);
    for (const attrs of frames) {
      expect(attrs).toContain('role="region"');
      expect(attrs).toContain('tabindex="0"');
      expect(attrs).toContain('overflow-x:auto');
      expect(attrs).toContain('grid-template-columns:minmax(min-content, 1fr)');
    }
  });

  it('frontmatter carries the run facts and Docusaurus title and label', () => {
    const { mdx } = renderRunPage(makeRun());
    const fm = YAML.parse(/^---\n([\s\S]*?)\n---\n/.exec(mdx)![1]!);
    expect(fm).toEqual({
      title: 'Run arun_01JC90A7X8YQ2P3R4S5T6V7W8X failed',
      sidebar_label: '10:32 failed 6V7W8X',
      description: 'Automation run of farm-north-lorawan for dep_farm-north (lorawan-gw 2.1.0): failed.',
      run_id: 'arun_01JC90A7X8YQ2P3R4S5T6V7W8X',
      project: 'farm-north-lorawan',
      spec_digest: makeRun().spec_digest,
      deployment_id: 'dep_farm-north',
      product_code: 'lorawan-gw',
      product_version: '2.1.0',
      state: 'failed',
      started: '2025-05-01T10:32:00.000Z',
      finished: '2025-05-01T10:32:42.300Z',
      duration_s: 42.3,
    });
  });

  it('the configuration snapshot shows secret references, never values; API links are plain text', () => {
    const run = makeRun({ api: 'http://api.example:3000' });
    const { mdx } = renderRunPage(run);
    expect(mdx).toContain('secret: env:PROXMOX_TOKEN');
    expect(mdx).toContain('`http://api.example:3000/api/v1/automation-runs/arun_01JC90A7X8YQ2P3R4S5T6V7W8X`');
    expect(mdx).not.toMatch(/\]\(https?:\/\/api\.example/);
  });
});

describe('truncation', () => {
  it('keeps small logs whole and cuts the large ones in the middle to fit the budget', () => {
    const small = 'small log';
    const big = `HEAD-START\n${'x'.repeat(300_000)}\nTAIL-END`;
    const { logs, truncated } = truncateLogs([small, big, big], 100_000, 'arun_x.log.txt');
    expect(truncated).toBe(true);
    expect(logs[0]).toBe(small);
    const total = logs.reduce((n, l) => n + Buffer.byteLength(l), 0);
    expect(total).toBeLessThanOrEqual(100_000);
    expect(total).toBeGreaterThan(95_000);
    for (const l of logs.slice(1)) {
      expect(l.startsWith('HEAD-START')).toBe(true);
      expect(l.endsWith('TAIL-END')).toBe(true);
      expect(l).toMatch(/… \[\d+ bytes truncated: the full log is in arun_x\.log\.txt\] …/);
    }
  });

  it('cuts on character boundaries (no broken emoji)', () => {
    const { logs } = truncateLogs(['🚜'.repeat(100_000)], 10_001, 'f');
    expect(logs[0]).not.toContain('\ufffd');
  });

  it('a huge log gives a page under 200 KB of logs plus the full log beside it', () => {
    const huge = Array.from({ length: 40_000 }, (_, i) => `line ${i} {${i}} <tag${i}> \`${'`'.repeat(i % 12)}`);
    const run = makeRun({}, huge);
    const written = writeRunPage(run, { docsRoot: path.join(tmp.dir, 'huge-docs') });
    const page = fs.readFileSync(written.paths.page, 'utf8');
    expect(Buffer.byteLength(page)).toBeLessThan(200 * 1024 + 20 * 1024);
    expect(page).toContain('line 0 {0}');
    expect(page).toContain('line 39999 {39999}');
    expect(page).not.toContain('line 20000 {20000}');
    expect(page).toContain(
      '[arun\\_01JC90A7X8YQ2P3R4S5T6V7W8X\\.log\\.txt](./arun_01JC90A7X8YQ2P3R4S5T6V7W8X.log.txt)',
    );
    const full = fs.readFileSync(written.paths.fullLog, 'utf8');
    expect(full).toContain('line 20000 {20000}');
    expect(written.files).toContain(written.paths.fullLog);
  });
});

describe('run index', () => {
  it('is regenerated from the run pages, newest first, linking each page', () => {
    const docs = path.join(tmp.dir, 'index-docs');
    writeRunPage(
      makeRun({ run_id: 'arun_01AAA', started_at: '2025-04-30T08:00:00.000Z', state: 'succeeded', duration_ms: 1000 }),
      { docsRoot: docs },
    );
    writeRunPage(makeRun({ run_id: 'arun_01CCC', started_at: '2025-05-02T09:00:00.000Z' }), { docsRoot: docs });
    const last = writeRunPage(
      makeRun({ run_id: 'arun_01BBB', started_at: '2025-05-01T12:00:00.000Z', state: 'succeeded' }),
      { docsRoot: docs },
    );
    expect(readRunIndex(last.paths.runsDir).map((e) => [e.run_id, e.state, e.file])).toEqual([
      ['arun_01CCC', 'failed', '2025-05-02/arun_01CCC.mdx'],
      ['arun_01BBB', 'succeeded', '2025-05-01/arun_01BBB.mdx'],
      ['arun_01AAA', 'succeeded', '2025-04-30/arun_01AAA.mdx'],
    ]);
    const index = fs.readFileSync(last.paths.index, 'utf8');
    const rows = index.split('\n').filter((l) => l.startsWith('| 2025'));
    expect(rows).toEqual([
      '| 2025\\-05\\-02 09\\:00 | [arun\\_01CCC](./2025-05-02/arun_01CCC.mdx) | <span className="fb-state fb-state--failed" aria-hidden="true" /> failed | 42.3 s | dep\\_farm\\-north | lorawan\\-gw 2\\.1\\.0 |',
      '| 2025\\-05\\-01 12\\:00 | [arun\\_01BBB](./2025-05-01/arun_01BBB.mdx) | <span className="fb-state fb-state--succeeded" aria-hidden="true" /> succeeded | 42.3 s | dep\\_farm\\-north | lorawan\\-gw 2\\.1\\.0 |',
      '| 2025\\-04\\-30 08\\:00 | [arun\\_01AAA](./2025-04-30/arun_01AAA.mdx) | <span className="fb-state fb-state--succeeded" aria-hidden="true" /> succeeded | 1.0 s | dep\\_farm\\-north | lorawan\\-gw 2\\.1\\.0 |',
    ]);
    expect(index).toContain('3 runs, 2 succeeded, 1 failed');
    expect(fs.existsSync(path.join(last.paths.runsDir, '_category_.json'))).toBe(true);
  });

  it('puts pages under projects/<project>/runs/<UTC date>/<run_id>.mdx', () => {
    const p = runPagePaths('/site/docs', 'farm-north-lorawan', 'arun_X', '2025-05-01T23:59:59.999Z');
    expect(p.page).toBe('/site/docs/projects/farm-north-lorawan/runs/2025-05-01/arun_X.mdx');
    expect(p.fullLog).toBe('/site/docs/projects/farm-north-lorawan/runs/2025-05-01/arun_X.log.txt');
    expect(p.artifactsDir).toBe('/site/docs/projects/farm-north-lorawan/runs/2025-05-01/arun_X.artifacts');
    expect(p.index).toBe('/site/docs/projects/farm-north-lorawan/runs/index.mdx');
  });
});
