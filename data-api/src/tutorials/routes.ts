import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { tutorialProgressSchema, tutorialTrackSchema } from '../contracts/executions.ts';
import { ERROR_RESPONSES } from '../registry/crud-routes.ts';
import { runbookCatalog } from '../runbooks/catalog.ts';
import { getProgress, getTrackProgress, setStep } from './service.ts';

const tags = ['tutorials'];
const track = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'expected a track name (the folder under docs/tutorials/)');
const stepParams = z.object({ track, step: z.coerce.number().int().min(1).max(1000) });
const personQuery = z.strictObject({ person: z.string().min(1).max(200).optional().describe('admins only: another person') });

/**
 * Tutorial progress: the caller (a person = the principal name) marks steps of a track done
 * or undone. Any role may keep its own progress; reads of someone else's need admin.
 */
export const tutorialRoutes: FastifyPluginAsyncZod = async (app) => {
  const catalog = runbookCatalog(app.ctx.runbooksRoot);
  const db = () => app.ctx.db;

  app.get(
    '/tutorial-progress',
    { config: { auth: 'viewer' }, schema: { summary: 'Every tutorial track with your progress', tags, querystring: personQuery, response: { 200: tutorialProgressSchema, ...ERROR_RESPONSES } } },
    async (request) => getProgress(db(), catalog, request.principal!, request.query.person),
  );
  app.get(
    '/tutorial-progress/:track',
    {
      config: { auth: 'viewer' },
      schema: { summary: 'One track: its steps and your progress', tags, params: z.object({ track }), querystring: personQuery, response: { 200: tutorialTrackSchema, ...ERROR_RESPONSES } },
    },
    async (request) => getTrackProgress(db(), catalog, request.principal!, request.params.track, request.query.person),
  );
  app.put(
    '/tutorial-progress/:track/steps/:step',
    { config: { auth: 'viewer' }, schema: { summary: 'Mark a step done', tags, params: stepParams, response: { 200: tutorialTrackSchema, ...ERROR_RESPONSES } } },
    async (request) => setStep(db(), catalog, request.principal!, request.params.track, request.params.step, true),
  );
  app.delete(
    '/tutorial-progress/:track/steps/:step',
    { config: { auth: 'viewer' }, schema: { summary: 'Mark a step not done', tags, params: stepParams, response: { 200: tutorialTrackSchema, ...ERROR_RESPONSES } } },
    async (request) => setStep(db(), catalog, request.principal!, request.params.track, request.params.step, false),
  );
};
