// Prompt pages: their products exist, their ids are unique, and the prompt text uses exactly
// the inputs the frontmatter declares.
import type { Code } from 'mdast';
import { visit } from 'unist-util-visit';
import { PROMPT_PLACEHOLDER } from '../../../data-api/src/contracts/prompt.ts';
import { firstClaims, idClaims, isObj, list, q } from '../../remark-runbook/rules/util.ts';
import type { LibraryPage, PageRule, Place, SiteRule } from '../types.ts';

/** The page's `prompt` code blocks, with where each placeholder is written. */
function prompts(page: LibraryPage): Array<{ node: Code; uses: Array<{ name: string; place: Place }> }> {
  const out: Array<{ node: Code; uses: Array<{ name: string; place: Place }> }> = [];
  if (!page.tree) return out;
  visit(page.tree, 'code', (node: Code) => {
    if (node.lang !== 'prompt') return;
    const start = node.position?.start.offset ?? 0;
    // The value starts after the opening fence's line.
    const valueAt = page.source.indexOf('\n', start) + 1;
    const uses = [...node.value.matchAll(PROMPT_PLACEHOLDER)].map((m) => ({
      name: m[1]!,
      place: page.span(valueAt + m.index!, valueAt + m.index! + m[0].length),
    }));
    out.push({ node, uses });
  });
  return out;
}

const declared = (page: LibraryPage): Array<{ name: string; index: number }> =>
  isObj(page.data) && Array.isArray(page.data.inputs)
    ? page.data.inputs.flatMap((i, index) => (isObj(i) && typeof i.name === 'string' ? [{ name: i.name, index }] : []))
    : [];

export const unknownProduct: PageRule = {
  id: 'prompt/unknown-product',
  severity: 'error',
  scope: 'page',
  kind: 'prompt',
  description: 'Every code in `products` is in the product catalog, or `*` for every product.',
  check({ page, env, report }) {
    if (!isObj(page.data) || !Array.isArray(page.data.products) || !env.products) return;
    page.data.products.forEach((code, i) => {
      if (typeof code !== 'string' || code === '*' || env.products!.has(code)) return;
      report(
        `Unexpected product ${q(code)}, expected one of ${list([...env.products!].sort())} or \`*\``,
        page.locate(['products', i]),
      );
    });
  },
};

export const missingPrompt: PageRule = {
  id: 'prompt/missing-prompt',
  severity: 'error',
  scope: 'page',
  kind: 'prompt',
  description: 'A prompt page holds its text in a `prompt` code block.',
  check({ page, report }) {
    if (page.tree && prompts(page).length === 0)
      report('Missing prompt text, expected a ```prompt code block in the body', page.top());
  },
};

export const undeclaredInput: PageRule = {
  id: 'prompt/undeclared-input',
  severity: 'error',
  scope: 'page',
  kind: 'prompt',
  description: 'Every `{{name}}` in the prompt text is an input of the frontmatter.',
  check({ page, report }) {
    const names = declared(page).map((d) => d.name);
    for (const block of prompts(page)) {
      for (const use of block.uses) {
        if (!names.includes(use.name))
          report(
            `Unexpected input \`{{${use.name}}}\`, expected one of the declared inputs${names.length ? ` ${list(names)}` : ' (none declared)'}`,
            use.place,
          );
      }
    }
  },
};

export const unusedInput: PageRule = {
  id: 'prompt/unused-input',
  severity: 'warning',
  scope: 'page',
  kind: 'prompt',
  description: 'Every declared input is used in the prompt text.',
  check({ page, report }) {
    if (!page.tree) return;
    const used = new Set(prompts(page).flatMap((b) => b.uses.map((u) => u.name)));
    for (const d of declared(page)) {
      if (!used.has(d.name))
        report(
          `Unexpected unused input \`${d.name}\`, expected \`{{${d.name}}}\` in the prompt text`,
          page.locate(['inputs', d.index, 'name']),
        );
    }
  },
};

export const duplicatePromptId: SiteRule = {
  id: 'prompt/duplicate-id',
  severity: 'error',
  scope: 'site',
  kind: 'prompt',
  description: 'A prompt id is used once across the site; the first page by path keeps it.',
  check({ pages, report }) {
    firstClaims(
      idClaims(pages),
      'id',
      report,
      (id, first) => `Unexpected duplicate prompt id ${q(id)}, expected each id once (first in ${first})`,
    );
  },
};
