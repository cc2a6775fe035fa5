import fs from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { parse as parseYaml } from 'yaml';
import {
  EMPTY_PRODUCT_SPEC,
  productFrontmatterSchema,
  productSpecOf,
  productSpecSchema,
} from '../contracts/catalog.ts';
import type { Product } from '../contracts/registry.ts';
import { json, type Database } from '../kernel/db/index.ts';
import { formatPath } from '../kernel/errors/index.ts';
import { notFound } from '../kernel/errors/index.ts';

/** A bad product file stops the start: the message names the file and the field. */
export class ProductCatalogError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'ProductCatalogError';
  }
}

type ProductFile = ReturnType<typeof productFrontmatterSchema.parse> & { source_path: string };

/** Reads and validates every `docs/products/<code>/index.mdx` frontmatter. */
export function readProductCatalog(productsDir: string, root = path.dirname(path.dirname(productsDir))): ProductFile[] {
  if (!fs.existsSync(productsDir)) return [];
  const products: ProductFile[] = [];
  const seen = new Map<string, string>();
  for (const entry of fs
    .readdirSync(productsDir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const file = ['index.mdx', 'index.md']
      .map((f) => path.join(productsDir, entry.name, f))
      .find((f) => fs.existsSync(f));
    if (!file) continue;
    const rel = path.relative(root, file);
    const match = /^---\r?\n([\s\S]*?)\r?\n---/.exec(fs.readFileSync(file, 'utf8'));
    if (!match)
      throw new ProductCatalogError(
        `${rel}: no frontmatter: a product page declares product_code, name, category and versions`,
      );
    let data: unknown;
    try {
      data = parseYaml(match[1]!);
    } catch (err) {
      throw new ProductCatalogError(`${rel}: frontmatter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    const parsed = productFrontmatterSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ProductCatalogError(`${rel}: ${formatPath(issue.path) || '(frontmatter)'}: ${issue.message}`);
    }
    const first = seen.get(parsed.data.product_code);
    if (first)
      throw new ProductCatalogError(
        `${rel}: product_code: ${parsed.data.product_code} is already declared in ${first}`,
      );
    seen.set(parsed.data.product_code, rel);
    products.push({ ...parsed.data, source_path: rel });
  }
  return products;
}

/**
 * Loads the catalog into the database, replacing what was there (read-only through the
 * API): docs/products is the truth, so a product whose page is gone leaves the catalog too.
 */
export async function loadProductCatalog(db: Kysely<Database>, productsDir: string): Promise<number> {
  const products = readProductCatalog(productsDir);
  await db.transaction().execute(async (trx) => {
    const codes = products.map((p) => p.product_code);
    // Versions go with their product (ON DELETE CASCADE).
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
  return products.length;
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
