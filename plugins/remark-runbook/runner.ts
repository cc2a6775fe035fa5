// The live checklist: on every runbook page (after remark-runbook has analysed it), inject
//   import { RunbookRunner } from '@site/src/runbook'
//   <RunbookRunner runbook={{ id, version, title, kind, product_code, product_versions, track, step, gates }} />
// right under the page title. The printable task list stays in the page: it is what the server
// render, a print-out and a browser without the data API show; the runner hides it on screen
// once an execution is live (src/runbook/styles).
// MDX nodes added by a plugin carry their own estree (MDX compiles from it, not from `value`).
import type { Expression, ObjectExpression, Program } from 'estree';
import type { Root, RootContent } from 'mdast';
import type { MdxJsxFlowElement } from 'mdast-util-mdx-jsx';
import type { MdxjsEsm } from 'mdast-util-mdxjs-esm';
import type { VFile } from 'vfile';
import type {} from './vfile-data.ts';
import { anchorTaskItems } from './task-anchors.ts';
import type { RunbookFrontmatter } from '../../data-api/src/contracts/runbook.ts';

export const RUNNER_COMPONENT = 'RunbookRunner';
export const RUNNER_SOURCE = '@site/src/runbook';

/** What the runner needs from the frontmatter (the API keeps its own snapshot per execution). */
export function runnerProps(fm: RunbookFrontmatter) {
  return {
    id: fm.id,
    version: fm.version,
    title: fm.title,
    kind: fm.kind,
    ...(fm.product_code ? { product_code: fm.product_code } : {}),
    ...(fm.product_versions ? { product_versions: fm.product_versions } : {}),
    ...(fm.track !== undefined ? { track: fm.track, step: fm.step } : {}),
    gates: fm.gates,
  };
}

/** A JSON-like value as an estree expression. */
export function valueToEstree(value: unknown): Expression {
  if (value === null || value === undefined) return { type: 'Literal', value: null, raw: 'null' };
  if (typeof value === 'number' && value < 0)
    return { type: 'UnaryExpression', operator: '-', prefix: true, argument: valueToEstree(-value) };
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return { type: 'Literal', value, raw: JSON.stringify(value) };
  if (Array.isArray(value)) return { type: 'ArrayExpression', elements: value.map(valueToEstree) };
  const obj: ObjectExpression = { type: 'ObjectExpression', properties: [] };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    obj.properties.push({
      type: 'Property',
      key: { type: 'Literal', value: key, raw: JSON.stringify(key) },
      value: valueToEstree(v),
      kind: 'init',
      method: false,
      shorthand: false,
      computed: false,
    });
  }
  return obj;
}

function importNode(): MdxjsEsm {
  const estree: Program = {
    type: 'Program',
    sourceType: 'module',
    body: [
      {
        type: 'ImportDeclaration',
        specifiers: [
          {
            type: 'ImportSpecifier',
            imported: { type: 'Identifier', name: RUNNER_COMPONENT },
            local: { type: 'Identifier', name: RUNNER_COMPONENT },
          },
        ],
        source: { type: 'Literal', value: RUNNER_SOURCE, raw: `'${RUNNER_SOURCE}'` },
        attributes: [],
      },
    ],
  };
  return { type: 'mdxjsEsm', value: `import { ${RUNNER_COMPONENT} } from '${RUNNER_SOURCE}'`, data: { estree } };
}

function runnerNode(props: ReturnType<typeof runnerProps>): MdxJsxFlowElement {
  const expression = valueToEstree(props);
  const estree: Program = {
    type: 'Program',
    sourceType: 'module',
    body: [{ type: 'ExpressionStatement', expression }],
  };
  return {
    type: 'mdxJsxFlowElement',
    name: RUNNER_COMPONENT,
    attributes: [
      {
        type: 'mdxJsxAttribute',
        name: 'runbook',
        value: { type: 'mdxJsxAttributeValueExpression', value: JSON.stringify(props), data: { estree } },
      },
    ],
    children: [],
  };
}

const isRunnerElement = (n: RootContent) => n.type === 'mdxJsxFlowElement' && n.name === RUNNER_COMPONENT;
const importsRunner = (n: RootContent) =>
  n.type === 'mdxjsEsm' && new RegExp(`\\b${RUNNER_COMPONENT}\\b`).test(n.value);

/** Adds the import and the runner element (under the first `# title`, else at the top); no-op if the page places its own. */
export function injectRunner(tree: Root, fm: RunbookFrontmatter): void {
  if (tree.children.some(isRunnerElement)) return;
  const element = runnerNode(runnerProps(fm));
  const h1 = tree.children.findIndex((n) => n.type === 'heading' && n.depth === 1);
  let at = h1 + 1;
  if (h1 < 0) {
    at = 0;
    while (at < tree.children.length && (tree.children[at]!.type === 'yaml' || tree.children[at]!.type === 'mdxjsEsm'))
      at++;
  }
  tree.children.splice(at, 0, element);
  if (!tree.children.some(importsRunner)) {
    const afterYaml = tree.children[0]?.type === 'yaml' ? 1 : 0;
    tree.children.splice(afterYaml, 0, importNode());
  }
}

/**
 * Runs after remark-runbook in the same processor: it reads the analysis remark-runbook left on
 * the file (`file.data.runbook`), so pages that are not runbooks, or whose frontmatter fails
 * the schema, are left alone.
 */
export default function remarkRunbookRunner() {
  return function transform(tree: Root, file: VFile): void {
    // `.md` pages are CommonMark, not MDX: they keep the plain GFM list.
    if (file.path && !file.path.endsWith('.mdx')) return;
    anchorTaskItems(tree);
    const parsed = file.data.runbook?.parsed;
    if (!parsed?.success) return;
    injectRunner(tree, parsed.data);
  };
}
