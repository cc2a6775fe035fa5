// Work items (domain.md "work item"): tickets and tasks. Every write is one transaction holding
// the row change, an audit entry (entity `work_item`) and a change event (`work_item.*`, subject
// the item, customer and site from its links) so boards update live and tenants stay apart.
// No HTTP here: the routes hand in validated bodies.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { recordAudit } from '../kernel/audit/service.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import { emitChange } from '../kernel/changes/service.ts';
import { generateId } from '../contracts/ids.ts';
import {
  CLOSED_WORK_ITEM_STATES,
  LINK_FIELDS,
  WORK_ITEM_SUBJECT,
  type WorkItem,
  type WorkItemAttachment,
  type WorkItemCreate,
  type WorkItemDetail,
  type WorkItemListQuery,
  type WorkItemUpdate,
} from '../contracts/work-items.ts';
import {
  json,
  type Database,
  type WorkItemAttachmentsTable,
  type WorkItemOriginColumn,
  type WorkItemsTable,
  type WorkItemStateColumn,
} from '../kernel/db/index.ts';
import { conflict, notFound } from '../kernel/errors/index.ts';
import { iso, likeContains, translateDbError } from '../kernel/db/values.ts';
import { assertInScope, scopeOf } from '../kernel/auth/tenancy.ts';
import { decodeCursor, encodeCursor } from '../kernel/db/pagination.ts';
import { NO_LINKS, resolveLinks, type Links } from './links.ts';

type Db = Kysely<Database>;
type Trx = Transaction<Database> | Kysely<Database>;
type Row = Selectable<WorkItemsTable>;
type Counted = Row & { comment_count: number; attachment_count: number };
type AttachmentRow = Selectable<WorkItemAttachmentsTable>;

const isClosed = (state: WorkItemStateColumn) => (CLOSED_WORK_ITEM_STATES as readonly string[]).includes(state);
const linksOf = (r: Row): Links => Object.fromEntries(LINK_FIELDS.map((f) => [f, r[f]])) as Links;

export const toWorkItem = (r: Counted): WorkItem => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  description: r.description,
  state: r.state,
  owner: r.owner,
  due: r.due,
  priority: r.priority,
  origin: r.origin,
  links: linksOf(r),
  external_ref: r.external_ref ?? null,
  comment_count: Number(r.comment_count),
  attachment_count: Number(r.attachment_count),
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
  updated_at: iso(r.updated_at)!,
  closed_at: iso(r.closed_at),
  version: r.version,
});

export const attachmentUrl = (itemId: string, attachmentId: string) =>
  `/api/v1/work-items/${encodeURIComponent(itemId)}/attachments/${encodeURIComponent(attachmentId)}`;

const toAttachment = (r: AttachmentRow): WorkItemAttachment => ({
  id: r.id,
  kind: r.kind,
  filename: r.filename,
  content_type: r.content_type,
  size: Number(r.size),
  sha256: r.sha256,
  added_by: r.added_by,
  added_at: iso(r.added_at)!,
  url: attachmentUrl(r.work_item_id, r.id),
});

/** The item rows with their comment and attachment counts. */
function selectItems(db: Trx) {
  return db
    .selectFrom('work_items as w')
    .selectAll('w')
    .select((eb) => [
      eb
        .selectFrom('work_item_comments as c')
        .whereRef('c.work_item_id', '=', 'w.id')
        .select(eb.fn.countAll<number>().as('n'))
        .as('comment_count'),
      eb
        .selectFrom('work_item_attachments as a')
        .whereRef('a.work_item_id', '=', 'w.id')
        .select(eb.fn.countAll<number>().as('n'))
        .as('attachment_count'),
    ]);
}

async function viewOf(db: Trx, id: string): Promise<WorkItem> {
  return toWorkItem((await selectItems(db).where('w.id', '=', id).executeTakeFirstOrThrow()) as Counted);
}

