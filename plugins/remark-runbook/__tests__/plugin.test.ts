// The remark plugin as Docusaurus runs it: fails the build with the lint text, prints warnings,
// knows the whole site for cross-file rules, and appends a printable checklist when needed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Heading, List, Root } from 'mdast';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { VFile } from 'vfile';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRunbookPage } from '../analyze.ts';
import remarkRunbook, { RunbookLintError, type Options } from '../index.ts';
import { DEFAULT_OPTIONS, validateOptions } from '../options.ts';

const SITE = fileURLToPath(new URL('../__fixtures__/simple-site/', import.meta.url));

/** Runs a page through remark + the plugin like the docs plugin's MDX loader does. */
async function run(rel: string, value = fs.readFileSync(path.join(SITE, rel), 'utf8'), options: Options = {}) {
  const file = new VFile({ path: path.join(SITE, rel), value });
  const processor = unified()
    .use(remarkParse)
    .use(remarkFrontmatter, ['yaml'])
    .use(remarkGfm)
    .use(remarkMdx)
    .use(remarkRunbook, { siteDir: SITE, printWarnings: false, ...options });
  const tree = (await processor.run(processor.parse(file), file)) as Root;
  return { tree, file };
}

const WEEKLY = fs.readFileSync(path.join(SITE, 'docs/weekly.mdx'), 'utf8');

afterEach(() => vi.restoreAllMocks());

describe('remark-runbook in the build', () => {
  it('appends a printable checklist (a heading per gate, `- [ ] text` per item) when the body has none', async () => {
    const { tree, file } = await run('runbooks/pump-service.mdx');
    expect(file.messages).toEqual([]);
    const added = tree.children.slice(-4);
    expect(added.map((n) => n.type)).toEqual(['heading', 'list', 'heading', 'list']);
    expect(added.filter((n): n is Heading => n.type === 'heading').map((h) => [h.depth, h.children])).toEqual([
      [2, [{ type: 'text', value: 'Isolate' }]],
      [2, [{ type: 'text', value: 'Service' }]],
    ]);
    const items = added.filter((n): n is List => n.type === 'list').flatMap((l) => l.children);
    expect(items.map((i) => [i.checked, i.children])).toEqual([
      [false, [{ type: 'paragraph', children: [{ type: 'text', value: 'Pump locked out and tagged' }] }]],
      [false, [{ type: 'paragraph', children: [{ type: 'text', value: 'Outlet pressure after restart' }] }]],
    ]);
  });

  it('leaves a body that has its own task list as it is', async () => {
    const { tree } = await run('docs/weekly.mdx');
    expect(tree.children.map((n) => n.type)).toEqual(['yaml', 'heading', 'list']);
  });

  it('does not append when told not to', async () => {
    const { tree } = await run('runbooks/pump-service.mdx', undefined, { appendChecklist: false });
    expect(tree.children.map((n) => n.type)).toEqual(['yaml', 'heading', 'paragraph']);
  });

  it('ignores pages that are not runbooks: plain docs pages, the overview index, partials', async () => {
    for (const rel of ['docs/page.mdx', 'runbooks/index.mdx']) {
      const { file, tree } = await run(rel);
      expect(file.messages).toEqual([]);
      expect(file.data.runbook).toBeUndefined();
      expect(tree.children.at(-1)?.type).not.toBe('heading');
    }
  });

  it('fails the build with the same `file:line:column  message  rule-id` lines as fleetbook lint', async () => {
    const broken = WEEKLY.replace('id: rb-site-weekly', 'id: rb-site-broken').replace(
      'evidence: none',
      'evidence: selfie',
    );
    const err = await run('runbooks/broken.mdx', broken).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunbookLintError);
    expect((err as Error).message).toBe(
      [
        'runbook lint failed:',
        'runbooks/broken.mdx:13:56  Unexpected evidence kind `selfie`, expected one of `none`, `note`, `photo`, `file`, `link`, `value`  runbook/unknown-evidence-kind',
        '1 error, 0 warnings',
      ].join('\n'),
    );
    // Docusaurus JSON-dumps enumerable error fields under "Details": keep them empty.
    expect(JSON.stringify(err)).toBe('{}');
  });

  it('reports vfile messages (fatal for errors) when not throwing', async () => {
    const broken = WEEKLY.replace('id: rb-site-weekly', 'id: rb-site-broken')
      .replace('evidence: none', 'evidence: selfie')
      .replace('owner: ops\n', '');
    const { file } = await run('runbooks/broken.mdx', broken, { throwOnError: false });
    expect(file.messages.map((m) => [m.ruleId, m.source, m.fatal, m.line, m.column, m.url])).toEqual([
      ['missing-owner', 'runbook', false, 2, 1, '/docs/contracts/runbooks#runbookmissing-owner'],
      ['unknown-evidence-kind', 'runbook', true, 12, 56, '/docs/contracts/runbooks#runbookunknown-evidence-kind'],
    ]);
  });

  it('runs the cross-file rules against the whole site (scanned once, this page fresh)', async () => {
    // docs/weekly.mdx already has this id, and sorts first.
    const copy = WEEKLY.replace('title: Weekly pump round', 'title: A copy');
    const { file } = await run('runbooks/copy.mdx', copy, { throwOnError: false });
    expect(file.messages.map((m) => [m.ruleId, m.line, m.column, m.reason])).toEqual([
      [
        'duplicate-runbook-id',
        2,
        5,
        'Unexpected duplicate runbook id `rb-site-weekly`, expected an id unique across runbooks (first in docs/weekly.mdx:2:5)',
      ],
    ]);
    expect(file.messages[0]!.cause).toMatchObject({
      message: 'first defined here',
      file: 'docs/weekly.mdx',
      line: 2,
      column: 5,
    });
  });

  it('prints warnings once (client and server compilations may both run a page)', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const noOwner = WEEKLY.replace('owner: ops\n', '');
    const file = () => new VFile({ path: path.join(SITE, 'docs/weekly.mdx'), value: noOwner });
    const processor = unified()
      .use(remarkParse)
      .use(remarkFrontmatter, ['yaml'])
      .use(remarkGfm)
      .use(remarkMdx)
      .use(remarkRunbook, { siteDir: SITE });
    for (let i = 0; i < 2; i++) {
      const f = file();
      await processor.run(processor.parse(f), f);
    }
    expect(write.mock.calls.map((c) => c[0])).toEqual([
      '[WARNING] runbook lint:\ndocs/weekly.mdx:2:1  warning: Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`  runbook/missing-owner\n',
    ]);
  });
});

