// Automation runs (domain.md "automation run"): created by a runner that runs them, or queued
// (a deployment page's "Run spec", a schedule slot) and claimed by a runner. Every write: one
// transaction holding the row change, an audit entry and a change event (`automation.*`,
// subject the run, customer/site of the deployment) so RunTimeline updates live. Writes that
// carry an Idempotency-Key are applied once: a repeat gets the first answer and changes nothing.
// No HTTP here: the routes hand in validated bodies and the key.
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction, type UpdateObject } from 'kysely';
import { openAlert } from '../../health/alerts/service.ts';
import { recordAudit } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { AppendTimelineBody, AttachArtifactBody, FinishRunBody } from '../../contracts/automation-write-back.ts';
import type {
  createRunBodySchema,
  deviceRefsBodySchema,
  openTicketBodySchema,
} from '../../contracts/automation-write-back.ts';
import { canonicalJson, specDigest } from '../spec-file.ts';
import type { TimelineEntry } from '../../contracts/automation-timeline.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import {
  FINISHED_RUN_STATES,
  healthChecksJobSchema,
  MAX_RUN_RESUMES,
  type AutomationArtifact,
  type AutomationRun,
  type AutomationRunListQuery,
  type AutomationRunSummary,
  type AutomationTicketRecord,
  type ClaimBody,
  type ResumeBody,
  type ScheduleFireBody,
  type ScheduleFireResult,
} from '../../contracts/automation-runs.ts';
import type { ExecutionSpec } from '../../contracts/execution-spec.ts';
import { generateId, ulidBody } from '../../contracts/ids.ts';
import {
  json,
  type AutomationRunArtifactsTable,
  type AutomationRunsTable,
  type AutomationRunTimelineTable,
  type AutomationTicketsTable,
  type Database,
  type Deployment,
} from '../../kernel/db/index.ts';
import { conflict, notFound, validationError } from '../../kernel/errors/index.ts';
import { iso } from '../../kernel/db/values.ts';
import { assertDevEuiFree, selectDevices, toDevice } from '../../registry/devices.ts';
import { decodeCursor, toPage } from '../../kernel/db/pagination.ts';
import { PRIORITY_OF_SEVERITY } from '../../contracts/work-items.ts';
import { createWorkItemIn } from '../../work-items/service.ts';
import { buildHealthCheckSpec } from './health-checks.ts';
import { loadRepoSpec, validateInlineSpec } from './specs.ts';
import type { z } from 'zod';

type Db = Kysely<Database>;
type Trx = Transaction<Database> | Kysely<Database>;
export type RunRow = Selectable<AutomationRunsTable>;
type TimelineRow = Selectable<AutomationRunTimelineTable>;
type ArtifactRow = Selectable<AutomationRunArtifactsTable>;
type TicketRow = Selectable<AutomationTicketsTable>;
export type CreateRunInput = z.infer<typeof createRunBodySchema>;
export type OpenTicketInput = z.infer<typeof openTicketBodySchema>;
export type DeviceRefsInput = z.infer<typeof deviceRefsBodySchema>;

/** The subject type of runs in change events and alerts (the AlertList maps `arun_` to it). */
export const RUN_SUBJECT = 'automation_run';
/** contracts.md "Notifications": the rule an open_ticket_on_failure (or a lost runner) raises. */
export const RUN_FAILED_RULE = 'automation_run_failed';
export const runFailedKey = (runId: string) => `${RUN_FAILED_RULE}:${runId}`;
/** A running run nobody claimed (a CLI run) blocks claims of its deployment this long after its last write. */
const UNCLAIMED_ACTIVE_MINUTES = 15;

// ---------------------------------------------------------------------------------------
// Views

interface Parts {
  timeline: TimelineRow[];
  artifacts: ArtifactRow[];
  tickets: TicketRow[];
}

const toEntry = (r: TimelineRow): TimelineEntry => ({
  at: iso(r.at)!,
  ...(r.action_id !== null ? { action_id: r.action_id } : {}),
  state: r.state as TimelineEntry['state'],
  message: r.message,
  duration_ms: Number(r.duration_ms),
  ...(r.attempt !== null ? { attempt: r.attempt } : {}),
  ...(r.skip !== null && r.skip !== undefined ? { skip: r.skip as TimelineEntry['skip'] } : {}),
});

const toArtifact = (r: ArtifactRow): AutomationArtifact => ({
  id: Number(r.id),
  name: r.name,
  action_id: r.action_id,
  path: r.path,
  content_type: r.content_type,
  size: Number(r.size),
  sha256: r.sha256,
  created_at: iso(r.created_at)!,
});

const toTicket = (r: TicketRow): AutomationTicketRecord => ({
  id: r.id,
  run_id: r.run_id,
  deployment_id: r.deployment_id,
  action_id: r.action_id,
  summary: r.summary,
  severity: r.severity,
  alert_id: r.alert_id,
  work_item_id: r.work_item_id,
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
});

function toSummary(r: RunRow, parts: Parts): AutomationRunSummary {
  return {
    id: r.id,
    project: r.project,
    deployment_id: r.deployment_id,
    site_id: r.site_id,
    customer_id: r.customer_id,
    product_code: r.product_code,
    product_version: r.product_version,
    state: r.state,
    source: r.source,
    spec_ref: r.spec_ref,
    spec_digest: r.spec_digest,
    schedule_id: r.schedule_id,
    fire_time: iso(r.fire_time),
    dry_run: r.dry_run,
    created_by: r.created_by,
    created_at: iso(r.created_at)!,
    started_at: iso(r.started_at),
    finished_at: iso(r.finished_at),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
    page_path: r.page_path,
    commit_sha: r.commit_sha,
    pushed: r.pushed,
    claimed_by: r.claimed_by,
    claimed_at: iso(r.claimed_at),
    lease_expires_at: iso(r.lease_expires_at),
    error: r.error,
    resumes: r.resumes,
    timeline: parts.timeline.map(toEntry),
    artifacts: parts.artifacts.map(toArtifact),
    tickets: parts.tickets.map(toTicket),
  };
}

