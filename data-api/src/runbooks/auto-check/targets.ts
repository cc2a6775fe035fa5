// What an `auto_check` probes for one execution: the item's probe as the runbook wrote it (from
// the execution's snapshot of the catalog's definition, never from a request), with its
// templates filled in from the execution's registry rows: the fields of contracts/probe-template.ts
// (which the build-time lint checks runbooks against). A value the rows do not have — a site
// without a network_server, a deployment with several devices — is a 409 that names the template.
import type { Kysely } from 'kysely';
import type { AutoCheckProbe, ChecklistItem } from '../../contracts/runbook.ts';
import { PROBE_TEMPLATE_FIELDS, hasStrayBraces, probeTemplates } from '../../contracts/probe-template.ts';
import type { Database } from '../../kernel/db/index.ts';
import { conflict } from '../../kernel/errors/index.ts';
import { toDeployment } from '../../registry/deployments.ts';
import { toSite } from '../../registry/sites.ts';

export interface ProbeTarget {
  probe: AutoCheckProbe;
  /** As the runbook wrote it: `{{site.network_server}}:1700`. */
  template: string;
  /** With the templates filled in: `10.1.2.3:1700`. */
  target: string;
}

/** A value that may go into a host, URL or topic: no spaces, slashes or MQTT wildcards. */
const SAFE_VALUE = /^[A-Za-z0-9._:@-]+$/;

/** The item's one probe, unresolved; null when it has no `auto_check`. */
export function probeOf(item: Pick<ChecklistItem, 'auto_check'>): { probe: AutoCheckProbe; template: string } | null {
  const entry = Object.entries(item.auto_check ?? {}).find(([, v]) => typeof v === 'string');
  return entry ? { probe: entry[0] as AutoCheckProbe, template: entry[1] as string } : null;
}

/** Per template root: the row's fields, or why there is no row. */
type Scope = Record<string, { values: Record<string, unknown> } | { unknown: string }>;

async function scopeFor(
  db: Kysely<Database>,
  execution: { deployment_id: string; site_id: string },
  roots: Set<string>,
): Promise<Scope> {
  const scope: Scope = {};
  if (roots.has('site')) {
    const site = await db.selectFrom('sites').selectAll().where('id', '=', execution.site_id).executeTakeFirst();
    scope.site = site ? { values: { ...toSite(site) } } : { unknown: `site ${execution.site_id} no longer exists` };
  }
  const dep = await db
    .selectFrom('deployments')
    .selectAll()
    .where('id', '=', execution.deployment_id)
    .executeTakeFirst();
  if (roots.has('deployment'))
    scope.deployment = dep
      ? { values: { ...toDeployment(dep) } }
      : { unknown: `deployment ${execution.deployment_id} no longer exists` };
  if (roots.has('device')) {
    const devices = await db
      .selectFrom('devices')
      .selectAll()
      .where('deployment_id', '=', execution.deployment_id)
      .orderBy('id')
      .execute();
    const ofProduct = devices.filter((d) => d.product_code === dep?.product_code);
    const device = devices.length === 1 ? devices[0] : ofProduct.length === 1 ? ofProduct[0] : undefined;
    scope.device = device
      ? { values: Object.fromEntries(PROBE_TEMPLATE_FIELDS.device!.map((f) => [f, device[f as keyof typeof device]])) }
      : {
          unknown:
            devices.length === 0
              ? `deployment ${execution.deployment_id} has no device`
              : `deployment ${execution.deployment_id} has ${devices.length} devices (${devices
                  .slice(0, 5)
                  .map((d) => d.id)
                  .join(', ')}) and not exactly one of product ${dep?.product_code}`,
        };
  }
  return scope;
}

/** Fills in the templates of `template` for this execution, or throws a 409 naming the first it cannot. */
export async function resolveTarget(
  db: Kysely<Database>,
  execution: { deployment_id: string; site_id: string },
  probe: { probe: AutoCheckProbe; template: string },
): Promise<ProbeTarget> {
  // An execution runs the runbook as it was when it started: one that predates the lint may hold a
  // template the API cannot fill in, so each is checked again here.
  if (hasStrayBraces(probe.template)) throw conflict(`${probe.template}: a template here is not {{root.field}}`);
  const used = probeTemplates(probe.template);
  const scope = await scopeFor(db, execution, new Set(used.map((t) => t.root)));
  let target = probe.template;
  for (const { text, root, field } of used) {
    const entry = scope[root];
    const known = 'site, deployment and device (the deployment’s device)';
    if (!entry) throw conflict(`${text} is not known for this execution: probes can use ${known} fields`);
    if ('unknown' in entry) throw conflict(`${text} is not known for this execution: ${entry.unknown}`);
    const value = entry.values[field];
    if (value === undefined || value === null || typeof value === 'object')
      throw conflict(
        `${text} is not known for this execution: ${root} ${String(entry.values.id)} has no ${field}${value === null ? ' set' : ''}`,
      );
    const s = String(value);
    if (!SAFE_VALUE.test(s))
      throw conflict(`${text} is ${JSON.stringify(s)} for this execution: not a value a probe target can take`);
    target = target.replace(text, s);
  }
  return { ...probe, target };
}
