// Shared by the API and the browser (no server-only imports here).
import * as z from 'zod';
import { isoDate as date, isoDateTime as timestamp, queryFlag } from './primitives.ts';
import {
  bomLineSchema,
  datasheetSchema,
  DEVICE_ROLES,
  deviceTagsSchema,
  productCodeSchema,
  productSpecSchema,
  semverSchema,
} from './catalog.ts';
import { deviceIdSchema, idSchema } from './ids.ts';
import { pageOf } from './pagination.ts';

export {
  bomLineSchema,
  DEVICE_ROLES,
  PRODUCT_CATEGORIES,
  productFrontmatterSchema,
  productVersionSchema,
} from './catalog.ts';

const text = (max = 200) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

export const timezoneSchema = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected an IANA time zone like Asia/Bangkok' },
);

/* ------------------------------------------------------------------ customers */

export const customerSchema = z
  .object({ id: idSchema('customer'), name: z.string(), created_at: timestamp, updated_at: timestamp })
  .meta({ id: 'Customer' });
export const customerCreateSchema = z.strictObject({ id: idSchema('customer').optional(), name: text() });
export const customerUpdateSchema = z.strictObject({ name: text().optional() });

/* ---------------------------------------------------------------------- sites */

export const locationSchema = z.strictObject({
  lat: z.number().min(-90, 'latitude is between -90 and 90').max(90, 'latitude is between -90 and 90'),
  lon: z.number().min(-180, 'longitude is between -180 and 180').max(180, 'longitude is between -180 and 180'),
});

