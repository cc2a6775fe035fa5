import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { recordAudit } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import type { AppContext } from '../../kernel/context.ts';
import { EMPTY_PRODUCT_SPEC, productSpecSchema, type CatalogCommand } from '../../contracts/catalog.ts';
import { commandFor, commandParamIssues } from '../../contracts/command-params.ts';
import type { ChirpstackDownlinkCommand } from '../../contracts/chirpstack.ts';
import { ulidBody } from '../../contracts/ids.ts';
import { topicFor, type CommandMessage } from '../../contracts/mqtt.ts';
import type { CommandDownlink } from '../../kernel/db/schema.ts';
import { json, type CommandsTable, type Database } from '../../kernel/db/index.ts';
import { ApiError, conflict, notFound, validationError } from '../../kernel/errors/index.ts';
import type { Command } from '../../contracts/commands.ts';
import { DEFAULT_CHIRPSTACK_TOPICS } from '../ingest/chirpstack/topics.ts';
import { EncodeError, encodeDownlink } from './lorawan-encoder.ts';

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
  const device = await db
    .selectFrom('devices')
    .select(['id', 'site_id', 'customer_id', 'product_code', 'product_version', 'external_refs'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!device || (who.customerId !== null && device.customer_id !== who.customerId)) throw notFound('device', id);
  return device;
}

const change = (trx: Db, type: string, row: Row) =>
  emitChange(trx, {
    type,
    subject: { type: 'command', id: row.id },
    customerId: row.customer_id,
    siteId: row.site_id,
    payload: { command: toCommand(row) },
  });

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
export async function createCommand(
  ctx: AppContext,
  who: Principal,
  deviceId: string,
  input: CreateCommandInput,
  publishTimeoutMs = 5000,
): Promise<Command> {
  const broker = ctx.broker;
  if (!broker) throw new ApiError('unavailable', 'no MQTT broker: commands cannot be sent');
  const row = await ctx.db.transaction().execute(async (trx) => {
    const device = await visibleDevice(trx, who, deviceId);
    if (!device.site_id) throw conflict(`device ${deviceId} has no site (in stock): it has no cmd topic to send to`);
    const found = commandFor(await catalogCommands(trx, device.product_code), device, input.action);
    if (!found.command) throw validationError([{ path: 'body.action', message: found.issue }]);
    const declared = found.command;
    const issues = commandParamIssues(declared, input.params);
    if (issues.length)
      throw validationError(issues.map((i) => ({ path: `body.params.${i.param}`, message: i.message })));
    const downlink = lorawanDownlink(ctx, device, input, declared);
    const inserted = await sql<Row>`
      insert into commands (id, device_id, site_id, customer_id, action, params, created_by, expires_at, downlink)
      values (${`cmd_${ulidBody()}`}, ${device.id}, ${device.site_id}, ${device.customer_id}, ${input.action}, ${json(input.params)}::jsonb, ${who.name},
              now() + make_interval(secs => ${input.expires_in_s}), ${downlink ? json(downlink) : null}::jsonb)
      returning *`.execute(trx);
    const created = inserted.rows[0]!;
    await recordAudit(trx, who, {
      action: 'command.create',
      entity: 'command',
      entityId: created.id,
      customerId: created.customer_id,
      after: toCommand(created),
    });
    await change(trx, 'command.created', created);
    return created;
  });

  const message: CommandMessage = {
    cmd_id: row.id,
    action: row.action,
    params: row.params,
    expires_at: Math.floor(new Date(row.expires_at).getTime() / 1000),
  };
  const dl = row.downlink;
  const published = dl
    ? broker.client.publishAsync(dl.topic, JSON.stringify(chirpstackCommand(dl)), { qos: 1 })
    : broker.client.publishAsync(topicFor(row.site_id, row.device_id, 'cmd'), JSON.stringify(message), { qos: 1 });
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
  const outcome = await Promise.race([published.then(() => 'sent' as const), timeout]).finally(() =>
    clearTimeout(timer),
  );
  if (outcome === 'timeout') {
    // Still queued in the client: record `sent` whenever the broker finally takes it.
    published.then(markSent).catch(() => {});
    return toCommand(row);
  }
  return toCommand(await markSent());
}

/** ChirpStack's DownlinkCommand for a queued downlink. */
export function chirpstackCommand(dl: CommandDownlink): ChirpstackDownlinkCommand {
  return { id: dl.queue_item_id, devEui: dl.dev_eui, confirmed: dl.confirmed, fPort: dl.f_port, data: dl.data };
}

/**
 * The product's catalog commands. The action must be one of them for the device's version and
 * its params must fit (contracts/command-params.ts `commandFor`, `commandParamIssues`: the
 * firmware's rule and the browser form's too) before anything is recorded; a product whose spec
 * does not parse declares none.
 */
async function catalogCommands(trx: Db, productCode: string): Promise<CatalogCommand[]> {
  const product = await trx.selectFrom('products').select('spec').where('code', '=', productCode).executeTakeFirst();
  const spec = productSpecSchema.safeParse({ ...EMPTY_PRODUCT_SPEC, ...product?.spec });
  return spec.success ? spec.data.commands : [];
}

