import fs from 'node:fs';
import path from 'node:path';
import { compile } from '@mdx-js/mdx';
import type { Paragraph, Root } from 'mdast';
import remarkFrontmatter from 'remark-frontmatter';
import remarkGfm from 'remark-gfm';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { VFile } from 'vfile';
import { describe, expect, it } from 'vitest';
import remarkRunbook from '../../plugins/remark-runbook/index.ts';
import remarkRunbookRunner, { runnerProps, valueToEstree } from '../../plugins/remark-runbook/runner.ts';
import { ROOT } from '../helpers/cli.ts';

// runbooks.md: "the plugin turns it into the interactive checklist component" — the runner is
// injected as `<RunbookRunner runbook={{…}} />` with its import, and the printable task list
// stays for the server render, print and browsers without the API.

const PRACTICE = path.join(ROOT, 'runbooks/practice-first-execution.mdx');

async function run(file: string, source = fs.readFileSync(file, 'utf8')) {
  const vfile = new VFile({ path: file, value: source });
  const processor = unified()
    .use(remarkParse)
    .use(remarkFrontmatter, ['yaml'])
    .use(remarkGfm)
    .use(remarkMdx)
    .use(remarkRunbook, { siteDir: ROOT, printWarnings: false })
    .use(remarkRunbookRunner);
  return { tree: (await processor.run(processor.parse(vfile), vfile)) as Root, vfile };
}

describe('remark-runbook runner injection', () => {
  it('puts the import first and the runner under the title, and keeps the printable task list', async () => {
    const { tree } = await run(PRACTICE);
    expect(tree.children[0]!.type).toBe('yaml');
    expect(tree.children[1]).toMatchObject({
      type: 'mdxjsEsm',
      value: "import { RunbookRunner } from '@site/src/runbook'",
    });
    const h1 = tree.children.findIndex((n) => n.type === 'heading' && n.depth === 1);
    expect(tree.children[h1 + 1]).toMatchObject({ type: 'mdxJsxFlowElement', name: 'RunbookRunner' });
    // The printable list stays: items anchored by their task id, the `{#id}` marker out of the
    // text, each checkbox named by its item's text (axe: no unlabelled form fields).
    const items = tree.children
      .flatMap((n) => (n.type === 'list' ? n.children : []))
      .filter((i) => i.data?.hProperties?.className);
    expect(items.length).toBeGreaterThan(3);
    const first = items[0]!;
    const para = first.children[0] as Paragraph;
    const box = para.children[0] as unknown as {
      name: string;
      attributes: Array<{ name: string; value: string | null }>;
    };
    expect(box.name).toBe('input');
    const label = box.attributes.find((a) => a.name === 'aria-label')!.value!;
    expect(label.length).toBeGreaterThan(3);
    expect(label).not.toContain('{#');
    expect(String(first.data!.hProperties!.id)).toMatch(/^task-[a-z0-9-]+$/);
    expect(JSON.stringify(tree)).not.toMatch(/\{#[a-z0-9-]+\}/);
  });

  it('passes id, version, title, kind and the gates as an object expression that compiles', async () => {
    const source = fs.readFileSync(PRACTICE, 'utf8');
    const { tree } = await run(PRACTICE, source);
    const el = tree.children.find((n) => n.type === 'mdxJsxFlowElement')!;
    const attr = (el as { attributes: { name: string; value: { value: string } }[] }).attributes[0]!;
    expect(attr.name).toBe('runbook');
    const props = JSON.parse(attr.value.value);
    expect(props).toMatchObject({
      id: 'rb-practice-first-execution',
      version: 1,
      kind: 'runbook',
      title: 'Practice: your first runbook execution',
    });
    expect(props.gates.map((g: { id: string }) => g.id)).toEqual(['g1-prepare', 'g2-bench', 'g3-wrap-up']);

    // The MDX compiler builds the page from the estree, as Docusaurus does.
    const out = String(
      await compile(new VFile({ path: PRACTICE, value: source }), {
        remarkPlugins: [
          [remarkFrontmatter, ['yaml']],
          remarkGfm,
          [remarkRunbook, { siteDir: ROOT, printWarnings: false }],
          remarkRunbookRunner,
        ],
      }),
    );
    expect(out).toContain("import {RunbookRunner} from '@site/src/runbook'");
    expect(out).toMatch(/_jsx\(RunbookRunner, \{\s*runbook: \{\s*"id": "rb-practice-first-execution"/);
    expect(out).toContain('"expect": {');
    expect(out).toContain('"min": 11.5');
    expect(out).toContain('"aria-label"');
    expect(out).toMatch(/id: "task-/);
  });

  it('leaves pages alone that are not runbooks, that place their own runner, or that fail the schema', async () => {
    const plain = await run(path.join(ROOT, 'docs/tutorials/fleetbook-basics/index.mdx'));
    expect(plain.tree.children.some((n) => n.type === 'mdxJsxFlowElement' && n.name === 'RunbookRunner')).toBe(false);

    const own = fs
      .readFileSync(PRACTICE, 'utf8')
      .replace(
        '# Practice: your first runbook execution',
        "import { RunbookRunner } from '@site/src/runbook';\n\n# Practice: your first runbook execution\n\n<RunbookRunner runbook={{ id: 'x', version: 1, gates: [] }} />",
      );
    const placed = await run(PRACTICE, own);
    expect(
      placed.tree.children.filter((n) => n.type === 'mdxJsxFlowElement' && n.name === 'RunbookRunner'),
    ).toHaveLength(1);
    expect(placed.tree.children.filter((n) => n.type === 'mdxjsEsm')).toHaveLength(1);
  });

  it('turns values into estree literals (negative numbers as unary minus)', () => {
    expect(valueToEstree(-1.5)).toMatchObject({
      type: 'UnaryExpression',
      operator: '-',
      argument: { type: 'Literal', value: 1.5 },
    });
    expect(valueToEstree({ a: [1, 'x', null, true] })).toMatchObject({
      type: 'ObjectExpression',
      properties: [
        {
          key: { value: 'a' },
          value: {
            type: 'ArrayExpression',
            elements: [{ value: 1 }, { value: 'x' }, { value: null }, { value: true }],
          },
        },
      ],
    });
    expect(
      runnerProps({
        id: 'rb-t',
        title: 'T',
        kind: 'tutorial',
        version: 2,
        requires: [],
        track: 'basics',
        step: 3,
        gates: [],
      } as never),
    ).toEqual({ id: 'rb-t', version: 2, title: 'T', kind: 'tutorial', track: 'basics', step: 3, gates: [] });
  });
});
