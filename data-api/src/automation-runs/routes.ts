import type { FastifyReply } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  appendTimelineBodySchema,
  attachArtifactBodySchema,
  createRunBodySchema,
  finishRunBodySchema,
  openTicketBodySchema,
} from '../automation/api-contract.ts';
import {
  automationArtifactSchema,
  automationRunListQuery,
  automationRunSchema,
  automationRunSummarySchema,
  automationTicketSchema,
  claimBodySchema,
  claimResultSchema,
  heartbeatBodySchema,
  heartbeatResultSchema,
  queueRunBodySchema,
  queueRunOnRunsBodySchema,
  scheduleFireBodySchema,
  scheduleFireResultSchema,
  specFileSchema,
} from '../contracts/automation-runs.ts';
import { pageOf } from '../contracts/pagination.ts';
import { forbidden } from '../errors/index.ts';
import { PROJECT_ROOT } from '../paths.ts';
import {
  createOrQueueBodySchema,
  deploymentParams,
  idempotencyHeaders,
  isRunnerCreate,
  RESPONSES,
  runParams,
  specListQuery,
  timelineResultSchema,
} from './schemas.ts';
import {
  appendTimeline,
  attachArtifact,
  claimRun,
  createRun,
  finishRun,
  fireSchedule,
  getRun,
  heartbeat,
  listRuns,
  openTicket,
  queueRun,
  type CreateRunInput,
  type WriteResult,
} from './service.ts';
import { listSpecFiles } from './specs.ts';

declare module '../context.ts' {
  interface AppContext {
    /** Where automation/specs/ is read from for queued runs (default: the project root). */
    automationRoot?: string;
  }
}

const tags = ['automation'];

function send<T>(reply: FastifyReply, result: WriteResult<T>) {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.status(result.status).send(result.body);
}

/** Per-route validator of POST /automation-runs: the body schema is chosen by the body's shape. */
const compile = validatorCompiler as unknown as (req: { schema: unknown; httpPart?: string }) => (data: unknown) => any;
const pickBodySchema = ((req: { schema: unknown; httpPart?: string }) =>
  req.httpPart === 'body'
    ? (data: unknown) => compile({ ...req, schema: isRunnerCreate(data) ? createRunBodySchema : queueRunOnRunsBodySchema })(data)
    : compile(req)) as any;

const keyOf = (headers: { 'idempotency-key'?: string }) => ({ idempotencyKey: headers['idempotency-key'] });

/**
 * Automation runs (contracts.md `/api/v1/automation-runs…`): the runner's write-back (create,
 * timeline, artifacts, tickets, finish — bodies from automation/api-contract.ts), queued runs
 * (a deployment page's "Run spec"), and what runner services need (claim, heartbeat, schedule
 * slots). Reads are tenant-scoped through the run's deployment.
 */