const toRun = (r: RunRow, parts: Parts): AutomationRun => ({ ...toSummary(r, parts), spec: r.spec });

async function loadParts(db: Trx, ids: string[]): Promise<Map<string, Parts>> {
  const out = new Map<string, Parts>(ids.map((id) => [id, { timeline: [], artifacts: [], tickets: [] }]));
  if (ids.length === 0) return out;
  const [timeline, artifacts, tickets] = await Promise.all([
    db
      .selectFrom('automation_run_timeline')
      .selectAll()
      .where('run_id', 'in', ids)
      .orderBy('run_id')
      .orderBy('seq')
      .execute(),
    db.selectFrom('automation_run_artifacts').selectAll().where('run_id', 'in', ids).orderBy('id').execute(),
    db
      .selectFrom('automation_tickets')
      .selectAll()
      .where('run_id', 'in', ids)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  ]);
  for (const t of timeline) out.get(t.run_id)!.timeline.push(t);
  for (const a of artifacts) out.get(a.run_id)!.artifacts.push(a);
  for (const t of tickets) out.get(t.run_id)!.tickets.push(t);
  return out;
}

async function viewOf(db: Trx, row: RunRow): Promise<AutomationRun> {
  return toRun(row, (await loadParts(db, [row.id])).get(row.id)!);
}

// ---------------------------------------------------------------------------------------
// Reads

/** Newest first (run ids are time-sortable ULIDs), keyset-paginated; a tenant sees its own runs only. */
export async function listRuns(
  db: Db,
  who: Principal,
  q: AutomationRunListQuery,
): Promise<{ items: AutomationRunSummary[]; next_cursor: string | null }> {
  const before = decodeCursor(q.cursor);
  let query = db
    .selectFrom('automation_runs')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (who.customerId) query = query.where('customer_id', '=', who.customerId);
  if (q.project) query = query.where('project', '=', q.project);
  if (q.deployment_id) query = query.where('deployment_id', '=', q.deployment_id);
  if (q.state) query = query.where('state', 'in', q.state.split(',') as RunRow['state'][]);
  if (q.source) query = query.where('source', 'in', q.source.split(',') as RunRow['source'][]);
  if (before) query = query.where('id', '<', before);
  const page = toPage(await query.execute(), q.limit, (r) => r);
  const parts = await loadParts(
    db,
    page.items.map((r) => r.id),
  );
  return { items: page.items.map((r) => toSummary(r, parts.get(r.id)!)), next_cursor: page.next_cursor };
}

export async function getRun(db: Db, who: Principal, id: string): Promise<AutomationRun> {
  const row = await db.selectFrom('automation_runs').selectAll().where('id', '=', id).executeTakeFirst();
  // Another tenant's run is reported exactly like a missing one.
  if (!row || (who.customerId !== null && row.customer_id !== who.customerId)) throw notFound('automation run', id);
  return viewOf(db, row);
}

// ---------------------------------------------------------------------------------------
// Idempotency: `Idempotency-Key` names one write. The key row is taken in the write's own
// transaction (a concurrent repeat waits on it), the answer is stored with it; a repeat with
// the same request gets that answer, one with a different request is a conflict.
// Known debt: keys are kept for good (about 15 rows per run). A retention job (drop keys older
// than any journal could still replay, e.g. 30 days) is not written yet; the table is indexed
// on `at` for it.

export interface WriteResult<T> {
  status: number;
  body: T;
  /** True when this was a repeat of an applied write: nothing changed. */
  replayed: boolean;
}

export interface WriteMeta {
  idempotencyKey?: string;
}

async function idempotent<T>(
  db: Db,
  who: Principal,
  /** `subject`: what the key's request is about when not the run (a queued run's id is made here, not sent). */
  req: { key: string | undefined; runId: string; op: string; body: unknown; subject?: string },
  apply: (trx: Transaction<Database>) => Promise<{ status: number; body: T }>,
): Promise<WriteResult<T>> {
  if (!req.key) return { ...(await db.transaction().execute(apply)), replayed: false };
  const key = req.key;
  const hash = createHash('sha256')
    .update(canonicalJson({ op: req.op, run: req.subject ?? req.runId, body: req.body }))
    .digest('hex');
  // Keys are per tenant: a scoped token can neither replay nor use up another customer's key.
  const tenant = who.customerId ?? '';
  return db.transaction().execute(async (trx) => {
    const taken = await trx
      .insertInto('automation_run_requests')
      .values({ tenant, key, run_id: req.runId, op: req.op, request_sha256: hash, actor: who.name })
      .onConflict((oc) => oc.columns(['tenant', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!taken) {
      const first = await trx
        .selectFrom('automation_run_requests')
        .selectAll()
        .where('tenant', '=', tenant)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      if (first.request_sha256 !== hash) {
        throw conflict(
          `Idempotency-Key ${key} was already used for another request (${first.op} of ${first.run_id}): send a new key for a new request`,
        );
      }
      return { status: first.status ?? 200, body: first.response as T, replayed: true };
    }
    const result = await apply(trx);
    await trx
      .updateTable('automation_run_requests')
      .set({ status: result.status, response: json(result.body) })
      .where('tenant', '=', tenant)
      .where('key', '=', key)
      .execute();
    return { ...result, replayed: false };
  });
}

// ---------------------------------------------------------------------------------------
// Writes

async function record(
  trx: Trx,
  who: Principal | string,
  row: RunRow,
  action: string,
  extra: { before?: unknown; after?: unknown; payload?: Record<string, unknown>; change?: boolean } = {},
): Promise<void> {
  await recordAudit(trx, who, {
    action: `automation_run.${action}`,
    entity: RUN_SUBJECT,
    entityId: row.id,
    customerId: row.customer_id,
    ...(extra.before !== undefined ? { before: extra.before } : {}),
    ...(extra.after !== undefined ? { after: extra.after } : {}),
  });
  if (extra.change === false) return;
  await emitChange(trx, {
    type: `automation.${action}`,
    subject: { type: RUN_SUBJECT, id: row.id },
    customerId: row.customer_id,
    siteId: row.site_id,
    payload: {
      run_id: row.id,
      project: row.project,
      deployment_id: row.deployment_id,
      state: row.state,
      ...extra.payload,
    },
  });
}

async function lockRun(trx: Trx, who: Principal, id: string): Promise<RunRow> {
  const row = await trx.selectFrom('automation_runs').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row || (who.customerId !== null && row.customer_id !== who.customerId)) throw notFound('automation run', id);
  return row;
}

function assertOpen(row: RunRow, what: string): void {
  if (FINISHED_RUN_STATES.includes(row.state)) {
    throw conflict(
      `automation run ${row.id} is ${row.state}${row.finished_at ? ` since ${iso(row.finished_at)}` : ''}: it takes no more ${what}`,
    );
  }
}

/** The deployment a run is for, in the caller's tenant; unknown → 400 at `at` (a body field) or 404 (a path id). */
async function deploymentFor(trx: Trx, who: Principal, id: string, at: string | null): Promise<Deployment> {
  const row = await trx.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || (who.customerId !== null && row.customer_id !== who.customerId)) {
    if (at === null) throw notFound('deployment', id);
    throw validationError([
      { path: at, message: `unknown deployment ${id}: create it in the registry first (POST /api/v1/deployments)` },
    ]);
  }
  return row;
}

