import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import {
  EMPTY_PRODUCT_SPEC,
  productFrontmatterSchema,
  productSpecOf,
  productSpecSchema,
} from '../contracts/catalog.ts';
import type { Product } from '../contracts/registry.ts';
import { json, type Database } from '../kernel/db/index.ts';
import { notFound } from '../kernel/errors/index.ts';
import type { LeftOutPage } from './left-out.ts';
import { analyzePage } from '../../../plugins/remark-library/analyze.ts';
import { runPageRules, ruleUrl } from '../../../plugins/remark-library/engine.ts';
import { productSchema } from '../../../plugins/remark-library/rules/schema.ts';
import { lintMessage } from '../../../plugins/remark-runbook/engine.ts';
import { formatLine } from '../../../plugins/remark-runbook/report.ts';
import type { LintMessage } from '../../../plugins/remark-runbook/types.ts';

/** Thrown where a product in error is needed (the firmware scaffold, `fleetbook new`): every issue, one a line. */
export class ProductCatalogError extends Error {
  readonly exitCode = 2;
  constructor(
    header: string,
    readonly problems: readonly LintMessage[],
  ) {
    super([header, ...problems.map(formatLine)].join('\n'));
    this.name = 'ProductCatalogError';
  }
}

type ProductFile = ReturnType<typeof productFrontmatterSchema.parse> & { source_path: string };

/**
 * The valid product pages, and every issue of the others (`file:line:column  reason  rule-id`,
 * the build's and `fleetbook lint`'s words). A page in error is left out; the pages around it are kept.
 */
export interface ProductCatalog {
  products: ProductFile[];
  problems: LintMessage[];
  /** The pages left out for their errors, one each (a second page of a code is not one: the code is valid). */
  leftOut: LeftOutPage[];
}

/**
 * Reads every `docs/products/<code>/index.mdx` frontmatter with the library lint's own check
 * (product/schema, and product/syntax for YAML it cannot read), so a page is judged by the same
 * rule at start as in the build; a product_code declared twice keeps the first page.
 */
