// The runner's write-back of a run (bodies from contracts/automation-write-back.ts): timeline
// entries, artifacts, tickets, device refs, finish. Each is idempotent by its Idempotency-Key.
import type { Kysely } from 'kysely';
import type { z } from 'zod';
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
import type { Principal } from '../../kernel/auth/roles.ts';
import type { Database } from '../../kernel/db/index.ts';
import { ERROR_RESPONSES as RESPONSES } from '../../kernel/errors/responses.ts';
import { keyOf, send, tags, type RunsApp } from './route-deps.ts';
import {
  appendTimeline,
  attachArtifact,
  finishRun,
  openTicket,
  setDeviceRefs,
  type WriteMeta,
  type WriteResult,
} from './service.ts';

/** POST /automation-runs/:id/{timeline,artifacts,tickets,device-refs,finish}. */
export function writeBackRoutes(app: RunsApp, db: () => Kysely<Database>): void {
  writeBackRoute(
    app,
    db,
    {
      path: 'timeline',
      summary: 'Append status timeline entries',
      description: 'The first run-level running entry moves a queued run to running. 409 once the run is finished.',
      body: appendTimelineBodySchema,
      status: 201,
      answer: timelineResultSchema,
    },
    appendTimeline,
  );
  writeBackRoute(
    app,
    db,
    {
      path: 'artifacts',
      summary: 'Attach an artifact (a file committed beside the run page)',
      body: attachArtifactBodySchema,
      status: 201,
      answer: automationArtifactSchema,
    },
    attachArtifact,
  );
  writeBackRoute(
    app,
    db,
    {
      path: 'tickets',
      summary: 'Record a ticket for a failed run (and open the "automation run failed" alert)',
      description:
        'The ticket is linked to the run and its deployment; the alert (rule automation_run_failed, subject the run) is opened once per run.',
      body: openTicketBodySchema,
      status: 201,
      answer: automationTicketSchema,
    },
    openTicket,
  );
  writeBackRoute(
    app,
    db,
    {
      path: 'device-refs',
      summary: "Write a provisioned device's external_refs (ChirpStack ids) back to the registry",
      description:
        "From provision_lorawan_devices: external_refs.chirpstack of a device of the run's deployment (or its site) is merged with " +
        'dev_eui, application_id and device_profile_id; other refs are kept. changed: false when it already held them (nothing audited). ' +
        '400 for a device outside the run, 409 when the DevEUI belongs to another device or the run is finished.',
      body: deviceRefsBodySchema,
      status: 200,
      answer: deviceRefsResultSchema,
    },
    setDeviceRefs,
  );
  writeBackRoute(
    app,
    db,
    {
      path: 'finish',
      summary: 'Finish a run: succeeded or failed, with its page and commit',
      body: finishRunBodySchema,
      status: 200,
      answer: automationRunSchema,
    },
    finishRun,
  );
}

interface WriteBackRoute<B extends z.ZodType, R extends z.ZodType> {
  /** After /automation-runs/:id/. */
  path: string;
  summary: string;
  description?: string;
  body: B;
  /** The success answer's status and schema (the error answers are every route's). */
  status: 200 | 201;
  answer: R;
}

/**
 * Every write-back is the same route but for its words, body and answer: the runner (role
 * automation, its tenant) posts to the run in the path, and the service applies the write once
 * per Idempotency-Key (a repeat is flagged, see `send`).
 */
function writeBackRoute<B extends z.ZodType, R extends z.ZodType>(
  app: RunsApp,
  db: () => Kysely<Database>,
  route: WriteBackRoute<B, R>,
  write: (
    db: Kysely<Database>,
    who: Principal,
    id: string,
    body: z.infer<B>,
    meta: WriteMeta,
  ) => Promise<WriteResult<z.infer<R>>>,
): void {
  app.post(
    `/automation-runs/:id/${route.path}`,
    {
      config: { auth: 'automation', scope: 'tenant' },
      schema: {
        summary: route.summary,
        ...(route.description !== undefined ? { description: route.description } : {}),
        tags,
        headers: idempotencyHeaders,
        params: runParams,
        body: route.body,
        response: { [route.status]: route.answer, ...RESPONSES },
      },
    },
    // route.body validated the body; the type provider cannot infer a generic schema's type.
    async (request, reply) =>
      send(
        reply,
        await write(db(), request.principal!, request.params.id, request.body as z.infer<B>, keyOf(request.headers)),
      ),
  );
}
