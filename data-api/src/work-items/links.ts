// What a work item is about. The written links are checked (they exist, they are in the
// caller's tenant) and completed: a device gives its deployment, site and customer; a
// deployment, an execution or an automation run their site and customer; an alert its site and
// customer. Links that disagree are refused with 409, naming both. On a change, the links the
// change names win, and older links that no longer fit are dropped, so moving an item to
// another deployment does not need every broader link spelled out again.
import type { Kysely, Transaction } from 'kysely';
import type { Principal } from '../kernel/auth/roles.ts';
import { LINK_FIELDS, type LinkField, type WorkItemLinksInput } from '../contracts/work-items.ts';
import type { Database } from '../kernel/db/index.ts';
import { conflict, notFound, validationError } from '../kernel/errors/index.ts';
import { scopeOf } from '../kernel/auth/tenancy.ts';

type Trx = Transaction<Database> | Kysely<Database>;
export type Links = Record<LinkField, string | null>;

/** The broader links one link implies (null: it does not say). */
interface Implied {
  customer_id: string | null;
  site_id: string | null;
  deployment_id: string | null;
}
type Broad = keyof Implied;
const BROAD: readonly Broad[] = ['customer_id', 'site_id', 'deployment_id'];

export const NO_LINKS: Links = Object.fromEntries(LINK_FIELDS.map((f) => [f, null])) as Links;

const NAMES: Record<Exclude<LinkField, 'runbook_item_id'>, string> = {
  customer_id: 'customer',
  site_id: 'site',
  deployment_id: 'deployment',
  device_id: 'device',
  alert_id: 'alert',
  runbook_execution_id: 'runbook execution',
  automation_run_id: 'automation run',
};

/** What `field = id` implies, or null when it does not exist. */
async function implied(db: Trx, field: Exclude<LinkField, 'runbook_item_id'>, id: string): Promise<Implied | null> {
  switch (field) {
    case 'customer_id': {
      const r = await db.selectFrom('customers').select('id').where('id', '=', id).executeTakeFirst();
      return r ? { customer_id: r.id, site_id: null, deployment_id: null } : null;
    }
    case 'site_id': {
      const r = await db.selectFrom('sites').select(['id', 'customer_id']).where('id', '=', id).executeTakeFirst();
      return r ? { customer_id: r.customer_id, site_id: r.id, deployment_id: null } : null;
    }
    case 'deployment_id': {
      const r = await db
        .selectFrom('deployments')
        .select(['id', 'site_id', 'customer_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? { customer_id: r.customer_id, site_id: r.site_id, deployment_id: r.id } : null;
    }
    case 'device_id': {
      const r = await db
        .selectFrom('devices')
        .select(['customer_id', 'site_id', 'deployment_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return r ?? null;
    }
    case 'alert_id': {
      const r = await db
        .selectFrom('alerts')
        .select(['customer_id', 'site_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? { ...r, deployment_id: null } : null;
    }
    case 'runbook_execution_id': {
      const r = await db
        .selectFrom('runbook_executions')
        .select(['customer_id', 'site_id', 'deployment_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return r ?? null;
    }
    case 'automation_run_id': {
      const r = await db
        .selectFrom('automation_runs')
        .select(['customer_id', 'site_id', 'deployment_id'])
        .where('id', '=', id)
        .executeTakeFirst();
      return r ?? null;
    }
  }
}

/**
 * The links of an item after `written` is applied to `current` (null: a new item). Throws 404
 * for a link that does not exist or lies outside the caller's tenant, 409 for links that
 * disagree, 400 for a checklist item without its execution.
 */
export async function resolveLinks(
  db: Trx,
  who: Principal,
  current: Links | null,
  written: WorkItemLinksInput = {},
): Promise<Links> {
  const scope = scopeOf(who);
  const required: Partial<Record<Broad, { value: string; source: string }>> = {};
  const fits = (imp: Implied) => BROAD.every((k) => imp[k] === null || !required[k] || required[k].value === imp[k]);
  const take = (imp: Implied, source: string) => {
    for (const k of BROAD) {
      const value = imp[k];
      if (value === null) continue;
      const have = required[k];
      if (have && have.value !== value) {
        const named = have.source === `${NAMES[k]} ${have.value}`;
        throw conflict(
          `links disagree: ${source} belongs to ${NAMES[k]} ${value}, ${named ? 'not' : `but ${have.source} to`} ${NAMES[k]} ${have.value}`,
        );
      }
      if (!have) required[k] = { value, source };
    }
  };

  const out: Links = { ...NO_LINKS };
  // The links this write names: each must exist, be visible, and agree with the others.
  for (const field of LINK_FIELDS) {
    if (!(field in written)) continue;
    const value = written[field] ?? null;
    out[field] = value;
    if (value === null || field === 'runbook_item_id') continue;
    const imp = await implied(db, field, value);
    // Outside the tenant reads exactly like missing (contracts.md: a scoped token cannot learn the id exists).
    if (!imp || (scope !== null && imp.customer_id !== scope)) throw notFound(NAMES[field], value);
    take(imp, `${NAMES[field]} ${value}`);
  }
  // Links the item already had: kept while they fit what was written, dropped otherwise.
  if (current) {
    for (const field of LINK_FIELDS) {
      if (field in written || field === 'runbook_item_id') continue;
      const value = current[field];
      if (value === null) continue;
      const imp = await implied(db, field, value);
      if (!imp || !fits(imp)) continue;
      out[field] = value;
      take(imp, `${NAMES[field]} ${value}`);
    }
    const sameExecution =
      out.runbook_execution_id !== null && out.runbook_execution_id === current.runbook_execution_id;
    if (!('runbook_item_id' in written) && sameExecution) out.runbook_item_id = current.runbook_item_id;
  }
  for (const k of BROAD) if (out[k] === null && required[k]) out[k] = required[k].value;
  if (out.customer_id === null && scope !== null) out.customer_id = scope;

  if (out.runbook_item_id !== null) {
    if (out.runbook_execution_id === null) {
      throw validationError([
        { path: 'body.links.runbook_item_id', message: 'a checklist item needs its runbook_execution_id' },
      ]);
    }
    const item = await db
      .selectFrom('runbook_item_states')
      .select('item_id')
      .where('execution_id', '=', out.runbook_execution_id)
      .where('item_id', '=', out.runbook_item_id)
      .executeTakeFirst();
    if (!item) throw notFound(`checklist item of runbook execution ${out.runbook_execution_id}:`, out.runbook_item_id);
  }
  return out;
}
