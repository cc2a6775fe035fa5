// Template pages: they hold the page to create, and use only the variables `fleetbook new` fills.
import { TEMPLATE_BLOCK, TEMPLATE_VARIABLES } from '../../../data-api/src/contracts/template.ts';
import { list, q } from '../../remark-runbook/rules/util.ts';
import type { PageRule } from '../types.ts';

const TAG = /\{\{([#^/]?)\s*([\w.]+)\s*\}\}/g;

export const missingTemplate: PageRule = {
  id: 'template/missing-template',
  severity: 'error',
  scope: 'page',
  kind: 'template',
  description: 'A template page holds the page to create in a ````mdx block (four backticks).',
  check({ page, report }) {
    if (!TEMPLATE_BLOCK.test(page.source))
      report('Missing template, expected the page to create in a ````mdx block (four backticks)', page.top());
  },
};

export const unknownVariable: PageRule = {
  id: 'template/unknown-variable',
  severity: 'error',
  scope: 'page',
  kind: 'template',
  description: 'The template (and its target) use only the variables `fleetbook new` fills in.',
  check({ page, report }) {
    const block = TEMPLATE_BLOCK.exec(page.source);
    const fm = page.frontmatter;
    const spans: Array<[number, string]> = [];
    if (block) spans.push([block.index + block[0].indexOf('\n') + 1, block[1]!]);
    if (fm) spans.push([fm.start, fm.text]);
    for (const [offset, text] of spans) {
      for (const m of text.matchAll(TAG)) {
        const root = m[2]!.split('.')[0]!;
        if ((TEMPLATE_VARIABLES as readonly string[]).includes(root)) continue;
        report(
          `Unexpected variable ${q(m[2])}, expected one of ${list(TEMPLATE_VARIABLES)}`,
          page.span(offset + m.index!, offset + m.index! + m[0].length),
        );
      }
    }
  },
};
