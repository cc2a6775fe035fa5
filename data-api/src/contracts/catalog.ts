// The product catalog (docs/products/<code>/index.mdx frontmatter): what a product is made of
// and how its devices talk. Shared by the API (loader), the lint (plugins/remark-library), the
// firmware scaffold (firmware/generator) and the browser (product pages). No server-only
// imports; `import * as z` because Docusaurus loads this file through jiti (see runbook.ts).
import * as z from 'zod';
import { metricNameRe } from './mqtt.ts';

export const DEVICE_ROLES = ['gateway', 'sensor', 'station', 'controller'] as const;
export const PRODUCT_CATEGORIES = ['lorawan', 'rfid', 'firmware-only', 'gateway', 'other'] as const;
/** contracts.md: the run statuses a telemetry message may carry. */
export const RUN_STATUSES = ['running', 'stopped', 'fault', 'ok'] as const;
/** Who measures a metric: the device itself, or the network on its behalf (ChirpStack's RSSI/SNR). */
export const METRIC_SOURCES = ['device', 'network'] as const;
export const PARAM_TYPES = ['number', 'integer', 'boolean', 'string'] as const;

export const semverSchema = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, 'expected a version like 2.1.0');
export const productCodeSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a product code like lorawan-gw');
/** The API's rule for a command `action` (POST /devices/:id/commands). */
export const commandActionRe = /^[a-z][a-z0-9_]{0,63}$/;
/** A param is a JSON key: letters, digits, `_`, `-`, `.` (the firmware maps it to a C identifier). */
export const paramNameRe = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

const text = (max = 200) => z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

