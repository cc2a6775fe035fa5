import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { MAX_EVIDENCE_BYTES } from '../contracts/executions.ts';
import { BlobStore, defaultBlobDir } from './blobs.ts';
import { runbookCatalog } from './catalog.ts';
import { catalogRoutes } from './catalog-routes.ts';
import { evidenceRoutes } from './evidence-routes.ts';
import { executionRoutes } from './execution-routes.ts';
import { maxPixelsFromEnv } from './image-size.ts';
import { itemRoutes } from './item-routes.ts';
import type { RunbooksDeps } from './route-deps.ts';
import { signOffRoutes } from './sign-off-routes.ts';

/**
 * Runbook executions (runbooks.md): start for a deployment, tick / untick / value / note /
 * link / evidence upload per item, gate sign-off, finish, abandon; the runbook catalog; the
 * people who may sign off `lead` gates. One module per concern, registered here.
 */
export const runbookRoutes: FastifyPluginAsyncZod = async (app) => {
  const deps: RunbooksDeps = {
    db: () => app.ctx.db,
    broker: () => app.ctx.broker,
    catalog: runbookCatalog(app.ctx.runbooksRoot),
    blobs: new BlobStore(app.ctx.blobDir ?? defaultBlobDir()),
    maxPixels: app.ctx.evidenceMaxPixels ?? maxPixelsFromEnv(),
  };

  await app.register(multipart, { limits: { fileSize: MAX_EVIDENCE_BYTES, files: 1, fields: 10, parts: 12 } });

  catalogRoutes(app, deps);
  executionRoutes(app, deps);
  itemRoutes(app, deps);
  evidenceRoutes(app, deps);
  signOffRoutes(app, deps);
};
