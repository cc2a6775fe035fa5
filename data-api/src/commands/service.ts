import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { recordAudit } from '../audit/service.ts';
import type { Principal } from '../auth/roles.ts';
import { emitChange } from '../changes/service.ts';
import type { AppContext } from '../context.ts';
import { ulidBody } from '../contracts/ids.ts';
import { topicFor, type CommandMessage } from '../contracts/mqtt.ts';
import { json, type CommandsTable, type Database } from '../db/index.ts';
import { ApiError, conflict, notFound } from '../errors/index.ts';
import type { Command } from './schemas.ts';

type Db = Kysely<Database> | Transaction<Database>;
type Row = Selectable<CommandsTable>;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export const toCommand = (r: Row): Command => ({
  cmd_id: r.id,
  device_id: r.device_id,
  site_id: r.site_id,
  action: r.action,
  params: r.params,
  status: r.status,
  detail: r.detail,
  created_by: r.created_by,
  created_at: iso(r.created_at)!,
  sent_at: iso(r.sent_at),
  expires_at: iso(r.expires_at)!,
  result_at: iso(r.result_at),
});

/** The device, if the caller may see it (another tenant's device is a 404, like a missing one). */
async function visibleDevice(db: Db, who: Principal, id: string) {
  const device = await db.selectFrom('devices').select(['id', 'site_id', 'customer_id']).where('id', '=', id).executeTakeFirst();
  if (!device || (who.customerId !== null && device.customer_id !== who.customerId)) throw notFound('device', id);
  return device;
}

const change = (trx: Db, type: string, row: Row) =>
  emitChange(trx, { type, subject: { type: 'command', id: row.id }, customerId: row.customer_id, siteId: row.site_id, payload: { command: toCommand(row) } });

export interface CreateCommandInput {
  action: string;
  params: Record<string, unknown>;
  expires_in_s: number;
}

/**
 * Records the command (audited, on the change feed), then publishes it on the device's
 * `cmd` topic at QoS 1. If the broker does not take it within `publishTimeoutMs`, the
 * command is returned as `pending` (the client keeps it queued) and expires by itself.
 */
export async function createCommand(ctx: AppContext, who: Principal, deviceId: string, input: CreateCommandInput, publishTimeoutMs = 5000): Promise<Command> {
  const broker = ctx.broker;
  if (!broker) throw new ApiError('unavailable', 'no MQTT broker: commands cannot be sent');
  const row = await ctx.db.transaction().execute(async (trx) => {
    const device = await visibleDevice(trx, who, deviceId);
    if (!device.site_id) throw conflict(`device ${deviceId} has no site (in stock): it has no cmd topic to send to`);
    const inserted = await sql<Row>`
      insert into commands (id, device_id, site_id, customer_id, action, params, created_by, expires_at)
      values (${`cmd_${ulidBody()}`}, ${device.id}, ${device.site_id}, ${device.customer_id}, ${input.action}, ${json(input.params)}::jsonb, ${who.name},
              now() + make_interval(secs => ${input.expires_in_s}))
      returning *`.execute(trx);
    const created = inserted.rows[0]!;
    await recordAudit(trx, who, { action: 'command.create', entity: 'command', entityId: created.id, customerId: created.customer_id, after: toCommand(created) });
    await change(trx, 'command.created', created);
    return created;
  });

  const message: CommandMessage = {
    cmd_id: row.id,
    action: row.action,
    params: row.params,
    expires_at: Math.floor(new Date(row.expires_at).getTime() / 1000),
  };
  const published = broker.client.publishAsync(topicFor(row.site_id, row.device_id, 'cmd'), JSON.stringify(message), { qos: 1 });
  const markSent = async () => {
    const updated = await sql<Row>`
      update commands set status = case when status = 'pending' then 'sent' else status end, sent_at = coalesce(sent_at, now()), updated_at = now()
      where id = ${row.id} returning *`.execute(ctx.db);
    const after = updated.rows[0];
    if (after) await change(ctx.db, 'command.updated', after);
    return after ?? row;
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), publishTimeoutMs)));
  const outcome = await Promise.race([published.then(() => 'sent' as const), timeout]).finally(() => clearTimeout(timer));
  if (outcome === 'timeout') {
    // Still queued in the client: record `sent` whenever the broker finally takes it.
    published.then(markSent).catch(() => {});
    return toCommand(row);
  }
  return toCommand(await markSent());
}

export async function getCommand(db: Kysely<Database>, who: Principal, deviceId: string, cmdId: string): Promise<Command> {
  await visibleDevice(db, who, deviceId);
  const row = await db.selectFrom('commands').selectAll().where('id', '=', cmdId).where('device_id', '=', deviceId).executeTakeFirst();
  if (!row) throw notFound('command', cmdId);
  return toCommand(row);
}

export async function listCommands(db: Kysely<Database>, who: Principal, deviceId: string, limit = 50): Promise<Command[]> {
  await visibleDevice(db, who, deviceId);
  const rows = await db.selectFrom('commands').selectAll().where('device_id', '=', deviceId).orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toCommand);
}

/**
 * A `cmd/result` from the device (inside the ingest's transaction). States only move
 * forward: accepted after pending/sent; done or failed after any non-final state. A late
 * or repeated result is ignored; a cmd_id this device was never sent is `unknown`.
 */
export async function applyCommandResult(
  trx: Db,
  result: { cmdId: string; deviceId: string; status: 'accepted' | 'done' | 'failed'; detail: string | null },
): Promise<'applied' | 'ignored' | 'unknown'> {
  const allowedFrom = result.status === 'accepted' ? ['pending', 'sent'] : ['pending', 'sent', 'accepted'];
  const updated = await sql<Row>`
    update commands set status = ${result.status}, detail = coalesce(${result.detail}, detail), result_at = now(), updated_at = now(),
      sent_at = coalesce(sent_at, now())
    where id = ${result.cmdId} and device_id = ${result.deviceId}
      and status in (select jsonb_array_elements_text(${JSON.stringify(allowedFrom)}::jsonb))
    returning *`.execute(trx);
  const row = updated.rows[0];
  if (row) {
    await change(trx, 'command.updated', row);
    return 'applied';
  }
  const exists = await trx.selectFrom('commands').select('id').where('id', '=', result.cmdId).where('device_id', '=', result.deviceId).executeTakeFirst();
  return exists ? 'ignored' : 'unknown';
}

/** Marks commands without a final result by their expires_at as expired (leader job). */
export async function expireCommands(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const expired = await sql<Row>`
      update commands set status = 'expired', updated_at = now(), detail = coalesce(detail, 'no final result by expires_at')
      where id in (
        select id from commands where status in ('pending','sent','accepted') and expires_at < now() order by expires_at limit 1000 for update skip locked
      )
      returning *`.execute(trx);
    for (const row of expired.rows) await change(trx, 'command.updated', row);
    return expired.rows.length;
  });
}
