// Surfaces: definitions (repository + run time), the A2UI messages that draw them, and
// the actions they accept. Services never touch HTTP.
import type { Kysely } from 'kysely';
import { repositorySurfaces } from '../../../surfaces/index.ts';
import { recordAudit } from '../../kernel/audit/service.ts';
import { allows, type Principal } from '../../kernel/auth/roles.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import {
  A2UI_VERSION,
  FLEETBOOK_CATALOG_ID,
  SURFACE_ACTIONS,
  surfaceDefinitionSchema,
  surfaceEventPayloadSchema,
  surfaceKey,
  type A2uiActionMessage,
  type A2uiMessage,
  type SurfaceActionName,
  type SurfaceDefinition,
  type SurfaceEventPayload,
  type SurfaceResponse,
  type SurfaceSummary,
} from '../../contracts/surfaces.ts';
import { json, type Database } from '../../kernel/db/index.ts';
import { ApiError, forbidden, notFound, validationError } from '../../kernel/errors/index.ts';
import { findDeployment, findSite } from '../../registry/lookups.ts';
import { runQuery } from './queries.ts';
import { unknownParamIssues } from '../../contracts/query-params.ts';

type Db = Kysely<Database>;

/** Repository surfaces, validated once: a broken definition stops the start with its name. */
const REPOSITORY: ReadonlyMap<string, SurfaceDefinition> = new Map(
  Object.entries(repositorySurfaces).map(([name, def]) => {
    const parsed = surfaceDefinitionSchema.safeParse(def);
    if (!parsed.success) {
      throw new Error(
        `data-api/surfaces: surface "${name}" is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return [name, parsed.data];
  }),
);

export interface LoadedSurface {
  name: string;
  def: SurfaceDefinition;
  source: 'repository' | 'runtime';
  updated_at: string | null;
  updated_by: string | null;
}

export async function loadSurface(db: Db, name: string): Promise<LoadedSurface> {
  const row = await db.selectFrom('surfaces').selectAll().where('name', '=', name).executeTakeFirst();
  if (row) {
    return {
      name,
      def: surfaceDefinitionSchema.parse(row.definition),
      source: 'runtime',
      updated_at: new Date(row.updated_at).toISOString(),
      updated_by: row.updated_by,
    };
  }
  const def = REPOSITORY.get(name);
  if (!def) throw notFound('surface', name);
  return { name, def, source: 'repository', updated_at: null, updated_by: null };
}

export async function listSurfaces(db: Db): Promise<SurfaceSummary[]> {
  const rows = await db.selectFrom('surfaces').selectAll().execute();
  const out = new Map<string, SurfaceSummary>();
  const summary = (
    name: string,
    def: SurfaceDefinition,
    source: 'repository' | 'runtime',
    at: string | null,
    by: string | null,
  ): SurfaceSummary => ({
    name,
    title: def.title,
    description: def.description,
    params: Object.fromEntries(
      Object.entries(def.params).map(([k, p]) => [k, { description: p.description, required: p.required }]),
    ),
    source,
    updated_at: at,
    updated_by: by,
  });
  for (const [name, def] of REPOSITORY) out.set(name, summary(name, def, 'repository', null, null));
  for (const r of rows) {
    const parsed = surfaceDefinitionSchema.safeParse(r.definition);
    if (parsed.success)
      out.set(r.name, summary(r.name, parsed.data, 'runtime', new Date(r.updated_at).toISOString(), r.updated_by));
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Query-string parameters → the surface's declared params (checked; unknown ones refused). */
export function resolveParams(def: SurfaceDefinition, query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const issues = unknownParamIssues(query, Object.keys(def.params), 'this surface');
  for (const [key, p] of Object.entries(def.params)) {
    const v = query[key];
    if (v === undefined || v === '') {
      if (p.required) issues.push({ path: `querystring.${key}`, message: `required: ${p.description}` });
      continue;
    }
    const re = new RegExp(p.pattern ?? '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$');
    if (!re.test(v)) issues.push({ path: `querystring.${key}`, message: `expected ${p.description}` });
    else out[key] = v;
  }
  if (issues.length) throw validationError(issues);
  return out;
}

/**
 * The params that name a registry entity (`entity`) name one the caller can see: else 404, the
 * registry's own answer (another customer's site is as unknown as a misspelt one).
 */
async function assertParamEntities(db: Db, who: Principal, def: SurfaceDefinition, params: Record<string, string>) {
  for (const [key, p] of Object.entries(def.params)) {
    const id = params[key];
    if (!id || !p.entity) continue;
    if (p.entity === 'site') await findSite(db, who, id);
    else await findDeployment(db, who, id);
  }
}

/** Runs the surface's queries and builds its data model (static data, then query results at their pointers). */
export async function buildDataModel(
  db: Db,
  def: SurfaceDefinition,
  params: Record<string, string>,
  customerId: string | null,
): Promise<Record<string, unknown>> {
  const model: Record<string, unknown> = structuredClone(def.data);
  const entries = Object.entries(def.queries);
  const results = await Promise.all(
    entries.map(([, q]) => {
      const args = Object.fromEntries(
        Object.entries(q.args).map(([k, v]) => [k, v && typeof v === 'object' ? (params[v.param] ?? null) : v]),
      );
      return runQuery(db, q.query, args, customerId);
    }),
  );
  entries.forEach(([pointer], i) => setPointer(model, pointer, results[i]));
  return model;
}

export function setPointer(target: Record<string, unknown>, pointer: string, value: unknown): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return;
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!next || typeof next !== 'object') node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

export const dataMessage = (surfaceId: string, value: Record<string, unknown>): A2uiMessage => ({
  version: A2UI_VERSION,
  updateDataModel: { surfaceId, path: '/', value },
});

/** createSurface + updateComponents + updateDataModel: everything a renderer needs to draw it now. */
export async function renderSurface(
  db: Db,
  who: Principal,
  name: string,
  query: Record<string, string>,
): Promise<SurfaceResponse & { params: Record<string, string> }> {
  const loaded = await loadSurface(db, name);
  const params = resolveParams(loaded.def, query);
  await assertParamEntities(db, who, loaded.def, params);
  const surfaceId = surfaceKey(name, params);
  const data = await buildDataModel(db, loaded.def, params, who.customerId);
  const messages: A2uiMessage[] = [
    { version: A2UI_VERSION, createSurface: { surfaceId, catalogId: FLEETBOOK_CATALOG_ID } },
    { version: A2UI_VERSION, updateComponents: { surfaceId, components: loaded.def.components } },
    dataMessage(surfaceId, data),
  ];
  const title =
    params.site && data.site && typeof data.site === 'object' && 'name' in data.site
      ? `${loaded.def.title}: ${String((data.site as { name: string }).name)}`
      : loaded.def.title;
  return {
    surface: name,
    surfaceId,
    title,
    topics: [...new Set([`surface:${name}`, `surface:${surfaceId}`])],
    messages,
    params,
  };
}

/** Tells every page showing the surface that its definition changed (or went): they read it again. */
async function announceDefinition(db: Db, name: string): Promise<void> {
  const payload: SurfaceEventPayload = { kind: 'definition', surface: name, messages: [] };
  await emitChange(db, {
    type: 'surface.updated',
    subject: { type: 'surface', id: name },
    customerId: null,
    payload: surfaceEventPayloadSchema.parse(payload),
  });
}

/** Publish (or republish) a surface at run time; every page showing it re-reads it. */
export async function putSurface(
  db: Db,
  who: Principal,
  name: string,
  def: SurfaceDefinition,
): Promise<{ created: boolean; summary: SurfaceSummary }> {
  return db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('surfaces').selectAll().where('name', '=', name).forUpdate().executeTakeFirst();
    if (before) {
      await trx
        .updateTable('surfaces')
        .set({ definition: json(def), version: before.version + 1, updated_by: who.name, updated_at: new Date() })
        .where('name', '=', name)
        .execute();
    } else {
      await trx
        .insertInto('surfaces')
        .values({ name, definition: json(def), created_by: who.name, updated_by: who.name })
        .execute();
    }
    await recordAudit(trx, who, {
      action: before ? 'update' : 'create',
      entity: 'surface',
      entityId: name,
      customerId: null,
      before: before?.definition,
      after: def,
    });
    await announceDefinition(trx, name);
    return {
      created: !before,
      summary: {
        name,
        title: def.title,
        description: def.description,
        params: Object.fromEntries(
          Object.entries(def.params).map(([k, p]) => [k, { description: p.description, required: p.required }]),
        ),
        source: 'runtime' as const,
        updated_at: new Date().toISOString(),
        updated_by: who.name,
      },
    };
  });
}

/** Remove a run-time surface (a repository surface of the same name shows again). */
export async function deleteSurface(db: Db, who: Principal, name: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = await trx.selectFrom('surfaces').selectAll().where('name', '=', name).executeTakeFirst();
    if (!before) throw notFound('run-time surface', name);
    await trx.deleteFrom('surfaces').where('name', '=', name).execute();
    await recordAudit(trx, who, {
      action: 'delete',
      entity: 'surface',
      entityId: name,
      customerId: null,
      before: before.definition,
    });
    await announceDefinition(trx, name);
  });
}

/** Service calls of other areas that actions use, injected so this area does not depend on them at load. */
export interface ActionHandlers {
  acknowledgeAlert?(db: Db, who: Principal, id: string): Promise<unknown>;
  resolveAlert?(db: Db, who: Principal, id: string): Promise<unknown>;
}

/** A user action from a surface: role-checked, performed, answered with the messages to apply. */
export async function performAction(
  db: Db,
  who: Principal,
  name: string,
  query: Record<string, string>,
  message: A2uiActionMessage,
  handlers: ActionHandlers,
): Promise<{ messages: A2uiMessage[] }> {
  const loaded = await loadSurface(db, name);
  const params = resolveParams(loaded.def, query);
  await assertParamEntities(db, who, loaded.def, params);
  const surfaceId = surfaceKey(name, params);
  const action = message.action;
  if (action.surfaceId !== surfaceId)
    throw validationError([
      { path: 'body.action.surfaceId', message: `expected ${surfaceId}, the surface these parameters draw` },
    ]);
  const known = action.name as SurfaceActionName;
  if (!(known in SURFACE_ACTIONS) || !loaded.def.actions.includes(known)) {
    throw validationError([
      {
        path: 'body.action.name',
        message: `unexpected action "${action.name}", expected one of ${loaded.def.actions.join(', ') || '(none: this surface takes no actions)'}`,
      },
    ]);
  }
  const need = SURFACE_ACTIONS[known].role;
  if (!allows(who, need))
    throw forbidden(`${who.name} (role ${who.role}) may not ${known} on surface ${name}: requires ${need}`);
  if (known === 'acknowledge_alert' || known === 'resolve_alert') {
    const id = action.context.alert_id;
    if (typeof id !== 'string' || !/^alr_[A-Za-z0-9._-]{1,64}$/.test(id))
      throw validationError([{ path: 'body.action.context.alert_id', message: 'expected an alert id (alr_…)' }]);
    const fn = known === 'acknowledge_alert' ? handlers.acknowledgeAlert : handlers.resolveAlert;
    if (!fn) throw new ApiError('unavailable', 'alerting is not installed on this data API');
    await fn(db, who, id);
  }
  const data = await buildDataModel(db, loaded.def, params, who.customerId);
  return { messages: [dataMessage(surfaceId, data)] };
}
