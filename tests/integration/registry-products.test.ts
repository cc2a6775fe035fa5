import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { loadProductCatalog, ProductCatalogError, readProductCatalog } from '../../data-api/src/registry/products.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { bearer, client, type Client } from '../helpers/registry.ts';

// domain.md: products and product versions are defined in docs (docs/products/*.mdx
// frontmatter), loaded into the database read-only at start. Issue: a bad product file
// stops the start with the file and the field named.

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
    const products = readProductCatalog(dir);
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
    expect(readProductCatalog(path.join(tmp, 'nowhere', 'docs', 'products'))).toEqual([]);
  });

  it.each([
    ['no-frontmatter', '# Just a heading\n', 'docs/products/broken/index.mdx: no frontmatter'],
    [
      'bad-yaml',
      '---\nproduct_code: [unclosed\n---\n',
      'docs/products/broken/index.mdx: frontmatter is not valid YAML',
    ],
    ['missing-name', GOOD.replace('name: Widget kit\n', ''), 'docs/products/broken/index.mdx: name:'],
    [
      'bad-code',
      GOOD.replace('product_code: widget', 'product_code: Widget Kit'),
      'docs/products/broken/index.mdx: product_code: expected a product code like lorawan-gw',
    ],
    ['bad-category', GOOD.replace('category: other', 'category: toaster'), 'docs/products/broken/index.mdx: category:'],
    [
      'no-versions',
      GOOD.replace(/versions:[\s\S]*?---/, 'versions: []\n---'),
      'docs/products/broken/index.mdx: versions: a product needs at least one version',
    ],
    [
      'bad-version',
      GOOD.replace('version: 1.1.0', 'version: one'),
      'docs/products/broken/index.mdx: versions[1].version: expected a version like 2.1.0',
    ],
    ['bad-bom-qty', GOOD.replace('qty: 2', 'qty: 0'), 'docs/products/broken/index.mdx: versions[0].bom[0].qty:'],
    [
      'unknown-version-key',
      GOOD.replace('firmware_baseline: 1.0.0', 'firmware: 1.0.0'),
      'docs/products/broken/index.mdx: versions[0]',
    ],
  ])('%s: stops with the file and the field named', (scenario, text, message) => {
    const dir = catalog(scenario, { 'fine/index.mdx': GOOD, 'broken/index.mdx': text });
    let err: unknown;
    try {
      readProductCatalog(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProductCatalogError);
    expect((err as ProductCatalogError).exitCode).toBe(2);
    expect((err as Error).message.startsWith(message)).toBe(true);
  });

  it('a product_code declared twice names both files', () => {
    const dir = catalog('duplicate-code', { 'a-widget/index.mdx': GOOD, 'b-widget/index.mdx': GOOD });
    expect(() => readProductCatalog(dir)).toThrow(
      new ProductCatalogError(
        'docs/products/b-widget/index.mdx: product_code: widget is already declared in docs/products/a-widget/index.mdx',
      ),
    );
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
    expect(await loadProductCatalog(db, catalog('load-v1', { 'widget/index.mdx': GOOD }))).toBe(1);
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

  it('a bad file stops the load before anything is written', async () => {
    const db = database.handle.db;
    const before = await db.selectFrom('products').selectAll().orderBy('code').execute();
    const dir = catalog('load-broken', {
      'aaa/index.mdx': GOOD.replace('product_code: widget', 'product_code: aaa'),
      'zzz/index.mdx': GOOD.replace('category: other', 'category: nope'),
    });
    await expect(loadProductCatalog(db, dir)).rejects.toThrow(/^docs\/products\/zzz\/index\.mdx: category: /);
    expect(await db.selectFrom('products').selectAll().orderBy('code').execute()).toEqual(before);
  });

  it('the shipped docs/products catalog is valid', () => {
    const products = readProductCatalog(path.join(PROJECT_ROOT, 'docs', 'products'));
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
