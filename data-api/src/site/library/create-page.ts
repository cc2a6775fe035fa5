// A page from a template, checked as the build will check it: runbooks and SOPs by the runbook
// lint, product and prompt pages by the library lint, every other page as MDX.
import fs from 'node:fs';
import path from 'node:path';
import remarkFrontmatter from 'remark-frontmatter';
import remarkMdx from 'remark-mdx';
import remarkParse from 'remark-parse';
import { unified } from 'unified';
import { lintLibrary } from '../../../../plugins/remark-library/lint.ts';
import { lintFiles } from '../../../../plugins/remark-runbook/lint.ts';
import { toResult, type LintResult } from '../../../../plugins/remark-runbook/report.ts';
import { newPage, type NewPageOptions } from './new-page.ts';

/** Pages no lint rule covers (projects, postmortems, decisions) must still be valid MDX for the build. */
function checkMdx(siteDir: string, rel: string): LintResult {
  try {
    unified()
      .use(remarkParse)
      .use(remarkFrontmatter, ['yaml'])
      .use(remarkMdx)
      .parse(fs.readFileSync(path.join(siteDir, rel), 'utf8'));
    return toResult([rel], []);
  } catch (err) {
    const e = err as { reason?: string; message?: string; line?: number; column?: number };
    const at = { line: e.line ?? 1, column: e.column ?? 1 };
    return toResult(
      [rel],
      [
        {
          path: rel,
          ...at,
          endLine: at.line,
          endColumn: at.column,
          severity: 'error',
          ruleId: 'mdx/syntax',
          reason: `Unexpected MDX (${e.reason ?? e.message})`,
          url: '',
        },
      ],
    );
  }
}

export async function createPage(
  options: NewPageOptions,
): Promise<{ created: ReturnType<typeof newPage>; lint: LintResult }> {
  const siteDir = path.resolve(options.siteDir);
  const created = newPage({ ...options, siteDir });
  let lint = created.path.startsWith('runbooks/')
    ? await lintFiles([created.path], { cwd: siteDir })
    : await lintLibrary([created.path], { cwd: siteDir });
  if (!lint.files.length) lint = checkMdx(siteDir, created.path);
  return { created, lint };
}