/** Newest first; keyset over the id (ids sort by creation). */
export async function listWorkItems(db: Db, who: Principal, q: WorkItemListQuery) {
  let query = selectItems(db)
    .orderBy('w.id', 'desc')
    .limit(q.limit + 1);
  const scope = scopeOf(who);
  if (scope) query = query.where('w.customer_id', '=', scope);
  const after = decodeCursor(q.cursor);
  if (after) query = query.where('w.id', '<', after);
  if (q.state) query = query.where('w.state', 'in', q.state);
  if (q.priority) query = query.where('w.priority', 'in', q.priority);
  if (q.kind) query = query.where('w.kind', '=', q.kind);
  if (q.origin) query = query.where('w.origin', '=', q.origin);
  if (q.owner) query = query.where('w.owner', '=', q.owner === 'me' ? who.name : q.owner);
  if (q.unowned !== undefined) query = query.where('w.owner', q.unowned ? 'is' : 'is not', null);
  for (const f of [
    'customer_id',
    'site_id',
    'deployment_id',
    'device_id',
    'alert_id',
    'runbook_execution_id',
    'automation_run_id',
  ] as const) {
    const value = q[f];
    if (value) query = query.where(`w.${f}`, '=', value);
  }
  if (q.closed_since) {
    const since = q.closed_since;
    query = query.where((eb) => eb.or([eb('w.closed_at', 'is', null), eb('w.closed_at', '>=', new Date(since))]));
  }
  if (q.q) {
    const like = likeContains(q.q);
    query = query.where((eb) => eb.or([eb('w.id', 'ilike', like), eb('w.title', 'ilike', like)]));
  }
  const rows = (await query.execute()) as Counted[];
  const more = rows.length > q.limit;
  const items = (more ? rows.slice(0, q.limit) : rows).map(toWorkItem);
  return { items, next_cursor: more ? encodeCursor(items[items.length - 1]!.id) : null };
}

async function findItem(db: Trx, who: Principal, id: string, lock = false): Promise<Row> {
  let query = db.selectFrom('work_items').selectAll().where('id', '=', id);
  if (lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound('work item', id);
  assertInScope(who, row.customer_id, 'work item', id);
  return row;
}

export async function getWorkItem(db: Db, who: Principal, id: string): Promise<WorkItemDetail> {
  await findItem(db, who, id);
  const [item, comments, attachments] = await Promise.all([
    viewOf(db, id),
    db.selectFrom('work_item_comments').selectAll().where('work_item_id', '=', id).orderBy('id').execute(),
    db
      .selectFrom('work_item_attachments')
      .selectAll()
      .where('work_item_id', '=', id)
      .orderBy('added_at')
      .orderBy('id')
      .execute(),
  ]);
  return {
    ...item,
    comments: comments.map((c) => ({
      id: Number(c.id),
      author: c.author,
      body: c.body,
      created_at: iso(c.created_at)!,
    })),
    attachments: attachments.map(toAttachment),
  };
}

type Verb = 'created' | 'updated' | 'deleted' | 'commented' | 'attached';
const AUDIT_ACTION: Record<Verb, string> = {
  created: 'create',
  updated: 'update',
  deleted: 'delete',
  commented: 'comment',
  attached: 'attach',
};

/** Audit entry and change event (`work_item.<verb>`) of one write, in its transaction. */
async function record(
  trx: Trx,
  who: Principal | string,
  verb: Verb,
  item: WorkItem,
  extra: { before?: unknown; payload?: Record<string, unknown> } = {},
) {
  await recordAudit(trx, who, {
    action: AUDIT_ACTION[verb],
    entity: WORK_ITEM_SUBJECT,
    entityId: item.id,
    customerId: item.links.customer_id,
    ...(extra.before !== undefined ? { before: extra.before } : {}),
    ...(verb === 'deleted' ? {} : { after: extra.payload ?? item }),
  });
  await emitChange(trx, {
    type: `${WORK_ITEM_SUBJECT}.${verb}`,
    subject: { type: WORK_ITEM_SUBJECT, id: item.id },
    customerId: item.links.customer_id,
    siteId: item.links.site_id,
    // The whole item under its subject type: the browser's store upserts it (src/data/store.ts).
    payload: verb === 'deleted' ? { id: item.id } : { [WORK_ITEM_SUBJECT]: item, ...extra.payload },
  });
}

export interface CreateOptions {
  origin?: WorkItemOriginColumn;
}

/** Inside the caller's transaction: automation opens its ticket in the run's own write. */
export async function createWorkItemIn(
  trx: Trx,
  who: Principal,
  input: WorkItemCreate,
  opts: CreateOptions = {},
): Promise<WorkItem> {
  const links = await resolveLinks(trx, who, null, input.links);
  const id = input.id ?? generateId('workItem');
  const origin = opts.origin ?? (links.runbook_item_id ? 'runbook' : 'manual');
  await trx
    .insertInto('work_items')
    .values({
      id,
      kind: input.kind,
      title: input.title,
      description: input.description ?? null,
      state: input.state,
      owner: input.owner ?? null,
      due: input.due ?? null,
      priority: input.priority,
      origin,
      ...links,
      external_ref: input.external_ref ? json(input.external_ref) : null,
      created_by: who.name,
      closed_at: isClosed(input.state) ? new Date() : null,
    })
    .execute()
    .catch((err) => translateDbError(err, 'work item', id));
  const item = await viewOf(trx, id);
  await record(trx, who, 'created', item);
  return item;
}

export async function createWorkItem(
  db: Db,
  who: Principal,
  input: WorkItemCreate,
  opts: CreateOptions = {},
): Promise<WorkItem> {
  return db.transaction().execute((trx) => createWorkItemIn(trx, who, input, opts));
}

export async function updateWorkItem(db: Db, who: Principal, id: string, patch: WorkItemUpdate): Promise<WorkItem> {
  return db.transaction().execute(async (trx) => {
    const row = await findItem(trx, who, id, true);
    if (patch.if_version !== undefined && patch.if_version !== row.version) {
      throw conflict(
        `work item ${id} is at version ${row.version}, not ${patch.if_version}: it was changed since you read it (re-read and try again)`,
      );
    }
    const before = await viewOf(trx, id);
    const links = patch.links ? await resolveLinks(trx, who, linksOf(row), patch.links) : linksOf(row);
    const { if_version: _v, links: _l, external_ref, ...fields } = patch;
    const state = patch.state ?? row.state;
    const closedAt = isClosed(state) ? (isClosed(row.state) ? row.closed_at : new Date()) : null;
    await trx
      .updateTable('work_items')
      .set({
        ...fields,
        ...links,
        ...(external_ref !== undefined ? { external_ref: external_ref ? json(external_ref) : null } : {}),
        closed_at: closedAt,
        updated_at: new Date(),
        version: sql<number>`version + 1`,
      })
      .where('id', '=', id)
      .execute();
    const after = await viewOf(trx, id);
    if (before.links.customer_id !== after.links.customer_id) {
      // Moved to another tenant (unscoped callers only): the old tenant's boards drop it.
      await emitChange(trx, {
        type: `${WORK_ITEM_SUBJECT}.deleted`,
        subject: { type: WORK_ITEM_SUBJECT, id },
        customerId: before.links.customer_id,
        siteId: before.links.site_id,
        payload: { id, reason: 'moved to another customer' },
      });
    }
    await record(trx, who, 'updated', after, { before });
    return after;
  });
}

export async function deleteWorkItem(db: Db, who: Principal, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await findItem(trx, who, id, true);
    const before = await viewOf(trx, id);
    await trx.deleteFrom('work_items').where('id', '=', id).execute();
    await record(trx, who, 'deleted', before, { before });
  });
}

