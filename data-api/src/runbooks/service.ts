// Runbook executions (runbooks.md "Execution in the browser"): the gate rules, item versions,
// sign-off roles, evidence records. Every write runs in one transaction that locks the
// execution row (so actions on one execution apply one at a time, in order), and leaves an
// activity row, an audit entry and a change event (`execution.*`) in that same transaction.
// No HTTP here: routes.ts turns requests into these calls.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { recordAudit } from '../kernel/audit/service.ts';
import { allows, type Principal } from '../kernel/auth/roles.ts';
import { emitChange } from '../kernel/changes/service.ts';
import {
  computeGateStatuses,
  FINAL_STATES,
  formatExpect,
  liveState,
  outOfRange,
  type Activity,
  type Evidence,
  type Execution,
  type ExecutionState,
  type ExecutionSummary,
  type GateState,
  type AutoCheckResult,
  type ItemActionResult,
  type ItemState,
  type RunbookInfo,
  type Whoami,
} from '../contracts/executions.ts';
import { generateId } from '../contracts/ids.ts';
import {
  itemTakes,
  runbookMisfit,
  type ChecklistItem,
  type EvidenceKind,
  type Gate,
  type SignOffRole,
} from '../contracts/runbook.ts';
import {
  json,
  type Database,
  type RunbookEvidenceTable,
  type RunbookExecutionsTable,
  type RunbookGateSignoffsTable,
  type RunbookItemStatesTable,
} from '../kernel/db/index.ts';
import { ApiError, conflict, forbidden, notFound, validationError } from '../kernel/errors/index.ts';
import { iso, translateDbError } from '../kernel/db/values.ts';
import { assertInScope, scopeOf } from '../kernel/auth/tenancy.ts';
import { decodeCursor, encodeCursor } from '../kernel/db/pagination.ts';
import { findDeployment } from '../registry/lookups.ts';
import type { RunbookCatalog } from './catalog.ts';
import { probeOf } from './auto-check/targets.ts';
import { applicableGates, conditionDataFor, type SkippedItem } from './conditions.ts';

type Db = Kysely<Database>;
type Trx = Transaction<Database> | Db;
type ExecutionRow = Selectable<RunbookExecutionsTable>;
type ItemRow = Selectable<RunbookItemStatesTable>;
type SignoffRow = Selectable<RunbookGateSignoffsTable>;
type EvidenceRow = Selectable<RunbookEvidenceTable>;

/** What an execution stores of its runbook: the gates as they were at start. */
interface Snapshot {
  gates: Gate[];
  /** Items whose `when` was false for the deployment when the execution started. */
  skipped_items?: SkippedItem[];
}

/** 409 for a stale `if_version`: the body carries the item as it is now, so the UI can say who changed it. */
export class ItemConflictError extends ApiError {
  constructor(
    message: string,
    readonly current: ItemState,
  ) {
    super('conflict', message);
  }
  override toBody() {
    return { ...super.toBody(), current: this.current };
  }
}

/** Request metadata every action may carry (offline queue): idempotency key and device time. */
export interface ActionMeta {
  action_id?: string;
  client_at?: string;
}

/* ------------------------------------------------------------------ views */

const evidenceUrl = (r: EvidenceRow) =>
  r.kind === 'link' ? r.url! : `/api/v1/runbook-executions/${r.execution_id}/evidence/${r.id}`;

export const toEvidence = (r: EvidenceRow): Evidence => ({
  id: r.id,
  execution_id: r.execution_id,
  gate_id: r.gate_id,
  item_id: r.item_id,
  kind: r.kind,
  sha256: r.sha256,
  size: r.size === null ? null : Number(r.size),
  content_type: r.content_type,
  filename: r.filename,
  url: evidenceUrl(r),
  by: r.by,
  at: iso(r.at)!,
});

function toItemState(item: ChecklistItem, gateId: string, row: ItemRow, evidence: EvidenceRow[]): ItemState {
  return {
    id: item.id,
    gate_id: gateId,
    text: item.text,
    evidence: item.evidence,
    expect: item.expect ?? null,
    checked: row.checked,
    value: row.value,
    flagged: row.flagged,
    note: row.note,
    by: row.by,
    at: iso(row.at),
    client_at: iso(row.client_at),
    version: row.version,
    evidence_items: evidence.filter((e) => e.item_id === item.id).map(toEvidence),
    auto_check: autoCheckOf(item),
  };
}

function autoCheckOf(item: ChecklistItem): ItemState['auto_check'] {
  const p = probeOf(item);
  return p ? { probe: p.probe, target: p.template } : null;
}

interface Parts {
  items: ItemRow[];
  signoffs: SignoffRow[];
  evidence: EvidenceRow[];
}

function gateStatuses(snapshot: Snapshot, parts: Pick<Parts, 'items' | 'signoffs'>) {
  const checked = new Set(parts.items.filter((i) => i.checked).map((i) => i.item_id));
  const signed = new Set(parts.signoffs.map((s) => s.gate_id));
  return computeGateStatuses(
    snapshot.gates,
    (id) => checked.has(id),
    (id) => signed.has(id),
  );
}

