// What runner services (`fleetbook runner`) need: claim a queued run, resume one left mid-run,
// renew the lease, fire a schedule slot once across runners.
import type { Kysely } from 'kysely';
import {
  automationRunSchema,
  claimBodySchema,
  claimResultSchema,
  heartbeatBodySchema,
  heartbeatResultSchema,
  resumeBodySchema,
  runParams,
  scheduleFireBodySchema,
  scheduleFireResultSchema,
} from '../../contracts/automation-runs.ts';
import type { Database } from '../../kernel/db/index.ts';
import { ERROR_RESPONSES as RESPONSES } from '../../kernel/errors/responses.ts';
import { tags, type RunsApp } from './route-deps.ts';
import { claimRun, fireSchedule, heartbeat, resumeRun } from './service.ts';

/** POST /automation-runs/claim, …/:id/resume, …/:id/heartbeat, /automation-runs/schedule-fires. */
export function runnerRoutes(app: RunsApp, db: () => Kysely<Database>): void {
  app.post(
    '/automation-runs/claim',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'A runner claims the oldest queued run (null when there is none)',
        description:
          'FOR UPDATE SKIP LOCKED: runners never wait on each other, and a run is claimed once. At most one claimed run per deployment is running. ' +
          'The claim holds for lease_s after the last heartbeat or write-back. A run whose lease lapsed (its runner stopped mid-run) is taken over ' +
          'by the next claim before anything queued (at most 3 pick-ups; then it fails as lost and opens an alert).',
        tags,
        body: claimBodySchema,
        response: { 200: claimResultSchema, ...RESPONSES },
      },
    },
    async (request) => ({ run: await claimRun(db(), request.principal!, request.body) }),
  );

  app.post(
    '/automation-runs/:id/resume',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'A runner picks up a run its runner left mid-run (after a restart, or once the lease lapsed)',
        description:
          'The runner that held the run may resume it at any time (a restart with the same name and journal); any other runner once the lease lapsed. ' +
          'The run stays running with a new lease and a timeline entry; finished actions are not run again. ' +
          '409 when the run is finished, was never claimed, is held by a live runner, or was picked up 3 times already (it then fails as lost).',
        tags,
        params: runParams,
        body: resumeBodySchema,
        response: { 200: automationRunSchema, ...RESPONSES },
      },
    },
    async (request) => resumeRun(db(), request.principal!, request.params.id, request.body),
  );

  app.post(
    '/automation-runs/:id/heartbeat',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'The runner holding a claimed run renews its lease',
        description: '409 when the run is no longer held by this runner.',
        tags,
        params: runParams,
        body: heartbeatBodySchema,
        response: { 200: heartbeatResultSchema, ...RESPONSES },
      },
    },
    async (request) => heartbeat(db(), request.principal!, request.params.id, request.body.runner),
  );

  app.post(
    '/automation-runs/schedule-fires',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'Fire one slot of a schedule (automation/schedules.yaml), once across runners',
        description:
          'The first runner to send (schedule_id, fire_time) queues its runs (201, fired: true); every other gets 200 with fired: false and what the first one queued.',
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
}
