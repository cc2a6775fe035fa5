// Plugin options, Docusaurus options.ts habit: one defaults object, a schema whose defaults
// point at it, and validateOptions().
// `import * as z`: loaded by Docusaurus through jiti (see data-api/src/contracts/runbook.ts).
import * as z from 'zod';

export const DEFAULT_OPTIONS = {
  /** The site root; the folders below are relative to it. */
  siteDir: '.',
  /** Every page in this folder is a runbook (except overview index pages and `_partials`). */
  runbooksDir: 'runbooks',
  /** Pages here are runbooks when their frontmatter declares `kind: runbook | sop | tutorial`. */
  docsDir: 'docs',
  /** The product catalog: `product_code` of `<productsDir>/*\/index.md(x)`. */
  productsDir: 'docs/products',
  /** Tutorial tracks live in `<tutorialsDir>/<track>/`. */
  tutorialsDir: 'docs/tutorials',
  /** Run the cross-file rules (ids, requires, tutorial steps) against the whole site. */
  crossFile: true,
  /** Append a printable task list when the frontmatter has gates and the body has none. */
  appendChecklist: true,
  /** Throw (fail the Docusaurus build) when a runbook has errors. */
  throwOnError: true,
  /** Print warnings to stderr (the build does not show vfile messages otherwise). */
  printWarnings: true,
} as const;

export const optionsSchema = z.strictObject({
  siteDir: z.string().min(1).default(DEFAULT_OPTIONS.siteDir),
  runbooksDir: z.string().min(1).default(DEFAULT_OPTIONS.runbooksDir),
  docsDir: z.string().min(1).default(DEFAULT_OPTIONS.docsDir),
  productsDir: z.string().min(1).default(DEFAULT_OPTIONS.productsDir),
  tutorialsDir: z.string().min(1).default(DEFAULT_OPTIONS.tutorialsDir),
  crossFile: z.boolean().default(DEFAULT_OPTIONS.crossFile),
  appendChecklist: z.boolean().default(DEFAULT_OPTIONS.appendChecklist),
  throwOnError: z.boolean().default(DEFAULT_OPTIONS.throwOnError),
  printWarnings: z.boolean().default(DEFAULT_OPTIONS.printWarnings),
});

export type Options = z.input<typeof optionsSchema>;
export type PluginOptions = z.output<typeof optionsSchema>;

/** Options → validated options with defaults; throws one readable error naming the bad option. */
export function validateOptions(options: unknown): PluginOptions {
  const res = optionsSchema.safeParse(options ?? {});
  if (res.success) return res.data;
  const lines = res.error.issues.map((i) => {
    const where = i.path.length ? `\`${i.path.join('.')}\`` : 'options';
    if (i.code === 'unrecognized_keys')
      return `unexpected option ${i.keys.map((k) => `\`${k}\``).join(', ')}, expected one of ${Object.keys(
        DEFAULT_OPTIONS,
      )
        .map((k) => `\`${k}\``)
        .join(', ')}`;
    return `${where}: ${i.message}`;
  });
  throw new Error(`remark-runbook: invalid options: ${lines.join('; ')}`);
}
