// The runner's write-back of a run (bodies from contracts/automation-write-back.ts): timeline
// entries, artifacts, tickets, device refs, finish. Each is idempotent by its Idempotency-Key.
import type { Kysely } from 'kysely';
import {
  appendTimelineBodySchema,
  attachArtifactBodySchema,
  deviceRefsBodySchema,
  deviceRefsResultSchema,
  finishRunBodySchema,
  openTicketBodySchema,
} from '../../contracts/automation-write-back.ts';
import {
  automationArtifactSchema,
  automationRunSchema,
  automationTicketSchema,
  idempotencyHeaders,
  runParams,
  timelineResultSchema,
} from '../../contracts/automation-runs.ts';
import type { Database } from '../../kernel/db/index.ts';
import { ERROR_RESPONSES as RESPONSES } from '../../kernel/errors/responses.ts';
import { keyOf, send, tags, type RunsApp } from './route-deps.ts';
import { appendTimeline, attachArtifact, finishRun, openTicket, setDeviceRefs } from './service.ts';

/** POST /automation-runs/:id/{timeline,artifacts,tickets,device-refs,finish}. */
export function writeBackRoutes(app: RunsApp, db: () => Kysely<Database>): void {
  app.post(
    '/automation-runs/:id/timeline',
    {
      config: { auth: 'automation', scope: 'tenant' },
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
    async (request, reply) =>
      send(
        reply,
        await appendTimeline(db(), request.principal!, request.params.id, request.body, keyOf(request.headers)),
      ),
  );

  app.post(
    '/automation-runs/:id/artifacts',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'Attach an artifact (a file committed beside the run page)',
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: attachArtifactBodySchema,
        response: { 201: automationArtifactSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      send(
        reply,
        await attachArtifact(db(), request.principal!, request.params.id, request.body, keyOf(request.headers)),
      ),
  );

  app.post(
    '/automation-runs/:id/tickets',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'Record a ticket for a failed run (and open the "automation run failed" alert)',
        description:
          'The ticket is linked to the run and its deployment; the alert (rule automation_run_failed, subject the run) is opened once per run.',
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: openTicketBodySchema,
        response: { 201: automationTicketSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      send(reply, await openTicket(db(), request.principal!, request.params.id, request.body, keyOf(request.headers))),
  );

  app.post(
    '/automation-runs/:id/device-refs',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: "Write a provisioned device's external_refs (ChirpStack ids) back to the registry",
        description:
          "From provision_lorawan_devices: external_refs.chirpstack of a device of the run's deployment (or its site) is merged with " +
          'dev_eui, application_id and device_profile_id; other refs are kept. changed: false when it already held them (nothing audited). ' +
          '400 for a device outside the run, 409 when the DevEUI belongs to another device or the run is finished.',
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: deviceRefsBodySchema,
        response: { 200: deviceRefsResultSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      send(
        reply,
        await setDeviceRefs(db(), request.principal!, request.params.id, request.body, keyOf(request.headers)),
      ),
  );

  app.post(
    '/automation-runs/:id/finish',
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: 'Finish a run: succeeded or failed, with its page and commit',
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: finishRunBodySchema,
        response: { 200: automationRunSchema, ...RESPONSES },
      },
    },
    async (request, reply) =>
      send(reply, await finishRun(db(), request.principal!, request.params.id, request.body, keyOf(request.headers))),
  );
}
