// The frontmatter against its zod contract: one message per issue, at the key or value it is about.
import fs from 'node:fs';
import path from 'node:path';
import type { ZodType } from 'zod';
import { productFrontmatterSchema } from '../../../data-api/src/contracts/catalog.ts';
import { promptFrontmatterSchema } from '../../../data-api/src/contracts/prompt.ts';
import { templateFrontmatterSchema } from '../../../data-api/src/contracts/template.ts';
import { DOCUSAURUS_DOC_KEYS } from '../../../data-api/src/contracts/runbook.ts';
import { safeParseNotingKeys, knownKeysOf } from '../../../data-api/src/contracts/unknown-keys.ts';
import { didYouMean, isObj, list, pathText, q } from '../../remark-runbook/rules/util.ts';
import type { LibraryPage, PageKind, PageRule } from '../types.ts';

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty value';
  if (Array.isArray(value)) return value.length ? 'list' : 'empty list';
  if (isObj(value)) return 'mapping';
  return q(value);
}

function valueAt(data: unknown, at: readonly PropertyKey[]): unknown {
  let v = data;
  for (const seg of at)
    v = Array.isArray(v) && typeof seg === 'number' ? v[seg] : isObj(v) ? v[String(seg)] : undefined;
  return v;
}

function schemaRule(kind: PageKind, schema: ZodType, topKeys: readonly string[] | null, example: string): PageRule {
  return {
    id: `${kind}/schema`,
    severity: 'error',
    scope: 'page',
    kind,
    description: `The frontmatter matches the ${kind} contract: known keys, right types, required keys present.`,
    check({ page, report }) {
      if (page.data === undefined) {
        if (!page.syntax.length) report(`Missing frontmatter, expected a \`---\` block with ${example}`, page.top());
        return;
      }
      // A non-strict contract (Docusaurus keys sit beside ours): a typo at the top would pass silently.
      if (topKeys && isObj(page.data)) {
        for (const key of Object.keys(page.data)) {
          if (!topKeys.includes(key))
            report(
              `Unexpected key \`${key}\`, expected one of ${list(topKeys.filter((k) => !(DOCUSAURUS_DOC_KEYS as readonly string[]).includes(k)))} or a Docusaurus doc key${didYouMean(key, topKeys)}`,
              page.locate([key], 'key'),
            );
        }
      }
      const res = safeParseNotingKeys(schema, page.data);
      if (res.success) return;
      for (const issue of res.error.issues) {
        const at = issue.path as (string | number)[];
        const where = pathText(at);
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys)
            report(
              `Unexpected key \`${key}\`${where ? ` in \`${where}\`` : ''}, expected ${issue.message.includes('key') ? 'a key of the contract' : issue.message}${didYouMean(key, knownKeysOf(issue))}`,
              page.locate([...at, key], 'key'),
            );
          continue;
        }
        const value = valueAt(page.data, at);
        if (value === undefined && issue.code !== 'custom')
          report(
            `Missing \`${where}\`, expected ${issue.message.replace(/^Invalid input: expected /, 'a ').replace(/, received undefined$/, '')}`,
            page.locate(at),
          );
        else
          report(
            issue.code === 'custom'
              ? `Unexpected \`${where}\`: ${issue.message}`
              : `Unexpected ${describe(value)} for \`${where}\`, ${issue.message.replace(/^Invalid (input|option): /, '')}`,
            page.locate(at),
          );
      }
    },
  };
}

export const productSchema = schemaRule(
  'product',
  productFrontmatterSchema,
  ['title', ...Object.keys(productFrontmatterSchema.shape), ...DOCUSAURUS_DOC_KEYS],
  'the product: product_code, name, category, versions',
);
export const promptSchema = schemaRule(
  'prompt',
  promptFrontmatterSchema,
  null,
  'the prompt: id, title, kind: prompt, purpose, version, products, inputs',
);
export const templateSchema = schemaRule(
  'template',
  templateFrontmatterSchema,
  [...Object.keys(templateFrontmatterSchema.shape), ...DOCUSAURUS_DOC_KEYS],
  'the template: title, template, target, needs',
);

export const missingDatasheet: PageRule = {
  id: 'product/missing-datasheet',
  severity: 'error',
  scope: 'page',
  kind: 'product',
  description: 'Every datasheet a version lists is a file under static/ (the site path `/datasheets/…` serves it).',
  check({ page, env, report }) {
    const versions = isObj(page.data) && Array.isArray(page.data.versions) ? page.data.versions : [];
    versions.forEach((v, vi) => {
      if (!isObj(v) || !Array.isArray(v.datasheets)) return;
      v.datasheets.forEach((d, di) => {
        if (!isObj(d) || typeof d.file !== 'string' || !d.file.startsWith('/')) return;
        const file = path.join(env.siteDir, env.staticDir, ...d.file.split('/').filter(Boolean));
        if (fs.existsSync(file) && fs.statSync(file).isFile()) return;
        report(
          `Unexpected datasheet ${q(d.file)}: no file ${env.staticDir}${d.file}, expected the datasheet under ${env.staticDir}/`,
          page.locate(['versions', vi, 'datasheets', di, 'file']),
        );
      });
    });
  },
};
