import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import {
  loadProductCatalog,
  ProductCatalogError,
  productsFor,
  readProductCatalog,
} from '../../data-api/src/registry/products.ts';
import { formatLine } from '../../plugins/remark-runbook/report.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { bearer, client, type Client } from '../helpers/registry.ts';

// domain.md: products and product versions are defined in docs (docs/products/*.mdx
// frontmatter), loaded into the database read-only at start. A page in error is left out with
// every issue at its line (the library lint's words); the valid pages around it are kept.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-products-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const GOOD = `---
title: Widget
product_code: widget
name: Widget kit
category: other
summary: A test product.
versions:
  - version: 1.0.0
    firmware_baseline: 1.0.0
    bom:
      - { sku: W-1, qty: 2, description: "widget" }
    default_runbooks: [rb-widget]
  - version: 1.1.0
---

# Widget
`;

// Two pages in error (a typo'd key at two depths, a bad value, a bad version) beside a valid one.
const TWO_BAD_ONE_GOOD = {
  'gadget/index.mdx': GOOD.replace('product_code: widget', 'product_code: gadget')
    .replace('category: other', 'category: toaster')
    .replace('qty: 2', 'qty: 2, unit_cots: 3'),
  'thing/index.mdx': GOOD.replace('product_code: widget', 'product_code: thing')
    .replace('summary:', 'sumary:')
    .replace('version: 1.1.0', 'version: one'),
  'widget/index.mdx': GOOD,
};
const TWO_BAD_ISSUES = [
  'docs/products/gadget/index.mdx:5:11  Unexpected `toaster` for `category`, expected one of "lorawan"|"rfid"|"firmware-only"|"gateway"|"other"  product/schema',
  'docs/products/gadget/index.mdx:11:29  Unexpected key `unit_cots` in `versions[0].bom[0]`, expected a key of the contract (did you mean `unit_cost`?)  product/schema',
  'docs/products/thing/index.mdx:6:1  Unexpected key `sumary`, expected one of `title`, `product_code`, `name`, `category`, `summary`, `role`, `heartbeat_interval_s`, `statuses`, `currency`, `metrics`, `commands`, `versions` or a Docusaurus doc key (did you mean `summary`?)  product/schema',
  'docs/products/thing/index.mdx:13:14  Unexpected `one` for `versions[1].version`, expected a version like 2.1.0  product/schema',
];

/** A whole small docs tree (docs/products/<code>/index.mdx), named by scenario. */
function catalog(scenario: string, files: Record<string, string>): string {
  const dir = path.join(tmp, scenario, 'docs', 'products');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('readProductCatalog', () => {
  it('reads every product folder, ignoring loose files and folders without a page', () => {
    const dir = catalog('simple-catalog', {
      'widget/index.mdx': GOOD,
      'gadget/index.md': GOOD.replace('product_code: widget', 'product_code: gadget').replace(
        'category: other',
        'category: rfid',
      ),
      'index.mdx': '---\ntitle: Products\n---\n',
      '_category_.json': '{}',
      'empty/notes.txt': 'nothing here',
    });
    const { products, problems } = readProductCatalog(dir);
    expect(problems).toEqual([]);
    expect(products.map((p) => [p.product_code, p.category, p.source_path])).toEqual([
      ['gadget', 'rfid', 'docs/products/gadget/index.md'],
      ['widget', 'other', 'docs/products/widget/index.mdx'],
    ]);
    expect(products[1]!.versions).toEqual([
      {
        version: '1.0.0',
        firmware_baseline: '1.0.0',
        bom: [{ sku: 'W-1', qty: 2, description: 'widget' }],
        default_runbooks: ['rb-widget'],
      },
      { version: '1.1.0', bom: [], default_runbooks: [] },
    ]);
  });

  it('a missing folder is an empty catalog', () => {
    expect(readProductCatalog(path.join(tmp, 'nowhere', 'docs', 'products'))).toEqual({
      products: [],
      problems: [],
      leftOut: [],
    });
  });

  it.each([
    [
      'no-frontmatter',
      '# Just a heading\n',
      'docs/products/broken/index.mdx:1:1  Missing frontmatter, expected a `---` block with the product: product_code, name, category, versions  product/schema',
    ],
    [
      'bad-yaml',
      '---\nproduct_code: [unclosed\n---\n',
      'docs/products/broken/index.mdx:3:1  Unexpected YAML (Flow sequence in block collection must be sufficiently indented and end with a ]), expected valid YAML frontmatter  product/syntax',
    ],
    [
      'missing-name',
      GOOD.replace('name: Widget kit\n', ''),
      'docs/products/broken/index.mdx:2:1  Missing `name`, expected a string  product/schema',
    ],
    [
      'bad-code',
      GOOD.replace('product_code: widget', 'product_code: Widget Kit'),
      'docs/products/broken/index.mdx:3:15  Unexpected `Widget Kit` for `product_code`, expected a product code like lorawan-gw  product/schema',
    ],
    [
      'bad-category',
      GOOD.replace('category: other', 'category: toaster'),
      'docs/products/broken/index.mdx:5:11  Unexpected `toaster` for `category`, expected one of "lorawan"|"rfid"|"firmware-only"|"gateway"|"other"  product/schema',
    ],
    [
      'no-versions',
      GOOD.replace(/versions:[\s\S]*?---/, 'versions: []\n---'),
      'docs/products/broken/index.mdx:7:11  Unexpected empty list for `versions`, a product needs at least one version  product/schema',
    ],
    [
      'bad-version',
      GOOD.replace('version: 1.1.0', 'version: one'),
      'docs/products/broken/index.mdx:13:14  Unexpected `one` for `versions[1].version`, expected a version like 2.1.0  product/schema',
    ],
    [
      'bad-bom-qty',
      GOOD.replace('qty: 2', 'qty: 0'),
      'docs/products/broken/index.mdx:11:26  Unexpected `0` for `versions[0].bom[0].qty`, Too small: expected number to be >=1  product/schema',
    ],
    [
      'unknown-version-key',
      GOOD.replace('firmware_baseline: 1.0.0', 'firmware_basline: 1.0.0'),
      'docs/products/broken/index.mdx:9:5  Unexpected key `firmware_basline` in `versions[0]`, expected a key of the contract (did you mean `firmware_baseline`?)  product/schema',
    ],
    [
      'unknown-top-key',
      GOOD.replace('summary:', 'sumary:'),
      'docs/products/broken/index.mdx:6:1  Unexpected key `sumary`, expected one of `title`, `product_code`, `name`, `category`, `summary`, `role`, `heartbeat_interval_s`, `statuses`, `currency`, `metrics`, `commands`, `versions` or a Docusaurus doc key (did you mean `summary`?)  product/schema',
    ],
  ])('%s: the page is left out, its issue at its line; the page beside it is kept', (scenario, text, line) => {
    const dir = catalog(scenario, { 'fine/index.mdx': GOOD, 'broken/index.mdx': text });
    const { products, problems } = readProductCatalog(dir);
    expect(problems.map(formatLine)).toEqual([line]);
    expect(products.map((p) => p.source_path)).toEqual(['docs/products/fine/index.mdx']);
  });

  it('two pages in error and one valid: every issue of each, at its line, and the valid product kept', () => {
    const { products, problems } = readProductCatalog(catalog('two-bad-one-good', TWO_BAD_ONE_GOOD));
    expect(problems.map(formatLine)).toEqual(TWO_BAD_ISSUES);
    expect(products.map((p) => [p.product_code, p.source_path])).toEqual([
      ['widget', 'docs/products/widget/index.mdx'],
    ]);
  });

  it('a product_code declared twice keeps the first page and names it at the second', () => {
    const { products, problems } = readProductCatalog(
      catalog('duplicate-code', { 'a-widget/index.mdx': GOOD, 'b-widget/index.mdx': GOOD }),
    );
    expect(problems.map(formatLine)).toEqual([
      'docs/products/b-widget/index.mdx:3:15  Unexpected `product_code` widget, already declared in docs/products/a-widget/index.mdx  product/duplicate-code',
    ]);
    expect(products.map((p) => p.source_path)).toEqual(['docs/products/a-widget/index.mdx']);
  });

  it('a command that needs a product: a page in error elsewhere does not stop it; its own names every issue', () => {
    const read = readProductCatalog(catalog('two-bad-one-good', TWO_BAD_ONE_GOOD));
    expect(productsFor(read, 'widget').map((p) => p.product_code)).toEqual(['widget']);
    let err: unknown;
    try {
      productsFor(read, 'gadget');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProductCatalogError);
    expect((err as ProductCatalogError).exitCode).toBe(2);
    expect((err as Error).message.split('\n')).toEqual([
      'unknown product gadget: not among the valid pages of the catalog, and these issues leave pages out:',
      ...TWO_BAD_ISSUES,
    ]);
  });
});

describe('loadProductCatalog', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('loads a catalog, and a reload replaces versions', async () => {
    const db = database.handle.db;
    expect(await loadProductCatalog(db, catalog('load-v1', { 'widget/index.mdx': GOOD }))).toEqual({
      loaded: 1,
      problems: [],
    });
    const v1 = await db
      .selectFrom('product_versions')
      .select('version')
      .where('product_code', '=', 'widget')
      .orderBy('version')
      .execute();
    expect(v1.map((v) => v.version)).toEqual(['1.0.0', '1.1.0']);

    const v2 = GOOD.replace('  - version: 1.1.0\n', '  - version: 2.0.0\n').replace(
      'name: Widget kit',
      'name: Widget kit II',
    );
    await loadProductCatalog(db, catalog('load-v2', { 'widget/index.mdx': v2 }));
    const rows = await db
      .selectFrom('product_versions')
      .select('version')
      .where('product_code', '=', 'widget')
      .orderBy('version')
      .execute();
    expect(rows.map((v) => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(
      (await db.selectFrom('products').select('name').where('code', '=', 'widget').executeTakeFirstOrThrow()).name,
    ).toBe('Widget kit II');
  });

  it('docs/products is the truth: a product whose page is gone leaves the catalog', async () => {
    const db = database.handle.db;
    const gadget = GOOD.replace('product_code: widget', 'product_code: gadget');
    await loadProductCatalog(db, catalog('load-two', { 'widget/index.mdx': GOOD, 'gadget/index.mdx': gadget }));
    expect((await db.selectFrom('products').select('code').orderBy('code').execute()).map((r) => r.code)).toEqual([
      'gadget',
      'widget',
    ]);
    await loadProductCatalog(db, catalog('load-one', { 'widget/index.mdx': GOOD }));
    expect((await db.selectFrom('products').select('code').orderBy('code').execute()).map((r) => r.code)).toEqual([
      'widget',
    ]);
    expect(
      await db.selectFrom('product_versions').select('version').where('product_code', '=', 'gadget').execute(),
    ).toEqual([]);
  });

  it('pages in error are left out: the valid product loads, the products already held stay', async () => {
    const db = database.handle.db;
    const gadget = GOOD.replace('product_code: widget', 'product_code: gadget').replace(
      'name: Widget kit',
      'name: Gadget',
    );
    await loadProductCatalog(
      db,
      catalog('load-held', {
        'gadget/index.mdx': gadget,
        'old/index.mdx': gadget.replace('product_code: gadget', 'product_code: old'),
      }),
    );
    const load = await loadProductCatalog(
      db,
      catalog('load-broken', {
        ...TWO_BAD_ONE_GOOD,
        'widget/index.mdx': GOOD.replace('name: Widget kit', 'name: Widget kit III'),
      }),
    );
    expect({ ...load, problems: load.problems.map(formatLine) }).toEqual({ loaded: 1, problems: TWO_BAD_ISSUES });
    const rows = await db.selectFrom('products').select(['code', 'name']).orderBy('code').execute();
    // gadget keeps its last good load; old (no page) waits until no page is in error to leave.
    expect(rows).toEqual([
      { code: 'gadget', name: 'Gadget' },
      { code: 'old', name: 'Gadget' },
      { code: 'widget', name: 'Widget kit III' },
    ]);
    expect(
      (await db.selectFrom('product_versions').select('version').where('product_code', '=', 'gadget').execute()).length,
    ).toBe(2);
  });

  it('the shipped docs/products catalog is valid', () => {
    const { products, problems } = readProductCatalog(path.join(PROJECT_ROOT, 'docs', 'products'));
    expect(problems).toEqual([]);
    expect(products.map((p) => p.product_code).sort()).toEqual([
      'lorawan-gw',
      'pump-ctl',
      'rfid-station',
      'soil-probe',
    ]);
  });
});

describe('GET /api/v1/products (read-only)', () => {
  let t: TestApp;
  let viewer: Client;
  beforeAll(async () => {
    t = await createTestApp();
    viewer = client(t.app, await bearer(t.ctx.db, 'viewer'));
  });
  afterAll(async () => t?.close());

  it('lists the catalog from docs/products with versions, BOM and default runbooks', async () => {
    const res = await viewer.get('/products');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{
      code: string;
      versions: Array<{ version: string; bom: unknown[]; default_runbooks: string[] }>;
      source_path: string;
    }>;
    expect(items.map((p) => p.code)).toEqual(['lorawan-gw', 'pump-ctl', 'rfid-station', 'soil-probe']);
    const gw = items.find((p) => p.code === 'lorawan-gw')!;
    expect(gw).toMatchObject({
      name: 'LoRaWAN gateway kit',
      category: 'lorawan',
      source_path: 'docs/products/lorawan-gw/index.mdx',
    });
    expect(gw.versions.map((v) => v.version)).toEqual(['2.0.0', '2.1.0']);
    expect(gw.versions[1]!.bom).toContainEqual({
      sku: 'MOD-LTE-CAT4',
      qty: 1,
      unit_cost: 64,
      description: 'LTE Cat-4 mPCIe modem (Quectel EG25-G)',
    });
    expect(gw.versions[1]!.default_runbooks).toEqual(['rb-site-survey', 'rb-lorawan-gateway-install']);
  });

  it('carries the product library: device side, revisions and datasheets', async () => {
    const pump = (await viewer.get('/products/pump-ctl')).json();
    expect(pump.spec).toMatchObject({
      role: 'controller',
      heartbeat_interval_s: 60,
      statuses: ['running', 'stopped', 'fault'],
      currency: 'USD',
    });
    expect(pump.spec.metrics.map((m: { name: string }) => m.name)).toContain('pressure_bar');
    expect(pump.spec.commands.find((c: { action: string }) => c.action === 'set_setpoint').params).toEqual([
      {
        name: 'setpoint_bar',
        type: 'number',
        unit: 'bar',
        min: 0.5,
        max: 8,
        description: 'Discharge pressure to hold',
      },
    ]);
    const v150 = pump.versions.find((v: { version: string }) => v.version === '1.5.0');
    expect(v150).toMatchObject({ firmware_baseline: '1.5.0', released: '2026-08-03' });
    expect(v150.changes[0]).toMatch(/LTE Cat-M1/);
    expect(v150.datasheets).toContainEqual({
      title: 'MOD-LTE-CATM modem board',
      sku: 'MOD-LTE-CATM',
      file: '/datasheets/pump-ctl/mod-lte-catm.pdf',
    });
  });

  it('reads one product; an unknown code is 404', async () => {
    expect((await viewer.get('/products/soil-probe')).json()).toMatchObject({
      code: 'soil-probe',
      category: expect.any(String),
    });
    const res = await viewer.get('/products/warp-drive');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'not_found', message: 'product warp-drive not found' });
  });

  it('offers no way to write the catalog through the API', async () => {
    const admin = client(t.app, await bearer(t.ctx.db, 'admin'));
    for (const [method, url] of [
      ['POST', '/products'],
      ['PATCH', '/products/soil-probe'],
      ['PUT', '/products/soil-probe'],
      ['DELETE', '/products/soil-probe'],
    ] as const) {
      const res = await admin.call(method, url, method === 'DELETE' ? undefined : { name: 'x' });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const productOps = Object.entries<Record<string, unknown>>(doc.paths ?? {})
      .filter(([p]) => p.startsWith('/api/v1/products'))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(productOps.sort()).toEqual(['get /api/v1/products', 'get /api/v1/products/{code}']);
  });
});
