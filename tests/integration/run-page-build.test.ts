import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sanitizeText, writeRunPage } from '../../data-api/src/automation/run-page.ts';
import type { RunRecord } from '../../data-api/src/automation/runner.ts';
import { specDigest } from '../../data-api/src/automation/spec-file.ts';
import { makeSpec, tempDir } from '../helpers/automation.ts';

// contracts.md "Run pages": logs are written so that MDX can never break on them. The proof is
// a real Docusaurus build (classic preset, onBrokenLinks: 'throw', MDX) of a tiny site holding a
// run page full of hostile text.
const ROOT = path.resolve(__dirname, '../..');
const HOSTILE = fs.readFileSync(path.join(ROOT, 'tests/fixtures/hostile-logs.txt'), 'utf8');
const tmp = tempDir('site');
afterAll(tmp.cleanup);

function makeSite(dir: string) {
  // node_modules: one symlink per package, so caches land in the temp site, not the shared tree.
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(nm, { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry === '.cache' || entry === '.bin') continue;
    fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(nm, entry));
  }
  fs.writeFileSync(
    path.join(dir, 'docusaurus.config.js'),
    `module.exports = {
  title: 'run page build test',
  url: 'http://localhost',
  baseUrl: '/',
  trailingSlash: false,
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'throw',
  markdown: { hooks: { onBrokenMarkdownLinks: 'throw' } },
  future: { v4: true, faster: true },
  presets: [['classic', { docs: { path: 'docs', routeBasePath: '/' }, blog: false, pages: false, theme: {} }]],
};
`,
  );
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "run-page-build-test", "private": true }\n');
  fs.mkdirSync(path.join(dir, 'docs'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'docs/index.mdx'),
    '# Handbook\n\n[Runs](./projects/farm-north-lorawan/runs/index.mdx)\n',
  );
}

function hostileRun(artifactFile: string): RunRecord {
  const spec = makeSpec([
    {
      id: 'vm',
      type: 'provision_vm',
      with: { node: 'pve1', template_vmid: 9000, name: 'cs-farm-north', ip: '10.0.0.21/24' },
    },
    { id: 'gw', type: 'configure_gateway', with: { region: 'AS923_1', server: 'cs-farm-north' } },
    { id: 'checks', type: 'run_health_checks', with: { checks: [{ tcp: 'cs-farm-north:22' }] } },
  ]);
  const firstHostile = HOSTILE.split('\n').slice(0, 12).join(' ');
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
    finished_at: '2025-05-01T10:33:00.000Z',
    duration_ms: 60_000,
    actions: [
      {
        id: 'vm',
        type: 'provision_vm',
        state: 'succeeded',
        attempts: 1,
        duration_ms: 20_000,
        summary: `VM 123 ${firstHostile}`,
        log: HOSTILE.split('\n'),
      },
      {
        id: 'gw',
        type: 'configure_gateway',
        state: 'succeeded',
        attempts: 1,
        duration_ms: 100,
        summary: 'global_conf.json',
        log: Array.from({ length: 12_000 }, (_, i) => `{${i}} <line ${i}> \`\`\` import x from 'y'`),
      },
      {
        id: 'checks',
        type: 'run_health_checks',
        state: 'failed',
        attempts: 1,
        duration_ms: 5000,
        error: `checks failed: ${firstHostile}`,
        log: ['FAIL  tcp  <b>{refused}</b>'],
      },
    ],
    timeline: [
      { at: '2025-05-01T10:32:00.000Z', state: 'queued', message: 'run queued: 3 actions', duration_ms: 0 },
      {
        at: '2025-05-01T10:33:00.000Z',
        action_id: 'checks',
        state: 'failed',
        message: `run_health_checks failed: ${firstHostile}`,
        duration_ms: 5000,
      },
      {
        at: '2025-05-01T10:33:00.000Z',
        state: 'failed',
        message: 'run failed: action "checks" failed',
        duration_ms: 60_000,
      },
    ],
    artifacts: [
      {
        action_id: 'gw',
        name: 'global_conf.json',
        file: artifactFile,
        content_type: 'application/json',
        size: 20,
        sha256: 'a'.repeat(64),
      },
    ],
    tickets: [
      {
        run_id: 'arun_01JC90A7X8YQ2P3R4S5T6V7W8X',
        deployment_id: spec.deployment_id,
        action_id: 'checks',
        summary: `ticket: ${firstHostile}`,
        severity: 'critical',
      },
    ],
    api: 'http://api.example:3000',
    warnings: [],
  };
}

