// Shared by the API and the browser (no server-only imports here).
//
// A2UI v0.9 messages (widgets.md: "exactly as the protocol defines them") and the
// fleetbook surface definition: a component tree plus named data queries whose results
// fill the data model. The browser renders the messages; the API builds and validates them.
import { z } from 'zod';

export const A2UI_VERSION = 'v0.9' as const;

/** Basic catalog + fleetbook data components: the catalog every fleetbook surface uses. */
export const FLEETBOOK_CATALOG_ID = 'urn:fleetbook:a2ui:catalog:v1';

export const BASIC_COMPONENTS = [
  'Text',
  'Image',
  'Icon',
  'Video',
  'AudioPlayer',
  'Row',
  'Column',
  'List',
  'Card',
  'Tabs',
  'Divider',
  'Modal',
  'Button',
  'TextField',
  'CheckBox',
  'ChoicePicker',
  'Slider',
  'DateTimeInput',
] as const;
/** widgets.md: the fleetbook catalog of data components, props bound by JSON Pointer. */
export const FLEETBOOK_COMPONENTS = [
  'DeviceTable',
  'HealthBadge',
  'TelemetryChart',
  'AlertList',
  'RunTimeline',
  'Stat',
] as const;
export const CATALOG_COMPONENTS: readonly string[] = [...BASIC_COMPONENTS, ...FLEETBOOK_COMPONENTS];

/** `fleet-overview`, `site-status`: lower-case words joined by `-`. */
export const surfaceNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a surface name like fleet-overview (lower case, digits, -)');

const jsonPointer = z.string().regex(/^(\/([^/~]|~[01])*)*$/, 'expected a JSON Pointer like /devices/0/name');

/** One A2UI component: `{ id, component, ...props }`, children referenced by id. */
export const a2uiComponentSchema = z
  .looseObject({
    id: z.string().min(1).max(200),
    component: z.string().min(1).max(100),
  })
  .meta({ id: 'A2uiComponent' });

const envelope = <K extends string, S extends z.ZodType>(key: K, body: S) =>
  z.strictObject({ version: z.literal(A2UI_VERSION), [key]: body } as { version: z.ZodLiteral<'v0.9'> } & Record<K, S>);

export const createSurfaceMessageSchema = envelope(
  'createSurface',
  z.strictObject({
    surfaceId: z.string().min(1),
    catalogId: z.string().min(1),
    theme: z.unknown().optional(),
    sendDataModel: z.boolean().optional(),
  }),
);
export const updateComponentsMessageSchema = envelope(
  'updateComponents',
  z.strictObject({ surfaceId: z.string().min(1), components: z.array(a2uiComponentSchema).min(1) }),
);
export const updateDataModelMessageSchema = envelope(
  'updateDataModel',
  z.strictObject({ surfaceId: z.string().min(1), path: jsonPointer.optional(), value: z.unknown().optional() }),
);
export const deleteSurfaceMessageSchema = envelope('deleteSurface', z.strictObject({ surfaceId: z.string().min(1) }));

export const a2uiMessageSchema = z
  .union([
    createSurfaceMessageSchema,
    updateComponentsMessageSchema,
    updateDataModelMessageSchema,
    deleteSurfaceMessageSchema,
  ])
  .meta({ id: 'A2uiMessage' });

/** A user action coming back from a surface (A2UI v0.9 client-to-server). */
export const a2uiActionMessageSchema = z
  .strictObject({
    version: z.literal(A2UI_VERSION),
    action: z.strictObject({
      name: z.string().min(1).max(100),
      surfaceId: z.string().min(1).max(200),
      sourceComponentId: z.string().min(1).max(200),
      timestamp: z.string().max(64),
      context: z.record(z.string(), z.unknown()).default({}),
    }),
  })
  .meta({ id: 'A2uiAction' });

export type A2uiComponent = z.infer<typeof a2uiComponentSchema>;
export type A2uiMessage = z.infer<typeof a2uiMessageSchema>;
export type A2uiActionMessage = z.infer<typeof a2uiActionMessageSchema>;

/* ------------------------------------------------------------- definitions */

/** A query argument: a literal, or `{ "param": "site" }` taken from the surface's parameters. */
export const queryArgSchema = z.union([
  z.string().max(200),
  z.number(),
  z.boolean(),
  z.null(),
  z.strictObject({ param: z.string().regex(/^[a-z_]{1,40}$/) }),
]);