/**
 * A device known to ChirpStack (external_refs.chirpstack.dev_eui) is reached through ChirpStack:
 * its product's encoder turns the action and params into bytes, and the command goes out as a
 * downlink on ChirpStack's command topic. Other devices get fleetbook's own `cmd` topic (null).
 * `command` is the declaration `commandFor` found (the same rule as the `cmd` topic's): an action
 * the product does not declare for the device's version never reaches the encoder.
 */
function lorawanDownlink(
  ctx: AppContext,
  device: { id: string; product_code: string; external_refs: Record<string, unknown> },
  input: CreateCommandInput,
  command: CatalogCommand,
): CommandDownlink | null {
  const cs = device.external_refs?.chirpstack as { dev_eui?: string; application_id?: string } | undefined;
  if (!cs?.dev_eui) return null;
  if (!cs.application_id) {
    throw conflict(
      `device ${device.id} is a ChirpStack device without external_refs.chirpstack.application_id: provision it (provision_lorawan_devices) or set it, so that its downlink topic is known`,
    );
  }
  if (!command.lorawan) {
    throw conflict(
      `product ${device.product_code} declares no LoRaWAN encoding for action ${input.action} (commands[].lorawan in its product page): there are no downlink bytes to send`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = encodeDownlink(command.lorawan, input.params);
  } catch (err) {
    if (err instanceof EncodeError) throw validationError([{ path: `body.${err.field}`, message: err.message }]);
    throw err;
  }
  const topics = ctx.chirpstack ?? DEFAULT_CHIRPSTACK_TOPICS;
  const devEui = cs.dev_eui.toLowerCase();
  return {
    queue_item_id: randomUUID(),
    application_id: cs.application_id,
    dev_eui: devEui,
    f_port: command.lorawan.f_port,
    confirmed: command.lorawan.confirmed ?? false,
    data: bytes.toString('base64'),
    topic: topics.command(cs.application_id, devEui, 'down'),
  };
}

/**
 * ChirpStack's txack (a gateway sent the downlink) and ack (the device answered a confirmed
 * one) settle the command that queued it: an unconfirmed downlink is done once transmitted; a
 * confirmed one is accepted when transmitted, then done, or failed when the device did not
 * acknowledge it.
 */
export async function applyChirpstackAck(
  trx: Db,
  ack: { deviceId: string; queueItemId: string; event: 'ack' | 'txack'; acknowledged: boolean },
): Promise<'applied' | 'ignored' | 'unknown'> {
  const row = await trx
    .selectFrom('commands')
    .select(['id', 'downlink'])
    .where('device_id', '=', ack.deviceId)
    .where(sql<string>`downlink->>'queue_item_id'`, '=', ack.queueItemId)
    .executeTakeFirst();
  if (!row?.downlink) return 'unknown';
  const confirmed = row.downlink.confirmed;
  const result =
    ack.event === 'txack'
      ? {
          status: confirmed ? ('accepted' as const) : ('done' as const),
          detail: confirmed
            ? 'transmitted by a gateway; waiting for the device to acknowledge'
            : 'transmitted by a gateway (unconfirmed downlink)',
        }
      : ack.acknowledged
        ? { status: 'done' as const, detail: 'acknowledged by the device' }
        : { status: 'failed' as const, detail: 'the device did not acknowledge the confirmed downlink' };
  return applyCommandResult(trx, { cmdId: row.id, deviceId: ack.deviceId, ...result });
}

export async function getCommand(
  db: Kysely<Database>,
  who: Principal,
  deviceId: string,
  cmdId: string,
): Promise<Command> {
  await visibleDevice(db, who, deviceId);
  const row = await db
    .selectFrom('commands')
    .selectAll()
    .where('id', '=', cmdId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  if (!row) throw notFound('command', cmdId);
  return toCommand(row);
}

export async function listCommands(
  db: Kysely<Database>,
  who: Principal,
  deviceId: string,
  limit = 50,
): Promise<Command[]> {
  await visibleDevice(db, who, deviceId);
  const rows = await db
    .selectFrom('commands')
    .selectAll()
    .where('device_id', '=', deviceId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
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
  // A plain list, not `status in (select …)`: that is a semi-join, and when this UPDATE waits for
  // a concurrent writer's row lock (markSent, another batch's result), READ COMMITTED rechecks
  // the new row against the subquery row it first matched ('pending' ≠ the new 'sent') and
  // silently updates nothing: a `failed` or `done` was lost that way.
  const updated = await sql<Row>`
    update commands set status = ${result.status}, detail = coalesce(${result.detail}, detail), result_at = now(), updated_at = now(),
      sent_at = coalesce(sent_at, now())
    where id = ${result.cmdId} and device_id = ${result.deviceId}
      and status in (${sql.join(allowedFrom)})
    returning *`.execute(trx);
  const row = updated.rows[0];
  if (row) {
    await change(trx, 'command.updated', row);
    return 'applied';
  }
  const exists = await trx
    .selectFrom('commands')
    .select('id')
    .where('id', '=', result.cmdId)
    .where('device_id', '=', result.deviceId)
    .executeTakeFirst();
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
