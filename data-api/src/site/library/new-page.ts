// `fleetbook new <template>`: a page from a template of docs/templates/, in the folder the
// template names, with the product's and the project's facts filled in. Checked like any page.
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { parse as parseYaml } from 'yaml';
import { render } from '../../../../firmware/generator/render.ts';
import { mdxText } from '../../../../firmware/generator/runbook.ts';
import { TEMPLATE_BLOCK, templateFrontmatterSchema, type TemplateFrontmatter } from '../../contracts/template.ts';
import { productsFor, readProductCatalog } from '../../registry/products.ts';

/** A usage problem: the message names what to pass instead (exit code 2). */
export class NewPageError extends Error {
  readonly exitCode = 2;
}

export interface NewPageOptions {
  template: string;
  title: string;
  product?: string;
  project?: string;
  owner?: string;
  siteDir: string;
  force?: boolean;
  /** Today, for dated pages (tests pin it). */
  today?: string;
}

interface Template {
  file: string;
  frontmatter: TemplateFrontmatter;
  body: string;
}

/** The templates of docs/templates/ by name; a page that is not a valid template is skipped (the lint reports it). */
export function readTemplates(siteDir: string): Map<string, Template> {
  const dir = path.join(siteDir, 'docs', 'templates');
  const out = new Map<string, Template>();
  if (!fs.existsSync(dir)) return out;
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.endsWith('.mdx') || name === 'index.mdx') continue;
    const source = fs.readFileSync(path.join(dir, name), 'utf8');
    const fm = /^---\r?\n([\s\S]*?)\r?\n---/.exec(source);
    const parsed = fm ? templateFrontmatterSchema.safeParse(parseYaml(fm[1]!)) : null;
    const block = TEMPLATE_BLOCK.exec(source);
    if (parsed?.success && block)
      out.set(parsed.data.template, { file: `docs/templates/${name}`, frontmatter: parsed.data, body: block[1]! });
  }
  return out;
}

export const slugify = (title: string) =>
  title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');

/** The product's versions as one range: `>=1.4.2 <2.0.0-0` for 1.4.2 and 1.5.0. */
function versionRange(versions: string[]): string {
  const sorted = [...versions].sort(semver.compare);
  return `>=${sorted[0]} <${semver.major(sorted.at(-1)!) + 1}.0.0-0`;
}

/** The next decision number: one more than the highest `NNNN-` file of the folder. */
function nextNumber(siteDir: string, targetTemplate: string): string {
  const dir = path.join(siteDir, path.dirname(targetTemplate));
  const taken = fs.existsSync(dir)
    ? fs.readdirSync(dir).flatMap((f) => (/^(\d{4})-/.exec(f) ? [Number(/^(\d{4})-/.exec(f)![1])] : []))
    : [];
  return String(Math.max(0, ...taken) + 1).padStart(4, '0');
}

export function newPage(o: NewPageOptions): { path: string; id: string | null } {
  const siteDir = path.resolve(o.siteDir);
  const templates = readTemplates(siteDir);
  const template = templates.get(o.template);
  if (!template)
    throw new NewPageError(
      `unknown template ${o.template}: expected one of ${[...templates.keys()].sort().join(', ') || '(none in docs/templates)'}`,
    );
  const title = o.title.trim();
  const slug = slugify(title);
  if (!slug)
    throw new NewPageError('--title: expected a title with letters or digits, e.g. "Replace a pump controller"');
  for (const need of template.frontmatter.needs) {
    if (!o[need]) throw new NewPageError(`the ${o.template} template needs --${need}`);
  }

  const read = readProductCatalog(path.join(siteDir, 'docs', 'products'), siteDir);
  const catalog = o.product ? productsFor(read, o.product) : read.products;
  let product = null as (typeof catalog)[number] | null;
  if (o.product) {
    product = catalog.find((p) => p.product_code === o.product) ?? null;
    if (!product)
      throw new NewPageError(
        `unknown product ${o.product}: expected one of ${catalog
          .map((p) => p.product_code)
          .sort()
          .join(', ')}`,
      );
  }
  if (o.project !== undefined) {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(o.project))
      throw new NewPageError('--project: expected a project slug like farm-north-lorawan (a-z, 0-9, -)');
    const projects = fs.existsSync(path.join(siteDir, 'docs', 'projects'))
      ? fs
          .readdirSync(path.join(siteDir, 'docs', 'projects'), { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
      : [];
    const exists = projects.includes(o.project);
    // The project template creates the project; every other template refers to one that exists.
    if (o.template !== 'project' && !exists)
      throw new NewPageError(
        `unknown project ${o.project}: expected one of ${projects.sort().join(', ') || '(none in docs/projects)'}`,
      );
  }

  const supply = product?.metrics?.find(
    (m) => m.unit === 'V' && (m.source ?? 'device') === 'device' && m.min !== undefined && m.max !== undefined,
  );
  const view = {
    /** In the body (MDX); `title_yaml` inside a double-quoted YAML string. */
    title: mdxText(title),
    title_yaml: JSON.stringify(title).slice(1, -1),
    slug,
    id: o.template === 'sop' ? `sop-${slug}` : `rb-${slug}`,
    date: o.today ?? new Date().toISOString().slice(0, 10),
    number: template.frontmatter.target.includes('{{number}}') ? nextNumber(siteDir, template.frontmatter.target) : '',
    owner: o.owner ?? 'ops',
    product: product?.product_code ?? '',
    product_name: product ? mdxText(product.name) : '',
    product_versions: product ? versionRange(product.versions.map((v) => v.version)) : '',
    product_versions_text: product ? mdxText(versionRange(product.versions.map((v) => v.version))) : '',
    project: o.project ?? '',
    supply: supply
      ? {
          name: supply.name,
          description: mdxText(supply.description),
          description_yaml: JSON.stringify(supply.description).slice(1, -1),
          min: supply.min,
          max: supply.max,
        }
      : null,
  };
  const target = render(template.frontmatter.target, view, `${template.file} (target)`);
  const file = path.join(siteDir, target);
  if (fs.existsSync(file) && !o.force)
    throw new NewPageError(`${target} exists: pass --force to overwrite it, or choose another --title`);
  const page = render(template.body, view, template.file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, page.endsWith('\n') ? page : `${page}\n`);
  return { path: target, id: /^id: (\S+)$/m.exec(page)?.[1] ?? null };
}