/** The data queries a surface may use: named, server-side, tenant-scoped. */
export const SURFACE_QUERIES = {
  /** `{ up, down, unknown, total }`, optionally at one site. */
  device_counts: 'device status counts: { up, down, unknown, total }; args site_id?, product_code?',
  /** `[{ key, name, up, down, unknown, total }]` per site, product or customer. */
  device_counts_by: 'device status counts per group: args group_by (site|product|customer), site_id?',
  /** Devices: `[{ id, name, status, last_seen, firmware, product_code, site_id }]`, down first. */
  devices: 'devices, down first: args site_id?, status?, limit (≤ 200)',
  /** `{ planned, installing, live, paused, retired }` */
  deployment_counts: 'deployments per state: args site_id?, product_code?',
  /** `[{ id, name, product_code, product_version, state, site_id }]` */
  deployments: 'deployments: args site_id?, state?, limit (≤ 200)',
  /** Open and acknowledged alerts, newest first (empty when alerting is not installed). */
  alerts: 'alerts: args state (comma list, default open,acknowledged), site_id?, limit (≤ 200)',
  /** `{ open, acknowledged, critical }` */
  alert_counts: 'alert counts: args site_id?',
  /** `{ id, name, timezone, customer_id, customer_name }` */
  site: 'one site: args site_id',
} as const;
export type SurfaceQueryKind = keyof typeof SURFACE_QUERIES;

export const surfaceQuerySchema = z.strictObject({
  query: z.enum(Object.keys(SURFACE_QUERIES) as [SurfaceQueryKind, ...SurfaceQueryKind[]]),
  args: z.record(z.string(), queryArgSchema).default({}),
});

export const surfaceParamSchema = z.strictObject({
  description: z.string().max(500),
  /** A regular expression the value must match (default: an id-like string). */
  pattern: z.string().max(200).optional(),
  required: z.boolean().default(true),
  /**
   * The registry entity the value names (`site`, `deployment`): a value naming none the caller
   * can see is answered 404 (`site site_x not found`), as the registry answers, instead of a
   * surface drawn empty that looks like a quiet one.
   */
  entity: z.enum(['site', 'deployment']).optional(),
});

/** Server-side actions a surface may offer, each with the role it needs. */
export const SURFACE_ACTIONS = {
  refresh: { role: 'viewer', description: 'answer with a fresh data model' },
  acknowledge_alert: { role: 'operator', description: 'acknowledge the alert in context.alert_id' },
  resolve_alert: { role: 'operator', description: 'resolve the alert in context.alert_id' },
} as const;
export type SurfaceActionName = keyof typeof SURFACE_ACTIONS;

/**
 * A surface: what `data-api/surfaces/*.ts` export and what `PUT /api/v1/surfaces/:name`
 * takes. `components` is the A2UI flat list (one `root`); `queries` fill the data model at
 * the given JSON Pointers; `data` is static data merged under them; `topics` say which
 * change events make the queries stale (e.g. `device`, `alert`, `deployment`).
 */
export const surfaceDefinitionSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(2000).default(''),
    params: z.record(z.string().regex(/^[a-z_]{1,40}$/), surfaceParamSchema).default({}),
    components: z.array(a2uiComponentSchema).min(1).max(500),
    queries: z.record(jsonPointer, surfaceQuerySchema).default({}),
    data: z.record(z.string(), z.unknown()).default({}),
    topics: z.array(z.enum(['device', 'site', 'deployment', 'alert', 'automation', 'execution'])).default([]),
    actions: z.array(z.enum(Object.keys(SURFACE_ACTIONS) as [SurfaceActionName, ...SurfaceActionName[]])).default([]),
  })
  .superRefine((def, ctx) => {
    for (const issue of componentTreeIssues(def.components))
      ctx.addIssue({ code: 'custom', path: ['components', ...issue.path], message: issue.message });
    for (const [pointer, q] of Object.entries(def.queries)) {
      for (const [name, arg] of Object.entries(q.args)) {
        if (arg && typeof arg === 'object' && !(arg.param in def.params)) {
          ctx.addIssue({
            code: 'custom',
            path: ['queries', pointer, 'args', name],
            message: `unknown parameter "${arg.param}": declare it in params`,
          });
        }
      }
    }
  })
  .meta({ id: 'SurfaceDefinition' });

export type SurfaceDefinitionInput = z.input<typeof surfaceDefinitionSchema>;
export type SurfaceDefinition = z.output<typeof surfaceDefinitionSchema>;

