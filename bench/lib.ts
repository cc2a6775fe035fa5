// What the benchmarks share: the API as they run it (buildApp + listen on loopback).
import type net from 'node:net';
import { buildApp, type App } from '../data-api/src/app.ts';
import type { AppContext } from '../data-api/src/kernel/context.ts';

/**
 * The API as production runs it, minus the site and the background services (they would
 * write to what is being measured): the tests' headless context.
 */
export { headlessContext as benchContext } from '../tests/helpers/app.ts';

/** Builds the app on `ctx` and listens on a free loopback port; `base` is `http://127.0.0.1:<port>`. */
export async function listenApi(ctx: AppContext): Promise<{ app: App; base: string }> {
  const app = await buildApp(ctx);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base: `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}` };
}
