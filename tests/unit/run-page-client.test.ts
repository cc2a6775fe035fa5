import fs from 'node:fs';
import path from 'node:path';
import type { Nodes } from 'mdast';
import { describe, expect, it } from 'vitest';
import { renderRunPage, sanitizeText } from '../../data-api/src/automation/run-page.ts';
import type { RunRecord } from '../../data-api/src/automation/runner.ts';
import { specDigest } from '../../data-api/src/automation/spec-file.ts';
import { parseRunPage, siteHref, stateOfMark } from '../../src/components/RunPages/markdown.ts';
import { makeSpec } from '../helpers/automation.ts';

// fleetbook's site draws committed run pages from their MDX in the browser (plugins/run-pages,
// src/components/RunPages) instead of compiling each as a doc. What a reader sees must be what
// the MDX build shows (tests/integration/run-page-build.test.ts): every hostile log line as text,
// nothing from data turned into markup, the step tree as mermaid, links as the built site has them.
const HOSTILE = fs.readFileSync(path.join(__dirname, '../fixtures/hostile-logs.txt'), 'utf8');
const RUN_ID = 'arun_01JC90A7X8YQ2P3R4S5T6V7W8X';

function hostileRun(): RunRecord {
  const spec = makeSpec([
    {
      id: 'vm',
      type: 'provision_vm',
      with: { node: 'pve1', template_vmid: 9000, name: 'cs-farm-north', ip: '10.0.0.21/24' },
    },
    { id: 'checks', type: 'run_health_checks', depends_on: ['vm'], with: { checks: [{ tcp: 'cs-farm-north:22' }] } },
  ]);
  const firstHostile = HOSTILE.split('\n').slice(0, 12).join(' ');
  return {
    run_id: RUN_ID,
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
      {
        at: '2025-05-01T10:33:00.000Z',
        action_id: 'checks',
        state: 'failed',
        message: `run_health_checks failed: ${firstHostile}`,
        duration_ms: 5000,
      },
    ],
    artifacts: [],
    tickets: [],
    api: 'http://api.example:3000',
    warnings: [],
  };
}

function walk(node: Nodes, visit: (n: Nodes) => void): void {
  visit(node);
  if ('children' in node) for (const c of node.children) walk(c as Nodes, visit);
}

describe('a run page drawn from its MDX in the browser', () => {
  const page = `/docs/projects/farm-north-lorawan/runs/2025-05-01/${RUN_ID}`;
  const tree = parseRunPage(renderRunPage(hostileRun(), { maxLogBytes: 2000 }).mdx);
  const nodes: Nodes[] = [];
  walk(tree, (n) => nodes.push(n));
  const text = nodes.map((n) => ('value' in n && n.type !== 'html' ? n.value : '')).join('\n');

  it('shows every hostile log line as text, and the title, summary and timeline', () => {
    const first = nodes.find((n) => n.type === 'heading');
    expect(first && first.type === 'heading' && first.depth).toBe(1);
    expect(text).toContain(`Run ${RUN_ID}`);
    for (const line of sanitizeText(HOSTILE).split('\n').slice(0, 40)) {
      if (line.trim() === '') continue;
      expect(text, `log line ${JSON.stringify(line.slice(0, 60))}`).toContain(line);
    }
    expect(text).toContain(`run_health_checks failed: ${sanitizeText(HOSTILE.split('\n').slice(0, 12).join(' '))}`);
    expect(text).toContain('FAIL  tcp  <b>{refused}</b>');
    // Each table keeps the name of the frame it scrolls in (RunPageBody draws the frame).
    expect(nodes.filter((n) => n.type === 'table').map((n) => n.data?.frame)).toEqual(['Actions', 'Timeline']);
  });

  it('no data becomes markup: the only HTML is the state marks; the MDX comment and frontmatter are gone', () => {
    const html = nodes.filter((n) => n.type === 'html').map((n) => (n as { value: string }).value);
    expect(html.length).toBeGreaterThan(0);
    for (const h of html) expect(stateOfMark(h), h).toMatch(/^(succeeded|failed|skipped|queued|running)$/);
    expect(text).not.toContain('Written by fleetbook run');
    expect(text).not.toContain('spec_digest');
    expect(stateOfMark('<span className="fb-state fb-state--failed" aria-hidden="true" />')).toBe('failed');
    expect(stateOfMark('<StateIcon state="succeeded" />')).toBe('succeeded');
    expect(stateOfMark('<script>alert(1)</script>')).toBeNull();
  });

  it('the step tree is a mermaid block; logs keep the {0} meta', () => {
    const code = nodes.filter((n) => n.type === 'code') as Array<{
      lang?: string | null;
      meta?: string | null;
      value: string;
    }>;
    expect(code.find((c) => c.lang === 'mermaid')!.value).toMatch(/^flowchart/);
    expect(code.filter((c) => c.lang === 'text').every((c) => c.meta === '{0}')).toBe(true);
  });

  it('links: the full log beside the page, the runs index as a route', () => {
    const links = nodes.filter((n) => n.type === 'link').map((n) => siteHref((n as { url: string }).url, page));
    expect(links).toContain(`/docs/projects/farm-north-lorawan/runs/2025-05-01/${RUN_ID}.log.txt`);
    expect(links).toContain('/docs/projects/farm-north-lorawan/runs');
    expect(siteHref('pathname:///docs/projects/farm/runs/arun_1', page)).toBe('/docs/projects/farm/runs/arun_1');
    expect(siteHref('https://git.example.org/x', page)).toBe('https://git.example.org/x');
  });
});