export async function addComment(db: Db, who: Principal, id: string, body: string) {
  return db.transaction().execute(async (trx) => {
    await findItem(trx, who, id, true);
    const row = await trx
      .insertInto('work_item_comments')
      .values({ work_item_id: id, author: who.name, body })
      .returningAll()
      .executeTakeFirstOrThrow();
    // Activity, not a change of the item's fields: updated_at moves, the version does not.
    await trx.updateTable('work_items').set({ updated_at: new Date() }).where('id', '=', id).execute();
    const comment = { id: Number(row.id), author: row.author, body: row.body, created_at: iso(row.created_at)! };
    const item = await viewOf(trx, id);
    await record(trx, who, 'commented', item, { payload: { comment } });
    return comment;
  });
}

export interface NewAttachment {
  kind: 'photo' | 'file';
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string;
  blobPath: string;
}

/** Checks the item before the bytes are received: 404 outside the tenant, like a missing item. */
export async function precheckAttachment(db: Db, who: Principal, id: string): Promise<void> {
  await findItem(db, who, id);
}

export async function addAttachment(db: Db, who: Principal, id: string, a: NewAttachment): Promise<WorkItemAttachment> {
  return db.transaction().execute(async (trx) => {
    await findItem(trx, who, id, true);
    const row = await trx
      .insertInto('work_item_attachments')
      .values({
        id: generateId('evidence'),
        work_item_id: id,
        kind: a.kind,
        filename: a.filename,
        content_type: a.contentType,
        size: a.size,
        sha256: a.sha256,
        blob_path: a.blobPath,
        added_by: who.name,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.updateTable('work_items').set({ updated_at: new Date() }).where('id', '=', id).execute();
    const attachment = toAttachment(row);
    await record(trx, who, 'attached', await viewOf(trx, id), { payload: { attachment } });
    return attachment;
  });
}

export async function findAttachment(db: Db, who: Principal, id: string, attachmentId: string) {
  await findItem(db, who, id);
  const row = await db
    .selectFrom('work_item_attachments')
    .selectAll()
    .where('work_item_id', '=', id)
    .where('id', '=', attachmentId)
    .executeTakeFirst();
  if (!row) throw notFound('attachment', attachmentId);
  return { attachment: toAttachment(row), blobPath: row.blob_path };
}

export { NO_LINKS };
