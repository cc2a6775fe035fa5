import type { Gate } from '../../data-api/src/contracts/runbook.ts';

/** What the remark plugin passes: the page's frontmatter (the API keeps its own snapshot per execution). */
export interface RunbookProp {
  id: string;
  version: number;
  title?: string;
  kind?: string;
  product_code?: string;
  /** The product versions it applies to (a semver range): the picker greys out the others. */
  product_versions?: string;
  track?: string;
  step?: number;
  gates: Gate[];
}