export function readProductCatalog(
  productsDir: string,
  root = path.dirname(path.dirname(productsDir)),
): ProductCatalog {
  const catalog: ProductCatalog = { products: [], problems: [], leftOut: [] };
  if (!fs.existsSync(productsDir)) return catalog;
  const seen = new Map<string, string>();
  // The shape only: a missing datasheet is the site's problem (product/missing-datasheet), not the catalog's.
  const env = { siteDir: root, staticDir: 'static', products: null };
  for (const entry of fs
    .readdirSync(productsDir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const file = ['index.mdx', 'index.md']
      .map((f) => path.join(productsDir, entry.name, f))
      .find((f) => fs.existsSync(f));
    if (!file) continue;
    const rel = path.relative(root, file).split(path.sep).join('/');
    const page = analyzePage(rel, fs.readFileSync(file, 'utf8'), 'product', null);
    const problems = runPageRules(page, env, [productSchema]);
    const parsed = productFrontmatterSchema.safeParse(page.data);
    if (problems.length || !parsed.success) {
      catalog.problems.push(...problems);
      catalog.leftOut.push(readableOf(page.data, entry.name, rel));
      continue;
    }
    const first = seen.get(parsed.data.product_code);
    if (first) {
      catalog.problems.push(
        lintMessage(
          { id: 'product/duplicate-code', severity: 'error' },
          rel,
          ruleUrl('product/duplicate-code'),
          `Unexpected \`product_code\` ${parsed.data.product_code}, already declared in ${first}`,
          page.locate(['product_code']),
        ),
      );
      continue;
    }
    seen.set(parsed.data.product_code, rel);
    catalog.products.push({ ...parsed.data, source_path: rel });
  }
  return catalog;
}

/** What a page in error still tells: its code (else its folder's name) and its metric names. */
function readableOf(data: unknown, folder: string, rel: string): LeftOutPage {
  const fm = (data !== null && typeof data === 'object' ? data : {}) as { product_code?: unknown; metrics?: unknown };
  const metrics = Array.isArray(fm.metrics)
    ? fm.metrics.map((m) => (m as { name?: unknown } | null)?.name).filter((n): n is string => typeof n === 'string')
    : [];
  return {
    product_code: typeof fm.product_code === 'string' && fm.product_code ? fm.product_code : folder,
    source_path: rel,
    metrics,
  };
}

/**
 * The catalog's products for a command that needs product `code`: a page in error elsewhere does
 * not stop it, but when `code` is not among the valid products the pages in error are why.
 */
export function productsFor(catalog: ProductCatalog, code: string): ProductFile[] {
  if (catalog.problems.length && !catalog.products.some((p) => p.product_code === code))
    throw new ProductCatalogError(
      `unknown product ${code}: not among the valid pages of the catalog, and these issues leave pages out:`,
      catalog.problems,
    );
  return catalog.products;
}

/** What a load did: the products written, and the issues of the pages left out. */
export interface ProductCatalogLoad {
  loaded: number;
  problems: LintMessage[];
}

/**
 * Loads the catalog into the database, replacing what was there (read-only through the
 * API): docs/products is the truth, so a product whose page is gone leaves the catalog too.
 * A page in error is not loaded and, while there is one, no product leaves: the page may be
 * the one of a product the database holds (its code unreadable), which keeps its last good load.
 */
export async function loadProductCatalog(
  db: Kysely<Database>,
  productsDir: string,
  catalog = readProductCatalog(productsDir),
): Promise<ProductCatalogLoad> {
  const { products, problems } = catalog;
  await db.transaction().execute(async (trx) => {
    const codes = products.map((p) => p.product_code);
    // Versions go with their product (ON DELETE CASCADE).
    if (!problems.length)
      await (
        codes.length ? trx.deleteFrom('products').where('code', 'not in', codes) : trx.deleteFrom('products')
      ).execute();
    for (const p of products) {
      const row = {
        name: p.name,
        category: p.category,
        summary: p.summary ?? null,
        source_path: p.source_path,
        spec: json(productSpecOf(p)),
      };
      await trx
        .insertInto('products')
        .values({ code: p.product_code, ...row, loaded_at: new Date() })
        .onConflict((oc) => oc.column('code').doUpdateSet({ ...row, loaded_at: new Date() }))
        .execute();
      await trx.deleteFrom('product_versions').where('product_code', '=', p.product_code).execute();
      await trx
        .insertInto('product_versions')
        .values(
          p.versions.map((v) => ({
            product_code: p.product_code,
            version: v.version,
            firmware_baseline: v.firmware_baseline ?? null,
            released: v.released ?? null,
            changes: json(v.changes ?? []),
            bom: json(v.bom),
            datasheets: json(v.datasheets ?? []),
            default_runbooks: json(v.default_runbooks),
          })),
        )
        .execute();
    }
  });
  return { loaded: products.length, problems };
}

export async function listProducts(db: Kysely<Database>, code?: string): Promise<Product[]> {
  let q = db.selectFrom('products').selectAll().orderBy('code');
  if (code) q = q.where('code', '=', code);
  const rows = await q.execute();
  if (rows.length === 0) return [];
  const versions = await db
    .selectFrom('product_versions')
    .selectAll()
    .where(
      'product_code',
      'in',
      rows.map((r) => r.code),
    )
    .orderBy('product_code')
    .orderBy('version')
    .execute();
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    category: r.category,
    summary: r.summary,
    source_path: r.source_path,
    // Loaded before this column existed: an empty spec until the next start reloads the catalog.
    spec: productSpecSchema.parse({ ...EMPTY_PRODUCT_SPEC, ...r.spec }),
    versions: versions
      .filter((v) => v.product_code === r.code)
      .map((v) => ({
        version: v.version,
        firmware_baseline: v.firmware_baseline,
        released: v.released,
        changes: v.changes,
        bom: v.bom,
        datasheets: v.datasheets,
        default_runbooks: v.default_runbooks,
      })),
  }));
}

export async function getProduct(db: Kysely<Database>, code: string): Promise<Product> {
  const [product] = await listProducts(db, code);
  if (!product) throw notFound('product', code);
  return product;
}