export const siteSchema = z
  .object({
    id: idSchema('site'),
    customer_id: idSchema('customer'),
    name: z.string(),
    timezone: z.string(),
    location: z.object({ lat: z.number(), lon: z.number() }).nullable(),
    lan_notes: z.string().nullable(),
    region: z
      .string()
      .nullable()
      .describe('radio region plan, e.g. AS923_1, EU868, US915 (what `when:` conditions ask)'),
    network_server: z
      .string()
      .nullable()
      .describe(
        'the LoRaWAN network server its gateways forward to, a host name or IPv4 address (what `{{site.network_server}}` in a runbook probe is)',
      ),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Site' });

/** A region plan name: LoRaWAN regional parameters style (AS923_1, EU868, US915, CN470…). */
export const siteRegionSchema = z
  .string()
  .regex(/^[A-Z]{2}[0-9]{3}(_[0-9A-Z]{1,4})?$/, 'expected a region plan like AS923_1, EU868 or US915');
/** A host name or IPv4 address, no port: `{{site.network_server}}:1700` adds it. */
export const networkServerSchema = z
  .string()
  .max(253)
  .regex(
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    'expected a host name or IPv4 address like lns.example.com or 10.20.0.10 (no port, no scheme)',
  );
export const siteCreateSchema = z.strictObject({
  id: idSchema('site').optional(),
  customer_id: idSchema('customer'),
  name: text(),
  timezone: timezoneSchema.default('UTC'),
  location: locationSchema.nullable().optional(),
  lan_notes: z.string().max(10_000).nullable().optional(),
  region: siteRegionSchema.nullable().optional(),
  network_server: networkServerSchema.nullable().optional(),
});
export const siteUpdateSchema = z.strictObject({
  name: text().optional(),
  timezone: timezoneSchema.optional(),
  location: locationSchema.nullable().optional(),
  lan_notes: z.string().max(10_000).nullable().optional(),
  region: siteRegionSchema.nullable().optional(),
  network_server: networkServerSchema.nullable().optional(),
});

/* ---------------------------------------------------------------- deployments */

export const DEPLOYMENT_STATES = ['planned', 'installing', 'live', 'paused', 'retired'] as const;
export const deploymentStateSchema = z.enum(DEPLOYMENT_STATES);

/** domain.md: planned → installing → live ⇄ paused → retired (retire from any state but retired). */
export const DEPLOYMENT_TRANSITIONS: Record<
  (typeof DEPLOYMENT_STATES)[number],
  readonly (typeof DEPLOYMENT_STATES)[number][]
> = {
  planned: ['installing', 'retired'],
  installing: ['live', 'retired'],
  live: ['paused', 'retired'],
  paused: ['live', 'retired'],
  retired: [],
};

const semver = semverSchema;
const productCode = productCodeSchema;

export const deploymentSchema = z
  .object({
    id: idSchema('deployment'),
    site_id: idSchema('site'),
    customer_id: idSchema('customer'),
    name: z.string().nullable(),
    product_code: z.string(),
    product_version: z.string(),
    state: deploymentStateSchema,
    planned_date: date.nullable(),
    started_date: date.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Deployment' });
export const deploymentCreateSchema = z.strictObject({
  id: idSchema('deployment').optional(),
  site_id: idSchema('site'),
  name: text().nullable().optional(),
  product_code: productCode,
  product_version: semver,
  state: deploymentStateSchema.default('planned'),
  planned_date: date.nullable().optional(),
  started_date: date.nullable().optional(),
});
export const deploymentUpdateSchema = z.strictObject({
  name: text().nullable().optional(),
  product_version: semver.optional(),
  state: deploymentStateSchema.optional(),
  planned_date: date.nullable().optional(),
  started_date: date.nullable().optional(),
});

/* -------------------------------------------------------------------- devices */

export const DEVICE_STATUSES = ['up', 'down', 'unknown'] as const;

export const externalRefsSchema = z.strictObject({
  chirpstack: z
    .strictObject({
      dev_eui: z
        .string()
        .regex(/^[0-9a-fA-F]{16}$/, 'expected a 16-hex-digit DevEUI')
        .transform((s) => s.toLowerCase()),
      device_id: z.string().max(100).optional(),
      application_id: z.string().max(100).optional(),
      /** Written by provision_lorawan_devices with application_id. */
      device_profile_id: z.string().max(100).optional(),
    })
    .optional(),
  rfid: z
    .strictObject({
      station_id: z.string().max(100).optional(),
      mac: z
        .string()
        .regex(/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/, 'expected a MAC like aa:bb:cc:dd:ee:ff')
        .transform((s) => s.toLowerCase())
        .optional(),
    })
    .optional(),
});

/** LoRaWAN keys: written, never read back (domain.md). */
export const deviceSecretsSchema = z.strictObject({
  app_key: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'expected a 32-hex-digit AppKey')
    .optional(),
  nwk_key: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'expected a 32-hex-digit NwkKey')
    .optional(),
});

const jsonObject = z.record(z.string(), z.unknown());

export const deviceSchema = z
  .object({
    id: deviceIdSchema,
    deployment_id: idSchema('deployment').nullable(),
    site_id: idSchema('site').nullable(),
    customer_id: idSchema('customer').nullable(),
    product_code: z.string(),
    product_version: z.string().nullable(),
    role: z.enum(DEVICE_ROLES),
    serial: z.string().nullable(),
    name: z.string().nullable(),
    status: z.enum(DEVICE_STATUSES),
    last_seen: timestamp.nullable(),
    desired_state: jsonObject,
    desired_version: z.number().int(),
    observed_state: jsonObject,
    external_refs: jsonObject,
    heartbeat_interval_s: z.number().int(),
    tags: z.array(z.string()).describe('free tags: alert rules select devices by them'),
    /** Names of the secrets set for this device; never their values. */
    secrets_set: z.array(z.string()),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Device' });

/**
 * `GET /devices?sort=`: a device field, `-` first for descending; the id breaks ties, and
 * empty values (no name, never seen…) come last either way. The DeviceTable's headers use it.
 */
export const DEVICE_SORT_KEYS = [
  'id',
  'name',
  'serial',
  'status',
  'last_seen',
  'site_id',
  'deployment_id',
  'product_code',
  'role',
  'created_at',
] as const;
export type DeviceSortKey = (typeof DEVICE_SORT_KEYS)[number];
export type DeviceSort = DeviceSortKey | `-${DeviceSortKey}`;
const DEVICE_SORTS = [...DEVICE_SORT_KEYS, ...DEVICE_SORT_KEYS.map((k) => `-${k}` as const)] as [
  DeviceSort,
  ...DeviceSort[],
];
export const deviceSortSchema = z
  .enum(DEVICE_SORTS, {
    error: `expected one of ${DEVICE_SORT_KEYS.join(', ')}, optionally with a leading - for descending`,
  })
  .default('id')
  .describe('order of the list: a field, or -field for descending; ties broken by id; empty values last');

const heartbeat = z.number().int().min(5, 'at least 5 seconds').max(86_400, 'at most a day');

export const deviceCreateSchema = z.strictObject({
  id: deviceIdSchema.optional(),
  deployment_id: idSchema('deployment').nullable().optional(),
  site_id: idSchema('site').nullable().optional(),
  product_code: productCode,
  product_version: semver.nullable().optional(),
  role: z.enum(DEVICE_ROLES),
  serial: text(100).nullable().optional(),
  name: text().nullable().optional(),
  external_refs: externalRefsSchema.optional(),
  heartbeat_interval_s: heartbeat.optional(),
  tags: deviceTagsSchema.optional(),
  secrets: deviceSecretsSchema.optional(),
});
export const deviceUpdateSchema = z.strictObject({
  deployment_id: idSchema('deployment').nullable().optional(),
  site_id: idSchema('site').nullable().optional(),
  product_version: semver.nullable().optional(),
  serial: text(100).nullable().optional(),
  name: text().nullable().optional(),
  external_refs: externalRefsSchema.optional(),
  heartbeat_interval_s: heartbeat.optional(),
  tags: deviceTagsSchema.optional(),
  secrets: deviceSecretsSchema.optional(),
});
export const desiredStateSchema = z.strictObject({
  desired_state: jsonObject.refine((v) => JSON.stringify(v).length <= 64_000, 'at most 64 KB of JSON'),
  /** Optimistic concurrency: when given, must equal the current desired_version. */
  if_version: z.number().int().min(0).optional(),
});

/* ------------------------------------------------------------------ inventory */

export const INVENTORY_STATES = ['in_stock', 'allocated', 'installed', 'rma'] as const;

export const inventoryItemSchema = z
  .object({
    id: idSchema('inventory'),
    sku: z.string(),
    serial: z.string().nullable(),
    state: z.enum(INVENTORY_STATES),
    deployment_id: idSchema('deployment').nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'InventoryItem' });
export const inventoryCreateSchema = z.strictObject({
  id: idSchema('inventory').optional(),
  sku: text(100),
  serial: text(100).nullable().optional(),
  state: z.enum(INVENTORY_STATES).default('in_stock'),
  deployment_id: idSchema('deployment').nullable().optional(),
});
export const inventoryUpdateSchema = z.strictObject({
  serial: text(100).nullable().optional(),
  state: z.enum(INVENTORY_STATES).optional(),
  deployment_id: idSchema('deployment').nullable().optional(),
});

/* ------------------------------------------------------------------- products */

export const productSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    category: z.string(),
    summary: z.string().nullable(),
    source_path: z.string(),
    spec: productSpecSchema.describe(
      'the device side: role, heartbeat, metrics with units and ranges, commands with params',
    ),
    versions: z.array(
      z.object({
        version: z.string(),
        firmware_baseline: z.string().nullable(),
        released: z.string().nullable(),
        changes: z.array(z.string()),
        bom: z.array(bomLineSchema),
        datasheets: z.array(datasheetSchema),
        default_runbooks: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'Product' });

export type Customer = z.infer<typeof customerSchema>;
export type Site = z.infer<typeof siteSchema>;
export type Deployment = z.infer<typeof deploymentSchema>;
export type Device = z.infer<typeof deviceSchema>;
export type InventoryItem = z.infer<typeof inventoryItemSchema>;
export type Product = z.infer<typeof productSchema>;

/** The list answers the site reads (the routes build the same instances: `pageOf` keeps one per item). */
export const devicePage = pageOf(deviceSchema, 'Device');
export const deploymentPage = pageOf(deploymentSchema, 'Deployment');
export const sitePage = pageOf(siteSchema, 'Site');

/* ------------------------------------------------------------------ list filters and routes */

const textSearch = z.string().trim().min(1).max(100).optional().describe('text search');
/** The query string of each collection's list (besides limit and cursor); delete options. */
export const customerFilters = { q: textSearch };
export const siteFilters = { customer_id: idSchema('customer').optional(), q: textSearch };
export const siteDeleteQuery = {
  cascade: queryFlag.optional().describe('admin only: also delete its deployments and devices'),
};
export const deploymentFilters = {
  site_id: idSchema('site').optional(),
  customer_id: idSchema('customer').optional(),
  state: deploymentStateSchema.optional(),
  product_code: z.string().max(64).optional(),
  q: textSearch,
};
export const deviceFilters = {
  site_id: idSchema('site').optional(),
  deployment_id: idSchema('deployment').optional(),
  customer_id: idSchema('customer').optional(),
  role: z.enum(DEVICE_ROLES).optional(),
  status: z.enum(DEVICE_STATUSES).optional(),
  product_code: z.string().max(64).optional(),
  q: textSearch.describe('matches id, serial, name and external refs (DevEUI, MAC…)'),
  sort: deviceSortSchema,
};
export const inventoryFilters = {
  deployment_id: idSchema('deployment').optional(),
  state: z.enum(INVENTORY_STATES).optional(),
  sku: z.string().max(100).optional(),
  q: textSearch,
};

export const productParams = z.object({ code: z.string().max(64) });
export const productListSchema = z.object({ items: z.array(productSchema) });
