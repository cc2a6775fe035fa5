// Page templates (docs/templates/*.mdx): what `fleetbook new <template>` creates and where.
// Shared by the CLI and the lint (plugins/remark-library). `import * as z`: loaded through jiti.
import * as z from 'zod';

/** What a template may ask for on the command line. */
export const TEMPLATE_NEEDS = ['product', 'project'] as const;
/** Variables a template's target and body may use. */
export const TEMPLATE_VARIABLES = [
  'title',
  'title_yaml',
  'slug',
  'id',
  'date',
  'number',
  'owner',
  'product',
  'product_name',
  'product_versions',
  'product_versions_text',
  'project',
  'supply',
] as const;

export const templateFrontmatterSchema = z.object({
  title: z.string().trim().min(1),
  /** The name `fleetbook new` takes. */
  template: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a template name like decision'),
  /** Where the page goes, relative to the site, with variables: `runbooks/{{slug}}.mdx`. */
  target: z
    .string()
    .regex(/^(docs|runbooks)\/[A-Za-z0-9{}._/-]+\.mdx$/, 'expected a path under docs/ or runbooks/ ending in .mdx'),
  /** Flags the template cannot do without. */
  needs: z.array(z.enum(TEMPLATE_NEEDS)).default([]),
  description: z.string().optional(),
  sidebar_label: z.string().optional(),
  sidebar_position: z.number().optional(),
});
export type TemplateFrontmatter = z.infer<typeof templateFrontmatterSchema>;

/** The template's text: the first ````mdx block of its page (four backticks: it may hold code blocks). */
export const TEMPLATE_BLOCK = /^````mdx[^\n]*\n([\s\S]*?)\n````[ \t]*$/m;