/** `min ≤ max` when both are given; the issue points at `min`. */
function orderedBounds(v: { min?: number; max?: number }, ctx: z.RefinementCtx): void {
  if (v.min !== undefined && v.max !== undefined && v.min > v.max) {
    ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${v.min} is above max ${v.max}: expected min ≤ max` });
  }
}

/** Names that must be unique within a list; the issue points at the second one. */
function uniqueNames<T>(key: (item: T) => string, what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const name = key(item);
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `${what} ${name} is declared twice (first at index ${first})`,
        });
    });
  };
}

export const catalogMetricSchema = z
  .strictObject({
    name: z.string().regex(metricNameRe, 'expected a snake_case metric name with its unit as suffix, e.g. temp_c'),
    unit: text(32),
    description: text(300),
    /** The typical (healthy) range: bring-up runbooks expect it, the bench simulation stays in it. */
    min: z.number().optional(),
    max: z.number().optional(),
    source: z.enum(METRIC_SOURCES).optional(),
    /** First product version that reports it (default: every version). */
    since: semverSchema.optional(),
  })
  .superRefine(orderedBounds);
export type CatalogMetric = z.infer<typeof catalogMetricSchema>;

export const commandParamSchema = z
  .strictObject({
    name: z.string().regex(paramNameRe, 'expected a param name: letters, digits, _, - and . (at most 64)'),
    type: z.enum(PARAM_TYPES),
    description: text(300).optional(),
    unit: text(32).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Strings only: the longest accepted value (the firmware's buffer). */
    max_length: z.number().int().min(1).max(1024).optional(),
    required: z.boolean().optional(),
  })
  .superRefine(orderedBounds);
export type CommandParam = z.infer<typeof commandParamSchema>;

export const LORAWAN_FIELD_TYPES = ['u8', 'u16', 'u32', 'i8', 'i16', 'i32'] as const;

/**
 * How a LoRaWAN product's command becomes downlink bytes (the product's encoder): an optional
 * opcode byte, then each param as a big-endian integer (value × scale, rounded). The API sends
 * it to ChirpStack as a downlink on `f_port`.
 */
export const lorawanEncodingSchema = z.strictObject({
  f_port: z.number().int().min(1, 'fPort 1–223 (0 is MAC commands)').max(223, 'fPort 1–223 (224+ are reserved)'),
  confirmed: z.boolean().optional(),
  opcode: z.number().int().min(0).max(255).optional(),
  fields: z
    .array(
      z.strictObject({
        param: z.string().regex(paramNameRe, 'expected a param name'),
        type: z.enum(LORAWAN_FIELD_TYPES),
        scale: z.number().positive().optional(),
      }),
    )
    .max(16)
    .optional(),
});
export type LorawanEncoding = z.infer<typeof lorawanEncodingSchema>;

export const catalogCommandSchema = z.strictObject({
  action: z.string().regex(commandActionRe, 'expected a snake_case action, e.g. set_setpoint'),
  description: text(300),
  params: z
    .array(commandParamSchema)
    .max(8, 'at most 8 params')
    .superRefine(uniqueNames((p: CommandParam) => p.name, 'param'))
    .optional(),
  since: semverSchema.optional(),
  /** LoRaWAN products: the downlink encoding of this command. */
  lorawan: lorawanEncodingSchema.optional(),
});
export type CatalogCommand = z.infer<typeof catalogCommandSchema>;

export const bomLineSchema = z.strictObject({
  sku: text(100),
  qty: z.number().int().min(1),
  description: z.string().optional(),
  /** Price of one unit, in the product's `currency`. */
  unit_cost: z.number().min(0).optional(),
});
export type BomLine = z.infer<typeof bomLineSchema>;

/** A datasheet is a file under static/: `/datasheets/…` on the site (a missing file is a lint error). */
export const datasheetSchema = z.strictObject({
  title: text(),
  file: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, 'expected a site path under static/, e.g. /datasheets/pump-ctl/ctl-esp32-io8.pdf'),
  sku: text(100).optional(),
});
export type Datasheet = z.infer<typeof datasheetSchema>;

export const productVersionSchema = z.strictObject({
  version: semverSchema,
  firmware_baseline: z.string().nullable().optional(),
  released: z.iso.date('expected a date YYYY-MM-DD').optional(),
  /** What changed in this version (the product page's revisions table). */
  changes: z.array(text(300)).optional(),
  bom: z.array(bomLineSchema).default([]),
  datasheets: z.array(datasheetSchema).optional(),
  default_runbooks: z.array(z.string()).default([]),
});
export type ProductVersionFrontmatter = z.infer<typeof productVersionSchema>;

/** docs/products/<code>/index.mdx frontmatter: the product keys (Docusaurus keys are ignored). */
export const productFrontmatterSchema = z.object({
  product_code: productCodeSchema,
  name: text(),
  category: z.enum(PRODUCT_CATEGORIES),
  summary: z.string().optional(),
  /** The registry role of its devices. */
  role: z.enum(DEVICE_ROLES).optional(),
  heartbeat_interval_s: z.number().int().min(5, 'at least 5 seconds').max(86_400, 'at most a day').optional(),
  /** Run statuses its telemetry carries. */
  statuses: z.array(z.enum(RUN_STATUSES)).min(1).optional(),
  /** ISO 4217 currency of the BOM's unit costs. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code like EUR')
    .optional(),
  metrics: z
    .array(catalogMetricSchema)
    .superRefine(uniqueNames((m: CatalogMetric) => m.name, 'metric'))
    .optional(),
  commands: z
    .array(catalogCommandSchema)
    .superRefine(uniqueNames((c: CatalogCommand) => c.action, 'action'))
    .optional(),
  versions: z
    .array(productVersionSchema)
    .min(1, 'a product needs at least one version')
    .superRefine(uniqueNames((v: ProductVersionFrontmatter) => v.version, 'version')),
});
export type ProductFrontmatter = z.infer<typeof productFrontmatterSchema>;

/** The device side of a product, as the API returns it and the scaffold reads it. */
export const productSpecSchema = z.object({
  role: z.enum(DEVICE_ROLES).nullable(),
  heartbeat_interval_s: z.number().int().nullable(),
  statuses: z.array(z.enum(RUN_STATUSES)),
  currency: z.string().nullable(),
  metrics: z.array(catalogMetricSchema),
  commands: z.array(catalogCommandSchema),
});
export type ProductSpec = z.infer<typeof productSpecSchema>;

/**
 * The spec of a product that declares nothing: a stored spec is read over it (one stored before
 * the spec column existed is empty).
 */
export const EMPTY_PRODUCT_SPEC: ProductSpec = {
  statuses: ['ok'],
  metrics: [],
  commands: [],
  role: null,
  heartbeat_interval_s: null,
  currency: null,
};

export function productSpecOf(p: ProductFrontmatter): ProductSpec {
  return {
    role: p.role ?? null,
    heartbeat_interval_s: p.heartbeat_interval_s ?? null,
    statuses: p.statuses ?? ['ok'],
    currency: p.currency ?? null,
    metrics: p.metrics ?? [],
    commands: p.commands ?? [],
  };
}

/** Totals of a BOM: parts (sum of qty), and the cost when every line has a unit cost. */
export function bomTotals(bom: readonly BomLine[]): { lines: number; parts: number; cost: number | null } {
  const parts = bom.reduce((n, l) => n + l.qty, 0);
  const priced = bom.every((l) => l.unit_cost !== undefined);
  const cost = priced ? Math.round(bom.reduce((n, l) => n + l.qty * l.unit_cost!, 0) * 100) / 100 : null;
  return { lines: bom.length, parts, cost };
}

/** A device tag: what alert rule selectors (`select: { tags }`) and routing match on. */
export const deviceTagSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9:_.-]{0,63}$/,
    'expected a tag like irrigation or zone:a (lower case, digits, : _ . -; at most 64)',
  );
/** A device's tags as written through the API: each once, at most 32. */
export const deviceTagsSchema = z
  .array(deviceTagSchema)
  .max(32, 'at most 32 tags')
  .refine((tags) => new Set(tags).size === tags.length, 'each tag once')
  .describe('free tags (irrigation, zone:a): alert rules select devices by them');