function toSummary(row: ExecutionRow, parts: Pick<Parts, 'items' | 'signoffs'>): ExecutionSummary {
  const snapshot = row.snapshot as Snapshot;
  const statuses = gateStatuses(snapshot, parts);
  const checked = parts.items.filter((i) => i.checked).length;
  return {
    id: row.id,
    runbook: {
      id: row.runbook_id,
      version: row.runbook_version,
      title: row.runbook_title,
      kind: row.runbook_kind,
      url: row.runbook_url,
    },
    deployment_id: row.deployment_id,
    site_id: row.site_id,
    customer_id: row.customer_id,
    state: row.state,
    progress: { checked, total: parts.items.length },
    current_gate: statuses.find((s) => s.status !== 'complete')?.id ?? null,
    started_by: row.started_by,
    started_at: iso(row.started_at)!,
    finished_by: row.finished_by,
    finished_at: iso(row.finished_at),
    abandon_reason: row.abandon_reason,
    version: row.version,
    updated_at: iso(row.updated_at)!,
  };
}

function toExecution(row: ExecutionRow, parts: Parts): Execution {
  const snapshot = row.snapshot as Snapshot;
  const statuses = gateStatuses(snapshot, parts);
  const byItem = new Map(parts.items.map((i) => [i.item_id, i]));
  const gates: GateState[] = snapshot.gates.map((g, gi) => {
    const s = parts.signoffs.find((x) => x.gate_id === g.id);
    return {
      id: g.id,
      title: g.title,
      sign_off: g.sign_off ?? null,
      status: statuses[gi]!.status,
      progress: statuses[gi]!.progress,
      signed_off: s ? { by: s.by, role: s.role, at: iso(s.at)!, note: s.note } : null,
      items: g.checklist.map((item) => toItemState(item, g.id, byItem.get(item.id)!, parts.evidence)),
    };
  });
  return { ...toSummary(row, parts), gates };
}

async function loadParts(trx: Trx, executionId: string): Promise<Parts> {
  const [items, signoffs, evidence] = await Promise.all([
    trx
      .selectFrom('runbook_item_states')
      .selectAll()
      .where('execution_id', '=', executionId)
      .orderBy('position')
      .execute(),
    trx.selectFrom('runbook_gate_signoffs').selectAll().where('execution_id', '=', executionId).execute(),
    trx
      .selectFrom('runbook_evidence')
      .selectAll()
      .where('execution_id', '=', executionId)
      .orderBy('at')
      .orderBy('id')
      .execute(),
  ]);
  return { items, signoffs, evidence };
}

/* ------------------------------------------------------------------ reads */

async function findExecution(trx: Trx, who: Principal, id: string, lock = false): Promise<ExecutionRow> {
  let q = trx.selectFrom('runbook_executions').selectAll().where('id', '=', id);
  if (lock) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw notFound('runbook execution', id);
  assertInScope(who, row.customer_id, 'runbook execution', id);
  return row;
}

export async function getExecution(db: Db, who: Principal, id: string): Promise<Execution> {
  const row = await findExecution(db, who, id);
  return toExecution(row, await loadParts(db, id));
}

export interface ExecutionListQuery {
  limit: number;
  cursor?: string;
  deployment_id?: string;
  runbook_id?: string;
  site_id?: string;
  customer_id?: string;
  /** The deployment's product. */
  product_code?: string;
  /** Each deployment's newest N only. */
  per_deployment?: number;
  state?: string;
}

