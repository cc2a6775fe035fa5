// Shapes of the library lint: a page (frontmatter with positions, and its body), the rules.
import type { Root } from 'mdast';
import type { FrontmatterPage } from '../remark-runbook/analyze.ts';
import type { Cause, LintMessage, Place, Severity } from '../remark-runbook/types.ts';

export type { LintMessage, Place, Severity };

export type PageKind = 'product' | 'prompt' | 'template';

export interface LibraryPage extends FrontmatterPage {
  kind: PageKind;
  /** The body; null when it was not parsed (site scan) or is not valid MDX. */
  tree: Root | null;
}

export interface LibraryEnv {
  siteDir: string;
  staticDir: string;
  /** Product codes of the catalog; null when the catalog folder is missing. */
  products: ReadonlySet<string> | null;
}

type Report = (reason: string, place: Place, extra?: { cause?: Cause }) => void;

interface RuleBase {
  /** `product/<rule-id>` or `prompt/<rule-id>` */
  id: string;
  severity: Severity;
  kind: PageKind;
  description: string;
}
export interface PageRule extends RuleBase {
  scope: 'page';
  check(ctx: { page: LibraryPage; env: LibraryEnv; report: Report }): void;
}
export interface SiteRule extends RuleBase {
  scope: 'site';
  check(ctx: { pages: readonly LibraryPage[]; report: (page: LibraryPage, ...args: Parameters<Report>) => void }): void;
}
export type LibraryRule = PageRule | SiteRule;
