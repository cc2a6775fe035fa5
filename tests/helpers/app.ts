import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { loadProductCatalog } from '../../data-api/src/registry/products.ts';
import { buildApp, createAppContext, type App } from '../../data-api/src/app.ts';
import { openBroker, type BrokerHandle } from '../../data-api/src/telemetry/broker/index.ts';
import type { AppContext, AppContextParts } from '../../data-api/src/kernel/context.ts';
import type { DatabaseHandle } from '../../data-api/src/kernel/db/index.ts';
import { VERSION } from '../../data-api/src/kernel/version.ts';
import { createTestBroker, type TestBroker } from './broker.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export interface TestApp {
  app: App;
  ctx: AppContext;
  database: TestDatabase;
  broker: BrokerHandle;
  testBroker: TestBroker;
  close(): Promise<void>;
}

/**
 * The context of an API without a site, whose reads need a token, and without a broker unless
 * given: what tests and benchmarks build apps on (`fleetbook start` builds its own from config).
 */
export function headlessContext(database: DatabaseHandle, extra: Partial<AppContextParts> = {}): AppContext {
  return createAppContext({
    version: VERSION,
    database,
    db: database.db,
    broker: null,
    siteDir: null,
    siteStatus: () => ({ status: 'disabled', builtAt: null }),
    auth: { openReads: false, proxy: null },
    corsOrigins: [],
    ...extra,
  });
}

/** The API on a real (fresh) database and a real broker, driven with app.inject(). */
export async function createTestApp(
  overrides: Partial<AppContextParts> = {},
  /** Extra plugins to register before the app is ready (e.g. a probe route). */
  extend?: (app: App) => unknown,
): Promise<TestApp> {
  const database = await createTestDatabase();
  await loadProductCatalog(database.handle.db, path.join(PROJECT_ROOT, 'docs', 'products'));
  const testBroker = await createTestBroker();
  const broker = await openBroker(
    { kind: 'external', url: testBroker.url },
    `fb-test-${randomBytes(4).toString('hex')}`,
  );
  const ctx = headlessContext(database.handle, { broker, ...overrides });
  const app = await buildApp(ctx);
  if (extend) await extend(app);
  await app.ready();
  return {
    app,
    ctx,
    database,
    broker,
    testBroker,
    async close() {
      await app.close();
      await broker.close();
      await testBroker.close();
      await database.drop();
    },
  };
}
