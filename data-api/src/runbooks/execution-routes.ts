// Runbook executions: start, list, read, the activity log; finish and abandon.
import {
  abandonSchema,
  activityListSchema,
  activityQuery,
  executionCreateSchema,
  executionListQuerySchema,
  executionParams,
  executionSchema,
  executionSummarySchema,
  finishSchema,
} from '../contracts/executions.ts';
import { pageOf } from '../contracts/pagination.ts';
import { tags, type RunbooksApp, type RunbooksDeps } from './route-deps.ts';
import { RESPONSES } from './schemas.ts';
import {
  abandonExecution,
  finishExecution,
  getExecution,
  listActivity,
  listExecutions,
  startExecution,
} from './service.ts';

/** POST/GET /runbook-executions, GET …/:id, …/:id/activity, POST …/:id/finish, …/:id/abandon. */
export function executionRoutes(app: RunbooksApp, { db, catalog }: RunbooksDeps): void {
  app.post(
    '/runbook-executions',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Start an execution of a runbook for a deployment',
        description:
          'Records the runbook id, version and a snapshot of its gates. 409 when the runbook is for another product or version range, the deployment is retired, or a runbook it `requires` is not done for the deployment.',
        tags,
        body: executionCreateSchema,
        response: { 201: executionSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await startExecution(db(), catalog, request.principal!, request.body)),
  );

  app.get(
    '/runbook-executions',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'List executions, newest first',
        description:
          "Filter by deployment (the deployment page), runbook (open executions of a runbook), site, customer, the deployment's product, state (comma list); per_deployment=N keeps each deployment's newest N (a deployment board).",
        tags,
        querystring: executionListQuerySchema,
        response: { 200: pageOf(executionSummarySchema, 'ExecutionSummary'), ...RESPONSES },
      },
    },
    async (request) => listExecutions(db(), request.principal!, request.query),
  );

  app.get(
    '/runbook-executions/:id',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'An execution with its gates, items, sign-offs and evidence',
        tags,
        params: executionParams,
        response: { 200: executionSchema, ...RESPONSES },
      },
    },
    async (request) => getExecution(db(), request.principal!, request.params.id),
  );

  app.get(
    '/runbook-executions/:id/activity',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Who did what and when, oldest first',
        tags,
        params: executionParams,
        querystring: activityQuery,
        response: { 200: activityListSchema, ...RESPONSES },
      },
    },
    async (request) => listActivity(db(), request.principal!, request.params.id, request.query),
  );

  app.post(
    '/runbook-executions/:id/finish',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Finish an execution (every gate complete)',
        tags,
        params: executionParams,
        body: finishSchema,
        response: { 200: executionSchema, ...RESPONSES },
      },
    },
    async (request) => finishExecution(db(), request.principal!, request.params.id, request.body),
  );

  app.post(
    '/runbook-executions/:id/abandon',
    {
      config: { auth: 'operator', scope: 'tenant' },
      schema: {
        summary: 'Abandon an execution, with the reason',
        tags,
        params: executionParams,
        body: abandonSchema,
        response: { 200: executionSchema, ...RESPONSES },
      },
    },
    async (request) => abandonExecution(db(), request.principal!, request.params.id, request.body.reason, request.body),
  );
}