export const automationRunRoutes: FastifyPluginAsyncZod = async (app) => {
  const db = () => app.ctx.db;
  const root = () => app.ctx.automationRoot ?? PROJECT_ROOT;

  app.get(
    '/automation-runs',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'List automation runs, newest first',
        description: 'Filters: project, deployment_id, state (comma list). Keyset pagination (limit, cursor). Items carry the timeline, artifacts and tickets, not the spec.',
        tags,
        querystring: automationRunListQuery,
        response: { 200: pageOf(automationRunSummarySchema, 'AutomationRun'), ...RESPONSES },
      },
    },
    async (request) => listRuns(db(), request.principal!, request.query),
  );

  app.get(
    '/automation-runs/:id',
    { config: { auth: 'viewer' }, schema: { summary: 'One automation run with its spec, timeline, artifacts and tickets', tags, params: runParams, response: { 200: automationRunSchema, ...RESPONSES } } },
    async (request) => getRun(db(), request.principal!, request.params.id),
  );

  app.post(
    '/automation-runs',
    {
      config: { auth: 'operator_or_automation' },
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
      if (isRunnerCreate(body)) return send(reply, await createRun(db(), who, body as CreateRunInput, keyOf(request.headers)));
      const q = body as z.infer<typeof queueRunOnRunsBodySchema>;
      return send(reply, await queueRun(db(), who, q.deployment_id, q, { root: root(), deploymentAt: 'body.deployment_id', meta: keyOf(request.headers) }));
    },
  );

  app.post(
    '/deployments/:id/automation-runs',
    {
      config: { auth: 'operator_or_automation' },
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
      send(reply, await queueRun(db(), request.principal!, request.params.id, request.body, { root: root(), deploymentAt: null, meta: keyOf(request.headers) })),
  );

  app.post(
    '/automation-runs/:id/timeline',
    {
      config: { auth: 'automation' },
      schema: {
        summary: 'Append status timeline entries',
        description: 'The first run-level running entry moves a queued run to running. 409 once the run is finished.',
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: appendTimelineBodySchema,
        response: { 201: timelineResultSchema, ...RESPONSES },
      },
    },
    async (request, reply) => send(reply, await appendTimeline(db(), request.principal!, request.params.id, request.body, keyOf(request.headers))),
  );

  app.post(
    '/automation-runs/:id/artifacts',
    {
      config: { auth: 'automation' },
      schema: { summary: 'Attach an artifact (a file committed beside the run page)', tags, headers: idempotencyHeaders, params: runParams, body: attachArtifactBodySchema, response: { 201: automationArtifactSchema, ...RESPONSES } },
    },
    async (request, reply) => send(reply, await attachArtifact(db(), request.principal!, request.params.id, request.body, keyOf(request.headers))),
  );

  app.post(
    '/automation-runs/:id/tickets',
    {
      config: { auth: 'automation' },
      schema: {
        summary: 'Record a ticket for a failed run (and open the "automation run failed" alert)',
        description: 'The ticket is linked to the run and its deployment; the alert (rule automation_run_failed, subject the run) is opened once per run.',
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: openTicketBodySchema,
        response: { 201: automationTicketSchema, ...RESPONSES },
      },
    },
    async (request, reply) => send(reply, await openTicket(db(), request.principal!, request.params.id, request.body, keyOf(request.headers))),
  );

  app.post(
    '/automation-runs/:id/finish',
    {
      config: { auth: 'automation' },
      schema: { summary: 'Finish a run: succeeded or failed, with its page and commit', tags, headers: idempotencyHeaders, params: runParams, body: finishRunBodySchema, response: { 200: automationRunSchema, ...RESPONSES } },
    },
    async (request, reply) => send(reply, await finishRun(db(), request.principal!, request.params.id, request.body, keyOf(request.headers))),
  );

  app.post(
    '/automation-runs/claim',
    {
      config: { auth: 'automation' },
      schema: {
        summary: 'A runner claims the oldest queued run (null when there is none)',
        description:
          'FOR UPDATE SKIP LOCKED: runners never wait on each other, and a run is claimed once. At most one claimed run per deployment is running. ' +
          'The claim holds for lease_s after the last heartbeat or write-back; a lapsed claim fails the run (its runner is lost) and opens an alert.',
        tags,
        body: claimBodySchema,
        response: { 200: claimResultSchema, ...RESPONSES },
      },
    },
    async (request) => ({ run: await claimRun(db(), request.principal!, request.body) }),
  );

  app.post(
    '/automation-runs/:id/heartbeat',
    {
      config: { auth: 'automation' },
      schema: { summary: 'The runner holding a claimed run renews its lease', description: '409 when the run is no longer held by this runner.', tags, params: runParams, body: heartbeatBodySchema, response: { 200: heartbeatResultSchema, ...RESPONSES } },
    },
    async (request) => heartbeat(db(), request.principal!, request.params.id, request.body.runner),
  );

  app.post(
    '/automation-runs/schedule-fires',
    {
      config: { auth: 'automation' },
      schema: {
        summary: 'Fire one slot of a schedule (automation/schedules.yaml), once across runners',
        description: 'The first runner to send (schedule_id, fire_time) queues its runs (201, fired: true); every other gets 200 with fired: false and what the first one queued.',
        tags,
        body: scheduleFireBodySchema,
        response: { 200: scheduleFireResultSchema, 201: scheduleFireResultSchema, ...RESPONSES },
      },
    },
    async (request, reply) => {
      const result = await fireSchedule(db(), request.principal!, request.body);
      return reply.status(result.fired ? 201 : 200).send(result);
    },
  );

  app.get(
    '/automation-specs',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Execution specs under automation/specs/ (what "Run spec" can queue)',
        description: 'Valid and invalid files; deployment_id filters to the specs written for one deployment.',
        tags,
        querystring: specListQuery,
        response: { 200: z.object({ items: z.array(specFileSchema) }), ...RESPONSES },
      },
    },
    async (request) => ({ items: listSpecFiles(root(), request.query.deployment_id) }),
  );
};