function decode(html: string): string {
  return html
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&');
}

function findHtml(dir: string, needle: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.html')) {
      const file = path.join(entry.parentPath, entry.name);
      if (file.includes(needle)) out.push(file);
    }
  }
  return out;
}

describe('a run page with hostile logs in a real Docusaurus build', () => {
  it('builds, and shows every hostile line verbatim as text', async () => {
    const site = path.join(tmp.dir, 'site');
    makeSite(site);
    const docs = path.join(site, 'docs');
    const dayDir = path.join(docs, 'projects/farm-north-lorawan/runs/2025-05-01');
    const artifact = path.join(dayDir, 'arun_01JC90A7X8YQ2P3R4S5T6V7W8X.artifacts/gw/global_conf.json');
    fs.mkdirSync(path.dirname(artifact), { recursive: true });
    fs.writeFileSync(artifact, '{"gateway_conf":{}}\n');
    const written = writeRunPage(hostileRun(artifact), { docsRoot: docs });
    expect(fs.existsSync(written.paths.fullLog)).toBe(true); // the 12 000-line log was truncated

    const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, 'node_modules/@docusaurus/core/bin/docusaurus.mjs'), 'build', site, '--no-minify'],
        {
          cwd: site,
          env: { ...process.env, NODE_ENV: 'production', DOCUSAURUS_TELEMETRY_DISABLED: '1' },
          maxBuffer: 64 * 1024 * 1024,
          timeout: 240_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
      );
    });
    expect(res.out).not.toMatch(/Error: |error TS|MDX compilation failed/);
    expect(res.code, res.out.slice(-3000)).toBe(0);

    const build = path.join(site, 'build');
    const [pageHtml] = findHtml(build, 'arun_01JC90A7X8YQ2P3R4S5T6V7W8X');
    expect(pageHtml, 'the run page is in the build').toBeDefined();
    const html = fs.readFileSync(pageHtml!, 'utf8');
    const text = decode(html);
    for (const line of sanitizeText(HOSTILE).split('\n')) {
      if (line.trim() === '') continue;
      expect(text, `log line ${JSON.stringify(line.slice(0, 60))}`).toContain(line);
    }
    // Magic-comment-looking lines stayed in the log (the {0} meta turns that parsing off).
    expect(text).toContain('// highlight-next-line');
    // Prose and table cells are text too.
    expect(text).toContain(`run_health_checks failed: ${sanitizeText(HOSTILE.split('\n').slice(0, 12).join(' '))}`);
    // Nothing from the logs became markup.
    expect(html).not.toContain('<script>alert');
    expect(html).not.toMatch(/<div className="x"/);
    // Links: the full log and the artifact are served as files; the run index links the page.
    // (the HTML minifier drops attribute quotes)
    const fileLinks = [...html.matchAll(/href="?(\/assets\/files\/[^"\s>]+)/g)].map((m) => m[1]!);
    expect(fileLinks).toEqual([
      expect.stringMatching(/^\/assets\/files\/arun_01JC90A7X8YQ2P3R4S5T6V7W8X\.log-[0-9a-f]+\.txt$/),
      expect.stringMatching(/^\/assets\/files\/global_conf-[0-9a-f]+\.json$/),
    ]);
    for (const link of fileLinks) expect(fs.existsSync(path.join(build, link)), link).toBe(true);
    expect(fs.readFileSync(path.join(build, fileLinks[0]!), 'utf8')).toContain(
      "{11999} <line 11999> ``` import x from 'y'",
    );
    const [indexHtml] = findHtml(path.join(build, 'projects/farm-north-lorawan'), 'runs').filter(
      (f) => !f.includes('arun_'),
    );
    expect(fs.readFileSync(indexHtml!, 'utf8')).toMatch(
      /<td><a [^>]*href="?\/projects\/farm-north-lorawan\/runs\/2025-05-01\/arun_01JC90A7X8YQ2P3R4S5T6V7W8X"?>arun_01JC90A7X8YQ2P3R4S5T6V7W8X<\/a>/,
    );
  }, 300_000);
});