/** Props that hold child ids in the basic catalog. */
const CHILD_PROPS = ['children', 'child', 'trigger', 'content'];

/**
 * The rules the protocol leaves to the sender: unique ids, exactly one `root`, every
 * component in the catalog, every child reference resolvable.
 */
export function componentTreeIssues(
  components: readonly A2uiComponent[],
): Array<{ path: (string | number)[]; message: string }> {
  const issues: Array<{ path: (string | number)[]; message: string }> = [];
  const first = new Map<string, number>();
  components.forEach((c, i) => {
    if (first.has(c.id))
      issues.push({
        path: [i, 'id'],
        message: `duplicate component id "${c.id}" (first at components[${first.get(c.id)}])`,
      });
    else first.set(c.id, i);
    if (!CATALOG_COMPONENTS.includes(c.component)) {
      issues.push({
        path: [i, 'component'],
        message: `unexpected component "${c.component}", expected one of ${CATALOG_COMPONENTS.join(', ')}`,
      });
    }
  });
  if (!first.has('root')) issues.push({ path: [], message: 'expected one component with id "root"' });
  components.forEach((c, i) => {
    for (const prop of CHILD_PROPS) {
      const v = (c as Record<string, unknown>)[prop];
      const refs =
        typeof v === 'string'
          ? [v]
          : Array.isArray(v)
            ? v.filter((x): x is string => typeof x === 'string')
            : v && typeof v === 'object' && typeof (v as { componentId?: unknown }).componentId === 'string'
              ? [(v as { componentId: string }).componentId]
              : [];
      for (const ref of refs)
        if (!first.has(ref)) issues.push({ path: [i, prop], message: `unknown child id "${ref}"` });
    }
    if (c.component === 'Tabs' && Array.isArray((c as { tabs?: unknown }).tabs)) {
      (c as unknown as { tabs: Array<{ child?: unknown }> }).tabs.forEach((t, j) => {
        if (typeof t.child === 'string' && !first.has(t.child))
          issues.push({ path: [i, 'tabs', j, 'child'], message: `unknown child id "${t.child}"` });
      });
    }
  });
  return issues;
}

/** `site-status` + `{ site: 'site_x' }` → `site-status~site_x` (the A2UI surfaceId and SSE topic id). */
export function surfaceKey(name: string, params: Record<string, string>): string {
  const values = Object.keys(params)
    .sort()
    .map((k) => params[k]!)
    .filter(Boolean);
  return values.length ? `${name}~${values.join('~')}` : name;
}

/** The payload of a `surface.updated` change event (SSE `event: surface`). */
export const surfaceEventPayloadSchema = z.object({
  /** `definition`: the surface was republished, re-read it; `data`: apply the messages. */
  kind: z.enum(['definition', 'data']),
  surface: z.string(),
  messages: z.array(a2uiMessageSchema),
});
export type SurfaceEventPayload = z.infer<typeof surfaceEventPayloadSchema>;

export const surfaceSummarySchema = z
  .object({
    name: z.string(),
    title: z.string(),
    description: z.string(),
    params: z.record(z.string(), z.object({ description: z.string(), required: z.boolean() })),
    source: z.enum(['repository', 'runtime']),
    updated_at: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .meta({ id: 'SurfaceSummary' });
export type SurfaceSummary = z.infer<typeof surfaceSummarySchema>;

export const surfaceResponseSchema = z
  .object({
    surface: z.string(),
    surfaceId: z.string(),
    title: z.string(),
    /** SSE topics for this surface: `surface:<name>` (republished) and `surface:<surfaceId>` (data). */
    topics: z.array(z.string()),
    messages: z.array(a2uiMessageSchema),
  })
  .meta({ id: 'SurfaceMessages' });
export type SurfaceResponse = z.infer<typeof surfaceResponseSchema>;

/** Routes: `/surfaces/:name`, its parameters in the query string, and the answers. */
export const surfaceRouteParams = z.object({ name: surfaceNameSchema });
export const surfaceArgsQuery = z
  .record(z.string().regex(/^[a-z_]{1,40}$/), z.string().max(200))
  .describe('the surface parameters, e.g. site=site_farm-north');
export const surfaceListSchema = z.object({ items: z.array(surfaceSummarySchema) });
export const a2uiMessagesSchema = z.object({ messages: z.array(a2uiMessageSchema) });