describe('options', () => {
  it('defaults come from one constant', () => {
    expect(validateOptions(undefined)).toEqual(DEFAULT_OPTIONS);
  });

  it('an unknown or mistyped option is one readable error', () => {
    expect(() => validateOptions({ runbookDir: 'x' })).toThrow(
      'remark-runbook: invalid options: unexpected option `runbookDir`, expected one of `siteDir`, `runbooksDir`, `docsDir`, `productsDir`, `tutorialsDir`, `crossFile`, `appendChecklist`, `throwOnError`, `printWarnings`',
    );
    expect(() => validateOptions({ throwOnError: 'yes' })).toThrow(
      /^remark-runbook: invalid options: `throwOnError`: /,
    );
  });
});

describe('which pages are runbooks', () => {
  const fm = (body: string) => `---\n${body}\n---\n\n# Page\n`;
  it.each([
    ['runbooks/a.mdx', fm('title: A'), true],
    ['runbooks/sub/b.md', '# no frontmatter', true],
    ['runbooks/index.mdx', fm('title: Runbooks'), false],
    ['runbooks/index.mdx', fm('kind: runbook'), true],
    ['runbooks/README.md', fm('gates: []'), true],
    ['runbooks/_partial.mdx', fm('kind: runbook'), false],
    ['runbooks/_shared/c.mdx', fm('title: C'), false],
    ['docs/a.mdx', fm('title: A'), false],
    ['docs/a.mdx', fm('kind: sop'), true],
    ['docs/a.mdx', fm("kind: 'tutorial' # onboarding"), true],
    ['docs/a.mdx', fm('kind: guide'), false],
    ['docs/a.mdx', '# kind: runbook\n', false],
  ])('%s with %j → %s', (rel, source, expected) => {
    expect(isRunbookPage(rel, source, 'runbooks')).toBe(expected);
  });
});
