import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  tutorialPersonQuery as personQuery,
  tutorialProgressSchema,
  tutorialStepParams as stepParams,
  tutorialTrackParams,
  tutorialTrackSchema,
} from '../../contracts/executions.ts';
import { ERROR_RESPONSES } from '../../kernel/errors/responses.ts';
import { runbookCatalog } from '../catalog.ts';
import { getProgress, getTrackProgress, setStep } from './service.ts';

const tags = ['tutorials'];

/**
 * Tutorial progress: the caller (a person = the principal name) marks steps of a track done
 * or undone. Any role may keep its own progress; reads of someone else's need admin.
 */
export const tutorialRoutes: FastifyPluginAsyncZod = async (app) => {
  const catalog = runbookCatalog(app.ctx.runbooksRoot);
  const db = () => app.ctx.db;

  app.get(
    '/tutorial-progress',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Every tutorial track with your progress',
        tags,
        querystring: personQuery,
        response: { 200: tutorialProgressSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => getProgress(db(), catalog, request.principal!, request.query.person),
  );
  app.get(
    '/tutorial-progress/:track',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'One track: its steps and your progress',
        tags,
        params: tutorialTrackParams,
        querystring: personQuery,
        response: { 200: tutorialTrackSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => getTrackProgress(db(), catalog, request.principal!, request.params.track, request.query.person),
  );
  app.put(
    '/tutorial-progress/:track/steps/:step',
    {
      config: { auth: 'viewer', scope: 'tenant' },
      schema: {
        summary: 'Mark a step done',
        tags,
        params: stepParams,
        response: { 200: tutorialTrackSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => setStep(db(), catalog, request.principal!, request.params.track, request.params.step, true),
  );
  app.delete(
    '/tutorial-progress/:track/steps/:step',
    {
      config: { auth: 'viewer', scope: 'tenant' },
      schema: {
        summary: 'Mark a step not done',
        tags,
        params: stepParams,
        response: { 200: tutorialTrackSchema, ...ERROR_RESPONSES },
      },
    },
    async (request) => setStep(db(), catalog, request.principal!, request.params.track, request.params.step, false),
  );
};