const leaseFrom = (leaseS: number | null) => (leaseS ? sql<Date>`now() + make_interval(secs => ${leaseS})` : null);

/**
 * `POST /automation-runs` by a runner: the run it is about to execute (state queued, id chosen
 * by the runner). 409 when the id exists (the runner counts that as delivered: a claimed run).
 */
export async function createRun(
  db: Db,
  who: Principal,
  body: CreateRunInput,
  meta: WriteMeta = {},
): Promise<WriteResult<AutomationRun>> {
  const spec = validateInlineSpec(body.spec, 'body.spec');
  const mismatch = (['project', 'deployment_id', 'product_code', 'product_version'] as const)
    .filter((f) => spec[f] !== body[f])
    .map((f) => ({ path: `body.${f}`, message: `expected ${JSON.stringify(spec[f])}, the ${f} of body.spec` }));
  if (mismatch.length) throw validationError(mismatch);
  return idempotent(db, who, { key: meta.idempotencyKey, runId: body.id, op: 'create', body }, async (trx) => {
    const dep = await deploymentFor(trx, who, body.deployment_id, 'body.deployment_id');
    const row = await trx
      .insertInto('automation_runs')
      .values({
        id: body.id,
        project: body.project,
        deployment_id: dep.id,
        site_id: dep.site_id,
        customer_id: dep.customer_id,
        product_code: body.product_code,
        product_version: body.product_version,
        spec: json(spec),
        spec_digest: body.spec_digest,
        spec_ref: null,
        source: 'runner',
        dry_run: body.dry_run,
        state: 'queued',
        created_by: who.name,
        created_at: body.created_at,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw conflict(`automation run ${body.id} already exists`);
    const view = await viewOf(trx, row);
    await record(trx, who, row, 'created', { after: { ...view, spec: undefined } });
    return { status: 201, body: view };
  });
}

export interface QueueInput {
  spec_path?: string;
  spec?: Record<string, unknown>;
  id?: string;
}

/**
 * A run for a runner to claim: the spec from a file under automation/specs/ (read by the API)
 * or inline, validated now and stored as it will run.
 * `deploymentAt`: where an unknown deployment is reported (a body field → 400; null: the path → 404).
 */
export async function queueRun(
  db: Db,
  who: Principal,
  deploymentId: string,
  input: QueueInput,
  opts: { root: string; deploymentAt: string | null; meta?: WriteMeta },
): Promise<WriteResult<AutomationRun>> {
  const spec =
    input.spec_path !== undefined
      ? loadRepoSpec(opts.root, input.spec_path, 'body.spec_path')
      : validateInlineSpec(input.spec, 'body.spec');
  if (spec.deployment_id !== deploymentId) {
    const at = input.spec_path !== undefined ? 'body.spec_path' : 'body.spec.deployment_id';
    throw validationError([
      { path: at, message: `the spec is for deployment ${spec.deployment_id}, not ${deploymentId}` },
    ]);
  }
  const id = input.id ?? generateId('automationRun');
  return idempotent(
    db,
    who,
    {
      key: opts.meta?.idempotencyKey,
      runId: id,
      subject: input.id ?? deploymentId,
      op: 'queue',
      body: { deploymentId, input },
    },
    async (trx) => {
      const dep = await deploymentFor(trx, who, deploymentId, opts.deploymentAt);
      if (dep.state === 'retired') throw conflict(`deployment ${dep.id} is retired: no more automation runs for it`);
      const row = await insertQueued(trx, who, dep, spec, {
        id,
        specRef: input.spec_path ?? 'inline',
        source: 'queue',
      });
      return { status: 201, body: await viewOf(trx, row) };
    },
  );
}

async function insertQueued(
  trx: Trx,
  who: Principal | string,
  dep: Pick<Deployment, 'id' | 'site_id' | 'customer_id'>,
  spec: ExecutionSpec,
  opts: { id: string; specRef: string; source: 'queue' | 'schedule'; scheduleId?: string; fireTime?: string },
): Promise<RunRow> {
  const actor = typeof who === 'string' ? who : who.name;
  const row = await trx
    .insertInto('automation_runs')
    .values({
      id: opts.id,
      project: spec.project,
      deployment_id: dep.id,
      site_id: dep.site_id,
      customer_id: dep.customer_id,
      product_code: spec.product_code,
      product_version: spec.product_version,
      spec: json(spec),
      spec_digest: specDigest(spec),
      spec_ref: opts.specRef,
      source: opts.source,
      schedule_id: opts.scheduleId ?? null,
      fire_time: opts.fireTime ?? null,
      state: 'queued',
      created_by: actor,
      timeline_count: 1,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw conflict(`automation run ${opts.id} already exists`);
  const why =
    opts.source === 'schedule' ? `schedule ${opts.scheduleId} (${opts.fireTime})` : `${actor} (${opts.specRef})`;
  await trx
    .insertInto('automation_run_timeline')
    .values({
      run_id: row.id,
      seq: 1,
      at: new Date(),
      action_id: null,
      state: 'queued',
      message: `queued by ${why}: waiting for a runner`,
      duration_ms: 0,
      attempt: null,
    })
    .execute();
  await record(trx, who, row, 'queued', {
    after: { spec_ref: row.spec_ref, spec_digest: row.spec_digest, source: row.source, schedule_id: row.schedule_id },
  });
  return row;
}

/** Appends status entries; the run's first `running` entry (no action_id) starts it. 409 once finished. */
export async function appendTimeline(
  db: Db,
  who: Principal,
  id: string,
  body: AppendTimelineBody,
  meta: WriteMeta = {},
) {
  return idempotent(db, who, { key: meta.idempotencyKey, runId: id, op: 'timeline', body }, async (trx) => {
    const before = await lockRun(trx, who, id);
    assertOpen(before, 'timeline entries');
    const entries = body.entries;
    await trx
      .insertInto('automation_run_timeline')
      .values(
        entries.map((e, i) => ({
          run_id: id,
          seq: before.timeline_count + i + 1,
          at: e.at,
          action_id: e.action_id ?? null,
          state: e.state,
          message: e.message,
          duration_ms: e.duration_ms,
          attempt: e.attempt ?? null,
          skip: e.skip ? json(e.skip) : null,
        })),
      )
      .execute();
    const start =
      before.state === 'queued' ? entries.find((e) => e.action_id === undefined && e.state === 'running') : undefined;
    const row = await trx
      .updateTable('automation_runs')
      .set({
        timeline_count: before.timeline_count + entries.length,
        ...(start ? { state: 'running' as const, started_at: before.started_at ?? start.at } : {}),
        ...(before.claimed_by && before.lease_s ? { lease_expires_at: leaseFrom(before.lease_s) } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await record(trx, who, row, 'timeline', {
      after: { entries: entries.length, states: entries.map((e) => `${e.action_id ?? '(run)'}:${e.state}`) },
      payload: { entries },
    });
    return {
      status: 201,
      body: { run_id: id, state: row.state, appended: entries.length, timeline_count: row.timeline_count },
    };
  });
}

export async function attachArtifact(
  db: Db,
  who: Principal,
  id: string,
  body: AttachArtifactBody,
  meta: WriteMeta = {},
) {
  return idempotent(db, who, { key: meta.idempotencyKey, runId: id, op: 'artifact', body }, async (trx) => {
    const row = await lockRun(trx, who, id);
    assertOpen(row, 'artifacts');
    const inserted = await trx
      .insertInto('automation_run_artifacts')
      .values({
        run_id: id,
        name: body.name,
        action_id: body.action_id ?? null,
        path: body.path,
        content_type: body.content_type,
        size: body.size,
        sha256: body.sha256,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await touchRun(trx, id);
    const artifact = toArtifact(inserted);
    await record(trx, who, row, 'artifact', { after: artifact, payload: { artifact } });
    return { status: 201, body: artifact };
  });
}

/** A write-back body names its run: the one in the path. */
function assertRunInPath(body: { run_id: string }, id: string): void {
  if (body.run_id !== id)
    throw validationError([{ path: 'body.run_id', message: `expected ${id}, the run in the path` }]);
}

/** A write-back changed the run: its `updated_at` says so (lists sort and poll by it). */
async function touchRun(trx: Transaction<Database>, id: string): Promise<void> {
  await trx.updateTable('automation_runs').set({ updated_at: new Date() }).where('id', '=', id).execute();
}

/** A ticket record linked to the run and its deployment, and the "automation run failed" alert (once per run). */
export async function openTicket(db: Db, who: Principal, id: string, body: OpenTicketInput, meta: WriteMeta = {}) {
  assertRunInPath(body, id);
  return idempotent(db, who, { key: meta.idempotencyKey, runId: id, op: 'ticket', body }, async (trx) => {
    const row = await lockRun(trx, who, id);
    if (body.deployment_id !== row.deployment_id)
      throw validationError([
        { path: 'body.deployment_id', message: `expected ${row.deployment_id}, the deployment of run ${id}` },
      ]);
    assertOpen(row, 'tickets');
    const ticketId = `tkt_${ulidBody()}`;
    const alert = await openAlert(trx, who.name, {
      ruleId: RUN_FAILED_RULE,
      subject: { type: RUN_SUBJECT, id },
      customerId: row.customer_id,
      siteId: row.site_id,
      severity: body.severity,
      title: `Automation run ${id} failed (${row.project}, ${row.deployment_id}): ${body.summary}`.slice(0, 300),
      details: {
        run_id: id,
        project: row.project,
        deployment_id: row.deployment_id,
        action_id: body.action_id,
        summary: body.summary,
        ticket_id: ticketId,
      },
      dedupeKey: runFailedKey(id),
    });
    // The ticket is a real work item (domain.md), linked to the run, its deployment and the alert.
    const alertId =
      alert?.id ??
      (
        await trx
          .selectFrom('alerts')
          .select('id')
          .where('dedupe_key', '=', runFailedKey(id))
          .where('state', '<>', 'resolved')
          .executeTakeFirst()
      )?.id;
    const workItem = await createWorkItemIn(
      trx,
      who,
      {
        ...(body.work_item_id ? { id: body.work_item_id } : {}),
        kind: 'ticket',
        title: body.summary.trim().slice(0, 300) || `Automation run ${id} failed`,
        description:
          `Automation run ${id} (project ${row.project}, deployment ${row.deployment_id}) failed at action "${body.action_id}".\n\n${body.summary}`.slice(
            0,
            20_000,
          ),
        state: 'open',
        owner: body.owner ?? null,
        priority: PRIORITY_OF_SEVERITY[body.severity],
        links: { automation_run_id: id, deployment_id: row.deployment_id, ...(alertId ? { alert_id: alertId } : {}) },
        external_ref: body.external_ref ?? null,
      },
      { origin: 'automation' },
    );
    const inserted = await trx
      .insertInto('automation_tickets')
      .values({
        work_item_id: workItem.id,
        id: ticketId,
        run_id: id,
        deployment_id: row.deployment_id,
        customer_id: row.customer_id,
        site_id: row.site_id,
        action_id: body.action_id,
        summary: body.summary,
        severity: body.severity,
        alert_id: alert?.id ?? null,
        created_by: who.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await touchRun(trx, id);
    const ticket = toTicket(inserted);
    await record(trx, who, row, 'ticket', { after: ticket, payload: { ticket } });
    return { status: 201, body: ticket };
  });
}

/**
 * A provisioning action's write-back: `external_refs.chirpstack` of a device of the run's
 * deployment (or site), merged over what the device has (other systems' refs are kept). Only a
 * change is audited and announced (`device.updated`, so the ingest's DevEUI cache follows); a
 * repeat answers `changed: false`.
 */
export async function setDeviceRefs(db: Db, who: Principal, id: string, body: DeviceRefsInput, meta: WriteMeta = {}) {
  assertRunInPath(body, id);
  return idempotent(db, who, { key: meta.idempotencyKey, runId: id, op: 'device_refs', body }, async (trx) => {
    const row = await lockRun(trx, who, id);
    assertOpen(row, 'device refs');
    const before = await selectDevices(trx as Kysely<Database>)
      .where('id', '=', body.device_id)
      .forUpdate()
      .executeTakeFirst();
    const inRun =
      before &&
      before.customer_id === row.customer_id &&
      (before.deployment_id === row.deployment_id || before.site_id === row.site_id);
    if (!before || !inRun) {
      throw validationError([
        {
          path: 'body.device_id',
          message: `device ${body.device_id} is not a device of deployment ${row.deployment_id} or its site`,
        },
      ]);
    }
    const refs = before.external_refs as Record<string, unknown>;
    const current = (refs.chirpstack ?? {}) as Record<string, unknown>;
    const merged = { ...current, ...body.chirpstack };
    const changed = canonicalJson(merged) !== canonicalJson(current);
    if (changed) {
      await assertDevEuiFree(trx as Transaction<Database>, body.chirpstack.dev_eui, body.device_id);
      await trx
        .updateTable('devices')
        .set({ external_refs: json({ ...refs, chirpstack: merged }), updated_at: new Date() })
        .where('id', '=', body.device_id)
        .execute();
      const after = toDevice(
        await selectDevices(trx as Kysely<Database>)
          .where('id', '=', body.device_id)
          .executeTakeFirstOrThrow(),
      );
      await recordAudit(trx, who, {
        action: 'update',
        entity: 'device',
        entityId: body.device_id,
        customerId: after.customer_id,
        before: { external_refs: refs },
        after: { external_refs: after.external_refs, automation_run_id: id, action_id: body.action_id },
      });
      await emitChange(trx, {
        type: 'device.updated',
        subject: { type: 'device', id: body.device_id },
        customerId: after.customer_id,
        siteId: after.site_id,
        payload: after,
      });
      await touchRun(trx, id);
    }
    return {
      status: 200,
      body: { device_id: body.device_id, changed, external_refs: changed ? { ...refs, chirpstack: merged } : refs },
    };
  });
}

/** queued | running → succeeded | failed, with the page and commit. 409 when already finished. */
export async function finishRun(db: Db, who: Principal, id: string, body: FinishRunBody, meta: WriteMeta = {}) {
  return idempotent(db, who, { key: meta.idempotencyKey, runId: id, op: 'finish', body }, async (trx) => {
    const before = await lockRun(trx, who, id);
    if (FINISHED_RUN_STATES.includes(before.state)) {
      throw conflict(`automation run ${id} is already ${before.state}${before.error ? ` (${before.error})` : ''}`);
    }
    const row = await trx
      .updateTable('automation_runs')
      .set({
        state: body.state,
        started_at: body.started_at,
        finished_at: body.finished_at,
        duration_ms: body.duration_ms,
        page_path: body.page_path,
        commit_sha: body.commit_sha,
        pushed: body.pushed,
        lease_expires_at: null,
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = await viewOf(trx, row);
    await record(trx, who, row, 'finished', {
      before: { state: before.state },
      after: {
        state: row.state,
        page_path: row.page_path,
        commit_sha: row.commit_sha,
        pushed: row.pushed,
        duration_ms: body.duration_ms,
      },
      payload: { page_path: row.page_path, commit_sha: row.commit_sha, duration_ms: body.duration_ms },
    });
    return { status: 200, body: view };
  });
}

// ---------------------------------------------------------------------------------------
// Runners: claims, leases, lost runners

/**
 * The oldest queued run (queue or schedule) whose deployment has no running run, marked
 * running and held by `runner` — or null. `FOR UPDATE SKIP LOCKED` lets runners claim in
 * parallel without waiting on each other; only the oldest queued run of a deployment is a
 * candidate, so runs of one deployment start in the order they were queued. The partial
 * unique index on (deployment_id) of claimed running runs is the backstop of "one at a time
 * per deployment" (a runner that loses that race gets a unique violation and looks again).
 */
export async function claimRun(db: Db, who: Principal, body: ClaimBody): Promise<AutomationRun | null> {
  await expireLostRuns(db, who.name);
  // A run whose runner stopped mid-run comes before anything queued: it has waited longest.
  const lapsed = await takeOverLapsedRun(db, who, body);
  if (lapsed) return lapsed;
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        let candidate = trx
          .selectFrom('automation_runs as r')
          .select('r.id')
          .where('r.state', '=', 'queued')
          .where('r.source', 'in', ['queue', 'schedule'])
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('automation_runs as x')
                  .select('x.id')
                  .whereRef('x.deployment_id', '=', 'r.deployment_id')
                  .where('x.state', '=', 'running')
                  .where((w) =>
                    w.or([
                      w('x.claimed_by', 'is not', null),
                      w('x.updated_at', '>', sql<Date>`now() - make_interval(mins => ${UNCLAIMED_ACTIVE_MINUTES})`),
                    ]),
                  ),
              ),
            ),
          )
          // First in, first out per deployment: only its oldest queued run may be taken (a runner
          // that skips the oldest because another holds its lock must not take the next one).
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom('automation_runs as y')
                  .select('y.id')
                  .whereRef('y.deployment_id', '=', 'r.deployment_id')
                  .where('y.state', '=', 'queued')
                  .where('y.source', 'in', ['queue', 'schedule'])
                  .where(sql<boolean>`(y.created_at, y.id) < (r.created_at, r.id)`),
              ),
            ),
          )
          .orderBy('r.created_at')
          .orderBy('r.id')
          .limit(1)
          .forUpdate()
          .skipLocked();
        if (who.customerId) candidate = candidate.where('r.customer_id', '=', who.customerId);
        if (body.deployment_id) candidate = candidate.where('r.deployment_id', '=', body.deployment_id);
        if (body.project) candidate = candidate.where('r.project', '=', body.project);
        const found = await candidate.executeTakeFirst();
        if (!found) return null;
        const before = await trx
          .selectFrom('automation_runs')
          .select('timeline_count')
          .where('id', '=', found.id)
          .executeTakeFirstOrThrow();
        const row = await updateWithEntry(
          trx,
          { id: found.id, timeline_count: before.timeline_count },
          {
            state: 'running',
            claimed_by: body.runner,
            claimed_at: sql<Date>`now()`,
            lease_s: body.lease_s,
            lease_expires_at: leaseFrom(body.lease_s),
            started_at: sql<Date>`coalesce(started_at, now())`,
          },
          { state: 'running', message: `claimed by runner ${body.runner}` },
        );
        await record(trx, who, row, 'claimed', {
          before: { state: 'queued' },
          after: { state: 'running', claimed_by: body.runner, lease_s: body.lease_s },
          payload: { claimed_by: body.runner },
        });
        return viewOf(trx, row);
      });
    } catch (err) {
      // Another runner claimed a run of the same deployment a moment earlier: look again.
      if ((err as { code?: string }).code === '23505') continue;
      throw err;
    }
  }
  return null;
}

/**
 * What the service itself does to a run (claimed, picked up, lost) changes its row and appends
 * one run-level timeline entry saying so, in the same transaction: the entry's seq is the row's
 * new timeline_count. The caller holds the row's lock.
 */
async function updateWithEntry(
  trx: Trx,
  before: Pick<RunRow, 'id' | 'timeline_count'>,
  changes: UpdateObject<Database, 'automation_runs'>,
  entry: { state: 'running' | 'failed'; message: string },
): Promise<RunRow> {
  const row = await trx
    .updateTable('automation_runs')
    .set({ ...changes, timeline_count: before.timeline_count + 1, updated_at: new Date() })
    .where('id', '=', before.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('automation_run_timeline')
    .values({
      run_id: row.id,
      seq: row.timeline_count,
      at: new Date(),
      action_id: null,
      state: entry.state,
      message: entry.message,
      duration_ms: 0,
      attempt: null,
    })
    .execute();
  return row;
}

/** A runner says it still holds the run: the lease moves on. 409 when the run is no longer its. */
export async function heartbeat(db: Db, who: Principal, id: string, runner: string) {
  return db.transaction().execute(async (trx) => {
    const before = await lockRun(trx, who, id);
    if (before.state !== 'running' || before.claimed_by !== runner) {
      throw conflict(
        `automation run ${id} is not held by runner ${runner} (state ${before.state}${before.claimed_by ? `, claimed by ${before.claimed_by}` : ''}${before.error ? `: ${before.error}` : ''})`,
      );
    }
    const row = await trx
      .updateTable('automation_runs')
      .set({ lease_expires_at: leaseFrom(before.lease_s ?? 300), updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // Audited, but not on the change feed: a lease renewal every few seconds is not news for a
    // person, and would make every RunTimeline re-fetch.
    await record(trx, who, row, 'heartbeat', { after: { lease_expires_at: iso(row.lease_expires_at) }, change: false });
    return { id, state: row.state, lease_expires_at: iso(row.lease_expires_at) };
  });
}

/**
 * A claimed run whose runner stopped mid-run (killed, host lost: no heartbeat or write-back
 * within the lease) is not failed: its runner resumes it after a restart (POST …/resume, the
 * same runner name, it may do so at any time), or once the lease lapsed another runner's claim
 * takes it over. Either picks it up where the timeline (or the runner's own journal) says it
 * stopped: finished actions are not run again; an interrupted action is repeated only when it
 * is idempotent. Then the run page and the commit are written once, by the runner holding it.
 */
async function takeOverLapsedRun(db: Db, who: Principal, body: ClaimBody): Promise<AutomationRun | null> {
  return db.transaction().execute(async (trx) => {
    let lapsed = trx
      .selectFrom('automation_runs')
      .selectAll()
      .where('state', '=', 'running')
      .where('claimed_by', 'is not', null)
      .where('lease_expires_at', '<', sql<Date>`now()`)
      .where('resumes', '<', MAX_RUN_RESUMES)
      .orderBy('lease_expires_at')
      .orderBy('id')
      .limit(1)
      .forUpdate()
      .skipLocked();
    if (who.customerId) lapsed = lapsed.where('customer_id', '=', who.customerId);
    if (body.deployment_id) lapsed = lapsed.where('deployment_id', '=', body.deployment_id);
    if (body.project) lapsed = lapsed.where('project', '=', body.project);
    const before = await lapsed.executeTakeFirst();
    return before ? pickUp(trx, who, before, body.runner, body.lease_s) : null;
  });
}

/**
 * `POST /automation-runs/:id/resume`: the runner that held the run picks it up after a restart
 * (any time), or another runner once the lease lapsed. 409 when the run is finished, was never
 * claimed, is held by a live runner, or has been picked up MAX_RUN_RESUMES times (it then fails
 * as lost: a run that keeps stopping its runner is not tried forever).
 */
export async function resumeRun(db: Db, who: Principal, id: string, body: ResumeBody): Promise<AutomationRun> {
  const outcome = await db.transaction().execute(async (trx): Promise<{ refused: string } | { run: AutomationRun }> => {
    const before = await lockRun(trx, who, id);
    if (before.state !== 'running' || before.claimed_by === null) {
      const why =
        before.state === 'running'
          ? 'it was not claimed by a runner'
          : `it is ${before.state}${before.error ? ` (${before.error})` : ''}`;
      return { refused: `automation run ${id} cannot be resumed: ${why}` };
    }
    const lapsed = before.lease_expires_at !== null && before.lease_expires_at.getTime() < Date.now();
    if (before.claimed_by !== body.runner && !lapsed) {
      return {
        refused: `automation run ${id} is held by runner ${before.claimed_by} until ${iso(before.lease_expires_at)}: only it may resume the run before its lease lapses`,
      };
    }
    if (before.resumes >= MAX_RUN_RESUMES) {
      const error = `runner ${before.claimed_by} stopped mid-run ${before.resumes + 1} times: the run is not picked up again (at most ${MAX_RUN_RESUMES})`;
      await failLost(trx, who.name, before, error);
      return { refused: `automation run ${id} failed: ${error}` };
    }
    return { run: await pickUp(trx, who, before, body.runner, body.lease_s) };
  });
  if ('refused' in outcome) throw conflict(outcome.refused);
  return outcome.run;
}

async function pickUp(
  trx: Trx,
  who: Principal,
  before: RunRow,
  runner: string,
  leaseS: number,
): Promise<AutomationRun> {
  const n = before.resumes + 1;
  const how =
    before.claimed_by === runner
      ? `resumed by runner ${runner} after a restart`
      : `taken over by runner ${runner}: runner ${before.claimed_by} lost (no heartbeat or write-back since ${iso(before.lease_expires_at)})`;
  const row = await updateWithEntry(
    trx,
    before,
    {
      claimed_by: runner,
      claimed_at: sql<Date>`now()`,
      lease_s: leaseS,
      lease_expires_at: leaseFrom(leaseS),
      resumes: n,
    },
    { state: 'running', message: `${how} (pick-up ${n} of at most ${MAX_RUN_RESUMES})` },
  );
  await record(trx, who, row, 'resumed', {
    before: { claimed_by: before.claimed_by, lease_expires_at: iso(before.lease_expires_at) },
    after: { claimed_by: runner, lease_s: leaseS, resumes: n },
    payload: { claimed_by: runner, resumes: n },
  });
  return viewOf(trx, row);
}

/**
 * Claimed runs whose lease lapsed after MAX_RUN_RESUMES pick-ups: failed, with a timeline entry
 * and the "automation run failed" alert. A run that keeps stopping its runner (or an action that
 * kills it) is not tried forever. Returns the ids.
 */
export async function expireLostRuns(db: Db, actor: string): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const lost = await trx
      .selectFrom('automation_runs')
      .selectAll()
      .where('state', '=', 'running')
      .where('claimed_by', 'is not', null)
      .where('lease_expires_at', '<', sql<Date>`now()`)
      .where('resumes', '>=', MAX_RUN_RESUMES)
      .orderBy('id')
      .limit(100)
      .forUpdate()
      .skipLocked()
      .execute();
    for (const before of lost) {
      const error =
        `runner ${before.claimed_by} lost: no heartbeat or write-back since ${iso(before.lease_expires_at)} (lease ${before.lease_s} s), ` +
        `after ${before.resumes} pick-up${before.resumes === 1 ? '' : 's'} (at most ${MAX_RUN_RESUMES})`;
      await failLost(trx, actor, before, error);
    }
    return lost.map((r) => r.id);
  });
}

/** A claimed run ends as failed without its runner: a timeline entry, the alert, the audit. */
async function failLost(trx: Trx, actor: string, before: RunRow, error: string): Promise<void> {
  const row = await updateWithEntry(
    trx,
    before,
    { state: 'failed', error, finished_at: sql<Date>`now()`, lease_expires_at: null },
    { state: 'failed', message: `run failed: ${error}` },
  );
  await openAlert(trx, actor, {
    ruleId: RUN_FAILED_RULE,
    subject: { type: RUN_SUBJECT, id: row.id },
    customerId: row.customer_id,
    siteId: row.site_id,
    severity: 'warning',
    title: `Automation run ${row.id} failed (${row.project}, ${row.deployment_id}): ${error}`.slice(0, 300),
    details: { run_id: row.id, project: row.project, deployment_id: row.deployment_id, reason: 'runner_lost' },
    dedupeKey: runFailedKey(row.id),
  });
  await record(trx, actor, row, 'lost', {
    before: { state: 'running', claimed_by: before.claimed_by },
    after: { state: 'failed', error },
    payload: { error },
  });
}

// ---------------------------------------------------------------------------------------
// Schedule slots

/**
 * One slot of a schedule (automation/schedules.yaml), fired once per tenant: the first runner
 * to take (schedule_id, fire_time) queues its runs in the same transaction; every other runner
 * gets `fired: false` and queues nothing. An unscoped runner fires the slot for the whole fleet
 * (tenant ''), skipping only customers whose own scoped runner fired their share already; a
 * customer-scoped runner fires its customer's share and never takes the fleet's slot, so the
 * other customers' runs still happen. Fires of one slot are serialised by a transaction lock.
 */
export async function fireSchedule(db: Db, who: Principal, body: ScheduleFireBody): Promise<ScheduleFireResult> {
  const spec = body.spec !== undefined ? validateInlineSpec(body.spec, 'body.spec') : undefined;
  const job = body.health_checks ? healthChecksJobSchema.parse(body.health_checks) : undefined;
  const fireAt = new Date(body.fire_time);
  const fireTime = fireAt.toISOString();
  const tenant = who.customerId ?? '';
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`schedule-fire:${body.schedule_id}@${fireTime}`}))`.execute(trx);
    const fires = await trx
      .selectFrom('automation_schedule_fires')
      .selectAll()
      .where('schedule_id', '=', body.schedule_id)
      .where('fire_time', '=', fireAt)
      .execute();
    const first =
      fires.find((f) => f.tenant === tenant) ?? (tenant !== '' ? fires.find((f) => f.tenant === '') : undefined);
    if (first) {
      const seen =
        tenant === ''
          ? { run_ids: first.run_ids, skipped: first.skipped }
          : await tenantShare(trx, tenant, first.run_ids, first.skipped);
      return { schedule_id: body.schedule_id, fire_time: fireTime, fired: false, fired_by: first.fired_by, ...seen };
    }
    await trx
      .insertInto('automation_schedule_fires')
      .values({ schedule_id: body.schedule_id, fire_time: fireTime, tenant, fired_by: body.runner })
      .execute();
    // Customers whose scoped runner already fired their share of this slot.
    const firedApart = new Set(fires.map((f) => f.tenant));
    const ours = (dep: Deployment) => (tenant === '' ? !firedApart.has(dep.customer_id) : dep.customer_id === tenant);
    const runIds: string[] = [];
    const skipped: Array<{ deployment_id: string; reason: string }> = [];
    const queue = async (dep: Deployment, s: ExecutionSpec) => {
      const row = await insertQueued(trx, who, dep, s, {
        id: generateId('automationRun'),
        specRef: body.spec_path ?? `schedule:${body.schedule_id}`,
        source: 'schedule',
        scheduleId: body.schedule_id,
        fireTime,
      });
      runIds.push(row.id);
    };
    if (spec) {
      const dep = await trx
        .selectFrom('deployments')
        .selectAll()
        .where('id', '=', spec.deployment_id)
        .executeTakeFirst();
      if (!dep || (who.customerId !== null && dep.customer_id !== who.customerId))
        skipped.push({ deployment_id: spec.deployment_id, reason: 'unknown deployment' });
      else if (!ours(dep)) skipped.push({ deployment_id: dep.id, reason: 'fired by its customer' });
      else if (dep.state === 'retired') skipped.push({ deployment_id: dep.id, reason: 'retired' });
      else await queue(dep, spec);
    } else if (job) {
      let deps = trx.selectFrom('deployments').selectAll().where('state', '=', job.deployment_state).orderBy('id');
      if (who.customerId) deps = deps.where('customer_id', '=', who.customerId);
      for (const dep of await deps.execute()) {
        if (!ours(dep)) continue;
        const devices = await trx
          .selectFrom('devices')
          .select(['id', 'name', 'role'])
          .where('deployment_id', '=', dep.id)
          .orderBy('id')
          .limit(job.max_devices)
          .execute();
        if (devices.length === 0) {
          skipped.push({ deployment_id: dep.id, reason: 'no devices' });
          continue;
        }
        const generated = validateInlineSpec(
          buildHealthCheckSpec(dep, devices, job, body.schedule_id),
          `schedule ${body.schedule_id} (${dep.id})`,
        );
        await queue(dep, generated);
      }
    }
    await trx
      .updateTable('automation_schedule_fires')
      .set({ run_ids: json(runIds), skipped: json(skipped) })
      .where('schedule_id', '=', body.schedule_id)
      .where('fire_time', '=', fireAt)
      .where('tenant', '=', tenant)
      .execute();
    await recordAudit(trx, who, {
      action: 'automation_schedule.fire',
      entity: 'automation_schedule',
      entityId: `${body.schedule_id}@${fireTime}`,
      customerId: who.customerId,
      after: { runner: body.runner, run_ids: runIds, skipped },
    });
    return {
      schedule_id: body.schedule_id,
      fire_time: fireTime,
      fired: true,
      fired_by: body.runner,
      run_ids: runIds,
      skipped,
    };
  });
}

/** What a fleet-wide fire queued and skipped, cut to one customer's runs and deployments. */
async function tenantShare(
  trx: Trx,
  customerId: string,
  runIds: string[],
  skipped: Array<{ deployment_id: string; reason: string }>,
) {
  const runs = runIds.length
    ? await trx
        .selectFrom('automation_runs')
        .select('id')
        .where('id', 'in', runIds)
        .where('customer_id', '=', customerId)
        .execute()
    : [];
  const depIds = skipped.map((s) => s.deployment_id);
  const deps = depIds.length
    ? await trx
        .selectFrom('deployments')
        .select('id')
        .where('id', 'in', depIds)
        .where('customer_id', '=', customerId)
        .execute()
    : [];
  const mine = new Set([...runs.map((r) => r.id), ...deps.map((d) => d.id)]);
  return { run_ids: runIds.filter((id) => mine.has(id)), skipped: skipped.filter((s) => mine.has(s.deployment_id)) };
}
