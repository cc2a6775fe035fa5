// Plugin options, Docusaurus options.ts habit: one defaults object, a schema whose defaults
// point at it, and validateOptions(). `import * as z`: loaded by Docusaurus through jiti.
import * as z from 'zod';

export const DEFAULT_OPTIONS = {
  /** The site root; the folders below are relative to it. */
  siteDir: '.',
  /** Product pages: `<productsDir>/<code>/index.mdx`. */
  productsDir: 'docs/products',
  /** Prompt pages: every page under it but index pages and `_partials`. */
  promptsDir: 'docs/prompts',
  /** Page templates of `fleetbook new`: every page in it but its index. */
  templatesDir: 'docs/templates',
  /** Where a datasheet's site path (`/datasheets/…`) must exist as a file. */
  staticDir: 'static',
  /** Throw (fail the Docusaurus build) when a page has errors. */
  throwOnError: true,
} as const;

export const optionsSchema = z.strictObject({
  siteDir: z.string().min(1).default(DEFAULT_OPTIONS.siteDir),
  productsDir: z.string().min(1).default(DEFAULT_OPTIONS.productsDir),
  promptsDir: z.string().min(1).default(DEFAULT_OPTIONS.promptsDir),
  templatesDir: z.string().min(1).default(DEFAULT_OPTIONS.templatesDir),
  staticDir: z.string().min(1).default(DEFAULT_OPTIONS.staticDir),
  throwOnError: z.boolean().default(DEFAULT_OPTIONS.throwOnError),
});

export type Options = z.input<typeof optionsSchema>;
export type PluginOptions = z.output<typeof optionsSchema>;

export function validateOptions(options: unknown): PluginOptions {
  const res = optionsSchema.safeParse(options ?? {});
  if (res.success) return res.data;
  throw new Error(
    `remark-library: invalid options: ${res.error.issues.map((i) => `\`${i.path.join('.') || 'options'}\`: ${i.message}`).join('; ')}`,
  );
}
