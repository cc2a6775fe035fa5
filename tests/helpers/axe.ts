import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');

export interface AxeFinding {
  rule: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: { target: string; html: string; summary: string }[];
}

export interface AxeScanOptions {
  /** Rules to run besides axe's defaults, e.g. target-size (WCAG 2.2 AA, off by default) on a phone. */
  also?: string[];
}

/**
 * axe-core (the engine users of this kind of product run in their browsers' dev tools) over the
 * page as it is now: every rule axe enables by default (and `also`), violations only.
 */
export async function axeScan(page: Page, options: AxeScanOptions = {}): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  const run: Record<string, unknown> = { resultTypes: ['violations'] };
  if (options.also?.length) run.rules = Object.fromEntries(options.also.map((r) => [r, { enabled: true }]));
  return page.evaluate(async (run) => {
    type Result = {
      id: string;
      impact: AxeFinding['impact'];
      help: string;
      nodes: { target: unknown[]; html: string; failureSummary?: string }[];
    };
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Result[] }> } })
      .axe;
    const { violations } = await axe.run(document, run);
    return violations.map((v) => ({
      rule: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({
        target: n.target.map(String).join(' '),
        html: n.html.slice(0, 200),
        summary: n.failureSummary ?? '',
      })),
    }));
  }, run);
}

/** Node counts per impact (what blocks: critical and serious, and the rules of ALSO_BLOCKING). */
export function countByImpact(findings: AxeFinding[]): Record<'critical' | 'serious' | 'moderate' | 'minor', number> {
  const out = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const f of findings) if (f.impact) out[f.impact] += f.nodes.length;
  return out;
}

/**
 * Rules below serious that block all the same: found, fixed and kept fixed.
 * landmark-unique (moderate): two landmarks of a role need names of their own, e.g. two widgets'
 * table regions or pagers on one page (src/widgets/shared/WidgetFrame.tsx, titleText).
 * heading-order (moderate): heading levels go down one at a time. A widget's title is an h3
 * (WidgetFrame), so a page puts it under an h2 (a `##` section in MDX; FleetPage's h2s).
 * image-redundant-alt (minor): an image's alt repeats the text beside it, so it is read twice; the
 * navbar logo is decorative next to the site title (docusaurus.config.ts, `logo.alt: ''`).
 * empty-table-header (minor): a header cell without a name. A markdown table's first header cell
 * is written (`| field | value |`, not `| | |`); a cell that is no header is a `<td>` (the
 * product sheet's total row), a column of buttons has a visually hidden name (SilenceTable).
 */
export const ALSO_BLOCKING: ReadonlySet<string> = new Set([
  'landmark-unique',
  'heading-order',
  'image-redundant-alt',
  'empty-table-header',
]);

/** The findings a page must not have, written so a failing test says what and where. */
export function blocking(findings: AxeFinding[]): string[] {
  return findings
    .filter((f) => f.impact === 'critical' || f.impact === 'serious' || ALSO_BLOCKING.has(f.rule))
    .flatMap((f) => f.nodes.map((n) => `${f.impact} ${f.rule} (${f.help}): ${n.target} ${n.html}`));
}