/** Newest first (ids are time-sortable), keyset-paginated. */
export async function listExecutions(
  db: Db,
  who: Principal,
  q: ExecutionListQuery,
): Promise<{ items: ExecutionSummary[]; next_cursor: string | null }> {
  const before = decodeCursor(q.cursor);
  let matching = db.selectFrom('runbook_executions').selectAll();
  const scope = scopeOf(who);
  if (scope) matching = matching.where('customer_id', '=', scope);
  if (q.deployment_id) matching = matching.where('deployment_id', '=', q.deployment_id);
  if (q.runbook_id) matching = matching.where('runbook_id', '=', q.runbook_id);
  if (q.site_id) matching = matching.where('site_id', '=', q.site_id);
  if (q.customer_id) matching = matching.where('customer_id', '=', q.customer_id);
  if (q.product_code) {
    const product = q.product_code;
    matching = matching.where('deployment_id', 'in', (eb) =>
      eb.selectFrom('deployments').select('id').where('product_code', '=', product),
    );
  }
  if (q.state) matching = matching.where('state', 'in', q.state.split(',') as ExecutionState[]);
  // Each deployment's newest N among the matching ones, ranked before the page is cut, so the
  // pages of the answer are the same rows whatever the page size.
  const rows = q.per_deployment
    ? await db
        .selectFrom(
          matching
            .select((eb) =>
              eb.fn
                .agg<number>('row_number')
                .over((ob) => ob.partitionBy('deployment_id').orderBy('id', 'desc'))
                .as('rank_in_deployment'),
            )
            .as('e'),
        )
        .selectAll()
        .where('rank_in_deployment', '<=', q.per_deployment)
        .$if(before !== null, (qb) => qb.where('id', '<', before!))
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute()
    : await matching
        .$if(before !== null, (qb) => qb.where('id', '<', before!))
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
  const hasMore = rows.length > q.limit;
  const page = hasMore ? rows.slice(0, q.limit) : rows;
  const ids = page.map((r) => r.id);
  const [items, signoffs] = ids.length
    ? await Promise.all([
        db.selectFrom('runbook_item_states').selectAll().where('execution_id', 'in', ids).execute(),
        db.selectFrom('runbook_gate_signoffs').selectAll().where('execution_id', 'in', ids).execute(),
      ])
    : [[], []];
  return {
    items: page.map((r) =>
      toSummary(r, {
        items: items.filter((i) => i.execution_id === r.id),
        signoffs: signoffs.filter((s) => s.execution_id === r.id),
      }),
    ),
    next_cursor: hasMore ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/** The execution's history, oldest first ("who did what and when"). */
export async function listActivity(
  db: Db,
  who: Principal,
  id: string,
  q: { limit: number; after?: number },
): Promise<{ items: Activity[] }> {
  await findExecution(db, who, id);
  let query = db
    .selectFrom('runbook_execution_events')
    .selectAll()
    .where('execution_id', '=', id)
    .orderBy('id')
    .limit(q.limit);
  if (q.after !== undefined) query = query.where('id', '>', q.after);
  const rows = await query.execute();
  return {
    items: rows.map((r) => ({
      id: Number(r.id),
      action: r.action,
      gate_id: r.gate_id,
      item_id: r.item_id,
      by: r.by,
      at: iso(r.at)!,
      client_at: iso(r.client_at),
      detail: r.detail ?? {},
    })),
  };
}

/* ------------------------------------------------------------------ start */

export async function startExecution(
  db: Db,
  catalog: RunbookCatalog,
  who: Principal,
  input: { id?: string; runbook_id: string; deployment_id: string },
): Promise<Execution> {
  const runbook = catalog.get(input.runbook_id);
  if (!runbook)
    throw new ApiError(
      'not_found',
      `runbook ${input.runbook_id} not found: runbooks are the pages of runbooks/ and docs pages with a runbook kind`,
    );
  const deployment = await findDeployment(db, who, input.deployment_id);
  assertRunbookFits(runbook, deployment);
  for (const required of runbook.requires) {
    const done = await db
      .selectFrom('runbook_executions')
      .select('id')
      .where('deployment_id', '=', deployment.id)
      .where('runbook_id', '=', required)
      .where('state', '=', 'done')
      .limit(1)
      .executeTakeFirst();
    if (!done)
      throw conflict(
        `runbook ${runbook.id} requires ${required} done for deployment ${deployment.id} first: execute and finish ${required} for it, then start this one`,
      );
  }

  const id = input.id ?? generateId('execution');
  const applicable = applicableGates(runbook.gates, await conditionDataFor(db, deployment.id));
  const snapshot: Snapshot = {
    gates: applicable.gates,
    ...(applicable.skipped.length ? { skipped_items: applicable.skipped } : {}),
  };
  const now = new Date();
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('runbook_executions')
      .values({
        id,
        runbook_id: runbook.id,
        runbook_version: runbook.version,
        runbook_title: runbook.title,
        runbook_kind: runbook.kind,
        runbook_url: runbook.url,
        snapshot: json(snapshot),
        deployment_id: deployment.id,
        site_id: deployment.site_id,
        customer_id: deployment.customer_id,
        state: 'in_progress',
        started_by: who.name,
        started_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((err) => translateDbError(err, 'runbook execution', id));
    let position = 0;
    await trx
      .insertInto('runbook_item_states')
      .values(
        snapshot.gates.flatMap((g) =>
          g.checklist.map((item) => ({
            execution_id: id,
            item_id: item.id,
            gate_id: g.id,
            position: position++,
            value: null,
            note: null,
            by: null,
          })),
        ),
      )
      .execute();
    await trx
      .insertInto('runbook_execution_events')
      .values({
        execution_id: id,
        action: 'start',
        gate_id: null,
        item_id: null,
        by: who.name,
        action_id: null,
        detail: json({ runbook_id: runbook.id, runbook_version: runbook.version, deployment_id: deployment.id }),
      })
      .execute();
    const execution = toExecution(row, await loadParts(trx, id));
    await recordAudit(trx, who, {
      action: 'start',
      entity: 'runbook_execution',
      entityId: id,
      customerId: row.customer_id,
      after: summaryForAudit(execution),
    });
    await emitChange(trx, {
      type: 'execution.started',
      subject: { type: 'execution', id },
      customerId: row.customer_id,
      siteId: row.site_id,
      payload: changePayload(execution, who, {}),
    });
    return execution;
  });
}

function assertRunbookFits(
  runbook: RunbookInfo,
  deployment: { id: string; product_code: string; product_version: string; state: string },
): void {
  const misfit = runbookMisfit(runbook, deployment);
  if (misfit) throw conflict(misfit);
}

/* ------------------------------------------------------------------ shared action plumbing */

const summaryForAudit = (e: ExecutionSummary) => ({
  id: e.id,
  runbook: e.runbook,
  deployment_id: e.deployment_id,
  state: e.state,
  version: e.version,
  progress: e.progress,
});

function changePayload(e: ExecutionSummary, who: Principal, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    execution_id: e.id,
    deployment_id: e.deployment_id,
    runbook_id: e.runbook.id,
    state: e.state,
    version: e.version,
    progress: e.progress,
    current_gate: e.current_gate,
    by: who.name,
    at: e.updated_at,
    ...extra,
  };
}

function locate(snapshot: Snapshot, itemId: string): { gate: Gate; gateIndex: number; item: ChecklistItem } | null {
  for (const [gateIndex, gate] of snapshot.gates.entries()) {
    const item = gate.checklist.find((i) => i.id === itemId);
    if (item) return { gate, gateIndex, item };
  }
  return null;
}

function assertOpen(row: ExecutionRow): void {
  if (FINAL_STATES.includes(row.state)) {
    const when = row.finished_at ? ` at ${iso(row.finished_at)}` : '';
    throw conflict(
      `execution ${row.id} is ${row.state}${row.finished_by ? ` (by ${row.finished_by}${when})` : ''}: it takes no more changes; start a new execution to do the work again`,
    );
  }
}

const article = (role: string) => (/^[aeiou]/.test(role) ? 'an' : 'a');

/** Gate order: an unsigned `sign_off` gate before `gateIndex` locks it. */
function assertGateReachable(row: ExecutionRow, snapshot: Snapshot, gateIndex: number, signoffs: SignoffRow[]): void {
  for (const g of snapshot.gates.slice(0, gateIndex)) {
    if (g.sign_off && !signoffs.some((s) => s.gate_id === g.id)) {
      const target = snapshot.gates[gateIndex]!;
      throw conflict(
        `gate ${g.id} (${g.title}) awaits sign-off by ${article(g.sign_off)} ${g.sign_off}: gate ${target.id} opens once it is signed off`,
      );
    }
  }
}

async function priorAction(trx: Trx, executionId: string, meta: ActionMeta): Promise<boolean> {
  if (!meta.action_id) return false;
  const hit = await trx
    .selectFrom('runbook_execution_events')
    .select('id')
    .where('execution_id', '=', executionId)
    .where('action_id', '=', meta.action_id)
    .executeTakeFirst();
  return !!hit;
}

/** Recomputes the live state and bumps the execution's version; returns the new row. */
async function touchExecution(
  trx: Trx,
  row: ExecutionRow,
  parts: Pick<Parts, 'items' | 'signoffs'>,
  patch: Partial<Pick<ExecutionRow, 'state' | 'finished_by' | 'finished_at' | 'abandon_reason'>> = {},
): Promise<ExecutionRow> {
  const state =
    patch.state ??
    (FINAL_STATES.includes(row.state) ? row.state : liveState(gateStatuses(row.snapshot as Snapshot, parts)));
  return trx
    .updateTable('runbook_executions')
    .set({ ...patch, state, version: row.version + 1, updated_at: new Date() })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function logActivity(
  trx: Trx,
  executionId: string,
  who: Principal,
  action: string,
  where: { gate_id?: string | null; item_id?: string | null },
  meta: ActionMeta,
  detail: Record<string, unknown>,
): Promise<void> {
  await trx
    .insertInto('runbook_execution_events')
    .values({
      execution_id: executionId,
      action,
      gate_id: where.gate_id ?? null,
      item_id: where.item_id ?? null,
      by: who.name,
      client_at: meta.client_at ?? null,
      action_id: meta.action_id ?? null,
      detail: json(detail),
    })
    .execute();
}

/** After a state change into `blocked`: its own event, for alert rules ("gate blocked") and dashboards. */
async function emitBlocked(
  trx: Trx,
  before: ExecutionRow,
  after: ExecutionRow,
  summary: ExecutionSummary,
  who: Principal,
): Promise<void> {
  if (before.state === after.state || after.state !== 'blocked') return;
  const gate = (after.snapshot as Snapshot).gates.find((g) => g.id === summary.current_gate);
  await emitChange(trx, {
    type: 'execution.blocked',
    subject: { type: 'execution', id: after.id },
    customerId: after.customer_id,
    siteId: after.site_id,
    payload: changePayload(summary, who, { gate_id: gate?.id ?? null, awaits: gate?.sign_off ?? null }),
  });
}

/* ------------------------------------------------------------------ item actions */

export type ItemAction =
  | { kind: 'tick'; note?: string }
  | { kind: 'untick' }
  | { kind: 'value'; value: number; note?: string }
  | { kind: 'note'; note: string }
  | { kind: 'link'; url: string };

type ChangeKind = ItemAction['kind'] | 'evidence' | 'auto_check';

const CHANGE_TYPE: Record<ChangeKind, string> = {
  auto_check: 'execution.item_ticked',
  tick: 'execution.item_ticked',
  untick: 'execution.item_unticked',
  value: 'execution.value_recorded',
  note: 'execution.note_added',
  link: 'execution.evidence_added',
  evidence: 'execution.evidence_added',
};

const EVIDENCE_WORD: Record<string, string> = {
  photo: 'a photo',
  file: 'a file',
  link: 'a link',
  note: 'a note',
  value: 'a measured value',
};

interface ItemContext {
  row: ExecutionRow;
  snapshot: Snapshot;
  at: { gate: Gate; gateIndex: number; item: ChecklistItem };
  parts: Parts;
  current: ItemRow;
}

/** Locks the execution and checks everything an item change needs; null when `action_id` was applied before. */
async function openItem(
  trx: Trx,
  who: Principal,
  executionId: string,
  itemId: string,
  meta: ActionMeta,
  kind: ChangeKind,
  ifVersion?: number,
): Promise<ItemContext | null> {
  const row = await findExecution(trx, who, executionId, true);
  if (await priorAction(trx, executionId, meta)) return null;
  assertOpen(row);
  const snapshot = row.snapshot as Snapshot;
  const at = locate(snapshot, itemId);
  if (!at)
    throw new ApiError(
      'not_found',
      `checklist item ${itemId} is not in runbook ${row.runbook_id} version ${row.runbook_version} (execution ${row.id})`,
    );
  const parts = await loadParts(trx, executionId);
  assertGateReachable(row, snapshot, at.gateIndex, parts.signoffs);
  const current = parts.items.find((i) => i.item_id === itemId)!;
  const signed = parts.signoffs.find((s) => s.gate_id === at.gate.id);
  if (signed && kind !== 'note') {
    throw conflict(
      `gate ${at.gate.id} was signed off by ${signed.by} at ${iso(signed.at)}: its items are final (a note can still be added)`,
    );
  }
  if (ifVersion !== undefined && ifVersion !== current.version) {
    const state = toItemState(at.item, at.gate.id, current, parts.evidence);
    const by = current.by ? ` by ${current.by}` : '';
    const when = current.at ? ` at ${iso(current.at)}` : '';
    throw new ItemConflictError(
      `item ${itemId} was changed${by}${when} (now version ${current.version}; your change was made on version ${ifVersion}): review it and try again`,
      state,
    );
  }
  return { row, snapshot, at, parts, current };
}

async function currentItemResult(
  trx: Trx,
  who: Principal,
  executionId: string,
  itemId: string,
): Promise<ItemActionResult> {
  const row = await findExecution(trx, who, executionId);
  const parts = await loadParts(trx, executionId);
  const at = locate(row.snapshot as Snapshot, itemId);
  if (!at)
    throw new ApiError(
      'not_found',
      `checklist item ${itemId} is not in runbook ${row.runbook_id} version ${row.runbook_version} (execution ${row.id})`,
    );
  const item = toItemState(
    at.item,
    at.gate.id,
    parts.items.find((i) => i.item_id === itemId)!,
    parts.evidence,
  );
  return { execution: toSummary(row, parts), item, duplicate: true };
}

/**
 * Tick, untick, value, note, link. Rules:
 * - a finished or abandoned execution takes nothing (409); an unknown item is 404;
 * - an item behind an unsigned `sign_off` gate is refused (409), and so is a change to an
 *   item of a signed-off gate (except a note);
 * - `if_version` that is not the item's version → 409 with the current item;
 * - a tick needs the item's evidence: a note, a value, a photo, a file or a link (409 otherwise);
 * - a value outside `expect` is stored flagged, and only with a note (400 without one).
 */
export async function itemAction(
  db: Db,
  who: Principal,
  executionId: string,
  itemId: string,
  action: ItemAction,
  opts: ActionMeta & { if_version?: number } = {},
): Promise<ItemActionResult> {
  return db.transaction().execute(async (trx) => {
    const ctx = await openItem(trx, who, executionId, itemId, opts, action.kind, opts.if_version);
    if (!ctx) return currentItemResult(trx, who, executionId, itemId);
    const { row, at, parts, current } = ctx;
    const item = at.item;
    const mine = parts.evidence.filter((e) => e.item_id === itemId);

    const patch: Partial<Pick<ItemRow, 'checked' | 'value' | 'flagged' | 'note'>> = {};
    const detail: Record<string, unknown> = {};
    let newEvidence: EvidenceRow | null = null;
    switch (action.kind) {
      case 'tick': {
        if (current.checked && action.note === undefined)
          return {
            execution: toSummary(row, parts),
            item: toItemState(item, at.gate.id, current, parts.evidence),
            duplicate: false,
          };
        const note = action.note ?? current.note;
        const missing =
          item.evidence === 'note'
            ? !note
            : item.evidence === 'value'
              ? current.value === null
              : item.evidence === 'photo' || item.evidence === 'file' || item.evidence === 'link'
                ? !mine.some((e) => e.kind === item.evidence)
                : false;
        if (missing) {
          const how =
            item.evidence === 'value'
              ? 'record the value'
              : item.evidence === 'note'
                ? 'send a note with the tick'
                : `attach ${EVIDENCE_WORD[item.evidence]}`;
          throw conflict(`item ${itemId} needs ${EVIDENCE_WORD[item.evidence]} before it can be ticked: ${how} first`);
        }
        patch.checked = true;
        if (action.note !== undefined) patch.note = action.note;
        break;
      }
      case 'untick':
        if (!current.checked)
          return {
            execution: toSummary(row, parts),
            item: toItemState(item, at.gate.id, current, parts.evidence),
            duplicate: false,
          };
        patch.checked = false;
        break;
      case 'value': {
        if (item.evidence !== 'value')
          throw validationError([
            {
              path: 'body.value',
              message: `item ${itemId} takes ${EVIDENCE_WORD[item.evidence] ?? 'a tick'}, not a measured value`,
            },
          ]);
        const flagged = outOfRange(action.value, item.expect);
        if (flagged && !action.note) {
          throw validationError([
            {
              path: 'body.note',
              message: `value ${action.value}${item.expect?.unit ? ` ${item.expect.unit}` : ''} is outside the expected ${formatExpect(item.expect)}: add a note saying why it is acceptable, or measure again`,
            },
          ]);
        }
        patch.value = action.value;
        patch.flagged = flagged;
        patch.checked = true;
        if (action.note !== undefined) patch.note = action.note;
        Object.assign(detail, { value: action.value, unit: item.expect?.unit ?? null, flagged });
        break;
      }
      case 'note':
        patch.note = action.note;
        break;
      case 'link': {
        assertItemTakes(item, 'link', 'body.url');
        newEvidence = await trx
          .insertInto('runbook_evidence')
          .values({
            id: generateId('evidence'),
            execution_id: row.id,
            gate_id: at.gate.id,
            item_id: itemId,
            kind: 'link',
            sha256: null,
            size: null,
            content_type: null,
            filename: null,
            blob_path: null,
            url: action.url,
            by: who.name,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        parts.evidence.push(newEvidence);
        detail.url = action.url;
        break;
      }
    }
    if (patch.note !== undefined && action.kind !== 'value') detail.note = patch.note;
    return applyItemChange(trx, who, ctx, action.kind, patch, opts, detail, newEvidence);
  });
}

async function applyItemChange(
  trx: Trx,
  who: Principal,
  ctx: ItemContext,
  kind: ChangeKind,
  patch: Partial<Pick<ItemRow, 'checked' | 'value' | 'flagged' | 'note'>>,
  meta: ActionMeta,
  detail: Record<string, unknown>,
  newEvidence: EvidenceRow | null,
): Promise<ItemActionResult> {
  const { row, at, parts, current } = ctx;
  const updated = await trx
    .updateTable('runbook_item_states')
    .set({ ...patch, by: who.name, at: new Date(), client_at: meta.client_at ?? null, version: current.version + 1 })
    .where('execution_id', '=', row.id)
    .where('item_id', '=', current.item_id)
    .returningAll()
    .executeTakeFirstOrThrow();
  parts.items = parts.items.map((i) => (i.item_id === updated.item_id ? updated : i));
  const after = await touchExecution(trx, row, parts);
  const before = toItemState(
    at.item,
    at.gate.id,
    current,
    parts.evidence.filter((e) => e !== newEvidence),
  );
  const item = toItemState(at.item, at.gate.id, updated, parts.evidence);
  const summary = toSummary(after, parts);
  await logActivity(trx, row.id, who, kind, { gate_id: at.gate.id, item_id: current.item_id }, meta, {
    ...detail,
    version: updated.version,
  });
  await recordAudit(trx, who, {
    action: kind,
    entity: 'runbook_execution',
    entityId: row.id,
    customerId: row.customer_id,
    before: { item: stripEvidence(before) },
    after: { item: stripEvidence(item), ...(newEvidence ? { evidence: toEvidence(newEvidence) } : {}) },
  });
  await emitChange(trx, {
    type: CHANGE_TYPE[kind],
    subject: { type: 'execution', id: row.id },
    customerId: row.customer_id,
    siteId: row.site_id,
    payload: changePayload(summary, who, {
      gate_id: at.gate.id,
      item,
      ...(newEvidence ? { evidence: toEvidence(newEvidence) } : {}),
    }),
  });
  await emitBlocked(trx, row, after, summary, who);
  return { execution: summary, item, duplicate: false };
}

/* ------------------------------------------------------------------ auto_check */

/** A probe's verdict, as auto-check/check.ts hands it over to be recorded (the answer's own fields). */
export type AutoCheckVerdict = Pick<AutoCheckResult, 'probe' | 'template' | 'target' | 'passed' | 'detail'>;

/** The note a passing probe writes on its item (null when it failed). */
export const autoCheckNote = (v: AutoCheckVerdict): string | null =>
  v.passed ? `auto_check ${v.probe} ${v.target}: ${v.detail}` : null;

/**
 * Before a probe runs (outside any transaction: a probe takes up to 5 s): the same rules as a
 * tick — the execution open, the item reachable and not signed off, `if_version` current — and
 * the item's own `auto_check`, as the execution's snapshot of the runbook has it.
 */
export async function precheckAutoCheck(
  db: Db,
  who: Principal,
  executionId: string,
  itemId: string,
  ifVersion: number | undefined,
): Promise<{
  execution: { id: string; deployment_id: string; site_id: string; customer_id: string };
  item: ChecklistItem;
}> {
  const ctx = (await openItem(db, who, executionId, itemId, {}, 'auto_check', ifVersion))!;
  if (!ctx.at.item.auto_check)
    throw conflict(`item ${itemId} has no auto_check in runbook ${ctx.row.runbook_id}: tick it by hand`);
  return { execution: ctx.row, item: ctx.at.item };
}

/**
 * Records a probe's verdict. Passed: the item is checked (when its evidence is `none` or
 * `note`: the probe's note is that evidence) with the note, by the caller — a change like a
 * tick (activity, audit, `execution.item_ticked`). Failed: the item is left as it is; the
 * activity log and the audit say what was probed and why it failed.
 */
export async function recordAutoCheck(
  db: Db,
  who: Principal,
  executionId: string,
  itemId: string,
  verdict: AutoCheckVerdict,
  ifVersion: number | undefined,
): Promise<ItemActionResult> {
  return db.transaction().execute(async (trx) => {
    const ctx = (await openItem(trx, who, executionId, itemId, {}, 'auto_check', ifVersion))!;
    const detail = { auto_check: verdict };
    const note = autoCheckNote(verdict);
    if (note !== null) {
      const ticks = ctx.at.item.evidence === 'none' || ctx.at.item.evidence === 'note';
      return applyItemChange(
        trx,
        who,
        ctx,
        'auto_check',
        { note, ...(ticks ? { checked: true } : {}) },
        {},
        detail,
        null,
      );
    }
    const { row, at, parts, current } = ctx;
    const item = toItemState(at.item, at.gate.id, current, parts.evidence);
    await logActivity(trx, row.id, who, 'auto_check', { gate_id: at.gate.id, item_id: itemId }, {}, detail);
    await recordAudit(trx, who, {
      action: 'auto_check',
      entity: 'runbook_execution',
      entityId: row.id,
      customerId: row.customer_id,
      after: { item_id: itemId, ...detail },
    });
    return { execution: toSummary(row, parts), item, duplicate: false };
  });
}

const stripEvidence = (i: ItemState) => ({ ...i, evidence_items: i.evidence_items.map((e) => e.id) });

/* ------------------------------------------------------------------ evidence uploads */

/** Checks before the bytes are received (so a refused upload is not stored): same rules as a tick. */
/** The item's `evidence` decides what it takes (contracts/runbook.ts itemTakes): anything else is a 400 at `at`. */
function assertItemTakes(
  item: { id: string; evidence: EvidenceKind },
  kind: 'photo' | 'file' | 'link',
  at: string,
): void {
  if (itemTakes(item.evidence, kind)) return;
  const how =
    item.evidence === 'link'
      ? 'a link (POST …/link)'
      : item.evidence === 'photo'
        ? 'a photo (kind=photo: JPEG, PNG, WebP or HEIC)'
        : 'a file or a photo';
  throw validationError([{ path: at, message: `item ${item.id} takes ${how} as evidence, not a ${kind}` }]);
}

export async function precheckEvidence(
  db: Db,
  who: Principal,
  executionId: string,
  itemId: string,
  meta: ActionMeta,
  ifVersion: number | undefined,
  kind: 'photo' | 'file',
): Promise<{ duplicate: boolean }> {
  return db.transaction().execute(async (trx) => {
    const ctx = await openItem(trx, who, executionId, itemId, meta, 'evidence', ifVersion);
    if (ctx) assertItemTakes(ctx.at.item, kind, 'querystring.kind');
    return { duplicate: ctx === null };
  });
}

export interface EvidenceBlob {
  kind: 'photo' | 'file';
  sha256: string;
  size: number;
  contentType: string;
  filename: string | null;
  blobPath: string;
}

export async function addEvidence(
  db: Db,
  who: Principal,
  executionId: string,
  itemId: string,
  blob: EvidenceBlob,
  opts: ActionMeta & { if_version?: number } = {},
): Promise<{ result: ItemActionResult; evidence: Evidence | null }> {
  return db.transaction().execute(async (trx) => {
    const ctx = await openItem(trx, who, executionId, itemId, opts, 'evidence', opts.if_version);
    if (!ctx) return { result: await currentItemResult(trx, who, executionId, itemId), evidence: null };
    assertItemTakes(ctx.at.item, blob.kind, 'querystring.kind');
    const row = await trx
      .insertInto('runbook_evidence')
      .values({
        id: generateId('evidence'),
        execution_id: executionId,
        gate_id: ctx.at.gate.id,
        item_id: itemId,
        kind: blob.kind,
        sha256: blob.sha256,
        size: blob.size,
        content_type: blob.contentType,
        filename: blob.filename,
        blob_path: blob.blobPath,
        url: null,
        by: who.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    ctx.parts.evidence.push(row);
    const evidence = toEvidence(row);
    const result = await applyItemChange(
      trx,
      who,
      ctx,
      'evidence',
      {},
      opts,
      { evidence_id: row.id, kind: blob.kind, sha256: blob.sha256, size: blob.size, content_type: blob.contentType },
      row,
    );
    return { result, evidence };
  });
}

/** The stored bytes of one evidence item (tenant-checked through its execution). */
export async function findEvidenceBlob(
  db: Db,
  who: Principal,
  executionId: string,
  evidenceId: string,
): Promise<{ evidence: Evidence; blobPath: string }> {
  await findExecution(db, who, executionId);
  const row = await db
    .selectFrom('runbook_evidence')
    .selectAll()
    .where('id', '=', evidenceId)
    .where('execution_id', '=', executionId)
    .executeTakeFirst();
  if (!row) throw notFound('evidence', evidenceId);
  if (!row.blob_path)
    throw new ApiError('not_found', `evidence ${evidenceId} is a link (${row.url}): it has no stored bytes`);
  return { evidence: toEvidence(row), blobPath: row.blob_path };
}

/* ------------------------------------------------------------------ sign-off, finish, abandon */

/**
 * Who may sign off a gate (runbooks/index.mdx "Who signs off"): the role the gate names, with
 * admin above all; `lead` = an admin, or an operator whose name an admin listed as a lead
 * (`PUT /api/v1/runbook-leads/:name`); `viewer` = any person.
 */
export async function canSignOff(trx: Trx, who: Principal, role: SignOffRole): Promise<boolean> {
  if (who.role === 'admin') return true;
  if (who.role === 'station') return false;
  if (role === 'lead') {
    if (who.role !== 'operator') return false;
    return !!(await trx.selectFrom('runbook_leads').select('name').where('name', '=', who.name).executeTakeFirst());
  }
  return allows(who, role);
}

export async function signOffGate(
  db: Db,
  who: Principal,
  executionId: string,
  gateId: string,
  body: { note?: string } & ActionMeta,
): Promise<Execution> {
  return db.transaction().execute(async (trx) => {
    const row = await findExecution(trx, who, executionId, true);
    if (await priorAction(trx, executionId, body)) return toExecution(row, await loadParts(trx, executionId));
    assertOpen(row);
    const snapshot = row.snapshot as Snapshot;
    const gateIndex = snapshot.gates.findIndex((g) => g.id === gateId);
    if (gateIndex < 0)
      throw new ApiError(
        'not_found',
        `gate ${gateId} is not in runbook ${row.runbook_id} version ${row.runbook_version} (execution ${row.id})`,
      );
    const gate = snapshot.gates[gateIndex]!;
    if (!gate.sign_off)
      throw conflict(`gate ${gateId} (${gate.title}) needs no sign-off: it completes when its items are ticked`);
    const parts = await loadParts(trx, executionId);
    const existing = parts.signoffs.find((s) => s.gate_id === gateId);
    if (existing) throw conflict(`gate ${gateId} was already signed off by ${existing.by} at ${iso(existing.at)}`);
    assertGateReachable(row, snapshot, gateIndex, parts.signoffs);
    const open = gate.checklist.filter((i) => !parts.items.find((s) => s.item_id === i.id)?.checked).map((i) => i.id);
    if (open.length)
      throw conflict(`gate ${gateId} has unchecked items (${open.join(', ')}): tick them before the sign-off`);
    if (!(await canSignOff(trx, who, gate.sign_off))) {
      const hint =
        gate.sign_off === 'lead'
          ? `; an admin can list an operator as a lead with PUT /api/v1/runbook-leads/${encodeURIComponent(who.name)}`
          : '';
      throw forbidden(
        `gate ${gateId} needs sign-off by ${article(gate.sign_off)} ${gate.sign_off}: ${who.name} (role ${who.role}) is not one${hint}`,
      );
    }
    const signed = await trx
      .insertInto('runbook_gate_signoffs')
      .values({
        execution_id: executionId,
        gate_id: gateId,
        by: who.name,
        role: gate.sign_off === 'lead' ? 'lead' : who.role,
        note: body.note ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    parts.signoffs.push(signed);
    const after = await touchExecution(trx, row, parts);
    const execution = toExecution(after, parts);
    const flagged = execution.gates[gateIndex]!.items.filter((i) => i.flagged).map((i) => ({
      id: i.id,
      value: i.value,
      note: i.note,
    }));
    const signedOff = { by: signed.by, role: signed.role, at: iso(signed.at)!, note: signed.note };
    await logActivity(trx, executionId, who, 'sign_off', { gate_id: gateId }, body, {
      role: signed.role,
      note: signed.note,
      flagged,
    });
    await recordAudit(trx, who, {
      action: 'sign_off',
      entity: 'runbook_execution',
      entityId: executionId,
      customerId: row.customer_id,
      after: { gate_id: gateId, signed_off: signedOff, flagged },
    });
    await emitChange(trx, {
      type: 'execution.gate_signed_off',
      subject: { type: 'execution', id: executionId },
      customerId: row.customer_id,
      siteId: row.site_id,
      payload: changePayload(execution, who, { gate_id: gateId, signed_off: signedOff }),
    });
    return execution;
  });
}

export async function finishExecution(
  db: Db,
  who: Principal,
  executionId: string,
  meta: ActionMeta,
): Promise<Execution> {
  return endExecution(db, who, executionId, meta, 'done', null);
}

export async function abandonExecution(
  db: Db,
  who: Principal,
  executionId: string,
  reason: string,
  meta: ActionMeta,
): Promise<Execution> {
  return endExecution(db, who, executionId, meta, 'abandoned', reason);
}

async function endExecution(
  db: Db,
  who: Principal,
  executionId: string,
  meta: ActionMeta,
  state: 'done' | 'abandoned',
  reason: string | null,
): Promise<Execution> {
  return db.transaction().execute(async (trx) => {
    const row = await findExecution(trx, who, executionId, true);
    if (await priorAction(trx, executionId, meta)) return toExecution(row, await loadParts(trx, executionId));
    assertOpen(row);
    const parts = await loadParts(trx, executionId);
    if (state === 'done') {
      const statuses = gateStatuses(row.snapshot as Snapshot, parts);
      const unfinished = statuses.filter((s) => s.status !== 'complete');
      if (unfinished.length) {
        const what = unfinished.map((s) =>
          s.status === 'awaiting_sign_off'
            ? `${s.id} awaits sign-off`
            : `${s.id} has ${s.progress.total - s.progress.checked} unchecked item(s)`,
        );
        throw conflict(
          `execution ${executionId} cannot finish yet: ${what.join('; ')}. Abandon it with a reason if the work cannot be completed`,
        );
      }
    }
    const now = new Date();
    const after = await touchExecution(trx, row, parts, {
      state,
      finished_by: who.name,
      finished_at: now,
      abandon_reason: reason,
    });
    const execution = toExecution(after, parts);
    const action = state === 'done' ? 'finish' : 'abandon';
    await logActivity(trx, executionId, who, action, {}, meta, reason ? { reason } : {});
    await recordAudit(trx, who, {
      action,
      entity: 'runbook_execution',
      entityId: executionId,
      customerId: row.customer_id,
      before: { state: row.state },
      after: summaryForAudit(execution),
    });
    await emitChange(trx, {
      type: state === 'done' ? 'execution.finished' : 'execution.abandoned',
      subject: { type: 'execution', id: executionId },
      customerId: row.customer_id,
      siteId: row.site_id,
      payload: changePayload(execution, who, reason ? { reason } : {}),
    });
    return execution;
  });
}

/* ------------------------------------------------------------------ leads */

export async function listLeads(db: Db) {
  const rows = await db.selectFrom('runbook_leads').selectAll().orderBy('name').execute();
  return { items: rows.map((r) => ({ name: r.name, granted_by: r.granted_by, granted_at: iso(r.granted_at)! })) };
}

export async function grantLead(db: Db, who: Principal, name: string) {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('runbook_leads')
      .values({ name, granted_by: who.name })
      .onConflict((oc) => oc.column('name').doUpdateSet({ granted_by: who.name, granted_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    const lead = { name: row.name, granted_by: row.granted_by, granted_at: iso(row.granted_at)! };
    await recordAudit(trx, who, {
      action: 'grant',
      entity: 'runbook_lead',
      entityId: name,
      customerId: null,
      after: lead,
    });
    await emitChange(trx, {
      type: 'runbook_lead.granted',
      subject: { type: 'runbook_lead', id: name },
      customerId: null,
      payload: lead,
    });
    return lead;
  });
}

export async function revokeLead(db: Db, who: Principal, name: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.deleteFrom('runbook_leads').where('name', '=', name).returningAll().executeTakeFirst();
    if (!row) throw notFound('runbook lead', name);
    await recordAudit(trx, who, {
      action: 'revoke',
      entity: 'runbook_lead',
      entityId: name,
      customerId: null,
      before: { name: row.name, granted_by: row.granted_by },
    });
    await emitChange(trx, {
      type: 'runbook_lead.deleted',
      subject: { type: 'runbook_lead', id: name },
      customerId: null,
    });
  });
}

export async function whoami(db: Db, who: Principal): Promise<Whoami> {
  return { name: who.name, role: who.role, kind: who.kind, lead: await canSignOff(db, who, 'lead') };
}
