import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { createRunBodySchema } from '../../contracts/automation-write-back.ts';
import {
  automationRunListQuery,
  automationRunSchema,
  automationRunSummarySchema,
  createOrQueueBodySchema,
  deploymentParams,
  idempotencyHeaders,
  isRunnerCreate,
  queueRunBodySchema,
  queueRunOnRunsBodySchema,
  runParams,
} from '../../contracts/automation-runs.ts';
import { pageOf } from '../../contracts/pagination.ts';
import { pageOrCsv } from '../../kernel/csv/stream.ts';
import { columnsOf } from '../../kernel/csv/write.ts';
import { forbidden } from '../../kernel/errors/index.ts';
import { PROJECT_ROOT } from '../../kernel/paths.ts';
import { ERROR_RESPONSES as RESPONSES } from '../../kernel/errors/responses.ts';
import { validatorCompiler } from '../../kernel/validation/compiler.ts';
import { keyOf, send, tags } from './route-deps.ts';
import { runnerRoutes } from './runner-routes.ts';
import { createRun, getRun, listRuns, queueRun, type CreateRunInput } from './service.ts';
import { specRoutes } from './spec-routes.ts';
import { writeBackRoutes } from './write-back-routes.ts';

/** Per-route validator of POST /automation-runs: the body schema is chosen by the body's shape. */
const compile = validatorCompiler as unknown as (req: { schema: unknown; httpPart?: string }) => (data: unknown) => any;
const pickBodySchema = ((req: { schema: unknown; httpPart?: string }) =>
  req.httpPart === 'body'
    ? (data: unknown) =>
        compile({ ...req, schema: isRunnerCreate(data) ? createRunBodySchema : queueRunOnRunsBodySchema })(data)
    : compile(req)) as any;

/**
 * Automation runs (contracts.md `/api/v1/automation-runs…`): the runner's write-back (create,
 * timeline, artifacts, tickets, finish — bodies from contracts/automation-write-back.ts), queued runs
 * (a deployment page's "Run spec"), and what runner services need (claim, heartbeat, schedule
 * slots). Reads are tenant-scoped through the run's deployment. Reads, create and queue here; the
 * write-back, the runner services and the specs in their own modules.
 */
export const automationRunRoutes: FastifyPluginAsyncZod = async (app) => {
  const db = () => app.ctx.db;
  const root = () => app.ctx.automationRoot ?? PROJECT_ROOT;

  app.get(
    '/automation-runs',
    {
      config: { auth: 'viewer', csv: true },
      schema: {
        summary: 'List automation runs, newest first',
        description:
          'Filters: project, deployment_id, state (comma list). Keyset pagination (limit, cursor). Items carry the timeline, artifacts and tickets, not the spec.',
        tags,
        querystring: automationRunListQuery,
        response: { 200: pageOf(automationRunSummarySchema, 'AutomationRun'), ...RESPONSES },
      },
    },
    async (request, reply) =>
      pageOrCsv(request, reply, request.query, (q) => listRuns(db(), request.principal!, q), {
        name: 'automation-runs',
        columns: columnsOf(automationRunSummarySchema),
      }),
  );

  app.get(
    '/automation-runs/:id',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'One automation run with its spec, timeline, artifacts and tickets',
        tags,
        params: runParams,
        response: { 200: automationRunSchema, ...RESPONSES },
      },
    },
    async (request) => getRun(db(), request.principal!, request.params.id),
  );

  app.post(
    '/automation-runs',
    {
      config: { auth: 'operator_or_automation', scope: 'tenant' },
      schema: {
        summary: 'Create a run (a runner) or queue one for a runner (state queued + spec_path or spec)',
        description:
          'Two bodies. A runner reports the run it is about to execute (AutomationRunCreate: id chosen by the runner, 409 when it exists; role automation). ' +
          'Anyone with operator or automation queues a run for a runner service to claim (AutomationRunQueueByDeployment: deployment_id and a spec file under automation/specs/ or an inline spec). ' +
          'An unknown deployment is a 400 at body.deployment_id; an invalid spec a 400 naming each path.',
        tags,
        headers: idempotencyHeaders,
        body: createOrQueueBodySchema,
        response: { 201: automationRunSchema, ...RESPONSES },
      },
      // One body or the other, told apart by spec_digest, so a bad body gets the errors of the
      // shape it was meant to be rather than zod's "no union member matched".
      validatorCompiler: pickBodySchema,
      // Who may send which body is decided before the body is validated (403, not 400).
      preValidation: async (request) => {
        const who = request.principal!;
        if (isRunnerCreate(request.body) && who.role !== 'automation' && who.role !== 'admin') {
          throw forbidden(`${who.name} (role ${who.role}) may not report a runner's run: requires automation`);
        }
      },
    },
    async (request, reply) => {
      const who = request.principal!;
      const body = request.body;
      if (isRunnerCreate(body))
        return send(reply, await createRun(db(), who, body as CreateRunInput, keyOf(request.headers)));
      const q = body as z.infer<typeof queueRunOnRunsBodySchema>;
      return send(
        reply,
        await queueRun(db(), who, q.deployment_id, q, {
          root: root(),
          deploymentAt: 'body.deployment_id',
          meta: keyOf(request.headers),
        }),
      );
    },
  );

  app.post(
    '/deployments/:id/automation-runs',
    {
      config: { auth: 'operator_or_automation', scope: 'tenant' },
      schema: {
        summary: 'Queue an automation run of a deployment ("Run spec")',
        description:
          'A runner service (`fleetbook runner`) claims it and runs it. Exactly one of spec_path (a file under automation/specs/, read and validated now) or spec (inline). ' +
          'The spec must be for this deployment. 404 for an unknown deployment, 409 for a retired one, 400 for an invalid spec (each problem with its path).',
        tags,
        headers: idempotencyHeaders,
        params: deploymentParams,
        body: queueRunBodySchema,
        response: { 201: automationRunSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      send(
        reply,
        await queueRun(db(), request.principal!, request.params.id, request.body, {
          root: root(),
          deploymentAt: null,
          meta: keyOf(request.headers),
        }),
      ),
  );

  writeBackRoutes(app, db);
  runnerRoutes(app, db);
  specRoutes(app, db, root);
};
