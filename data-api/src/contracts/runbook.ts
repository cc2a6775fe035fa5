// Runbook frontmatter v1 (runbooks.md): the ONE schema. Shared by the API, the browser
// (runner) and the build-time lint (plugins/remark-runbook) — no server-only imports here.
import semver from 'semver';
// `import * as z` (same API as `import { z }`): Docusaurus loads this file through jiti, whose
// interopDefault hands out zod's default export, on which a named `z` is undefined.
import * as z from 'zod';
import { conditionSchema } from './condition.ts';
import { probeTargetMessage, probeTargetProblem } from './probe-target.ts';

export const RUNBOOK_KINDS = ['runbook', 'sop', 'tutorial'] as const;
export const EVIDENCE_KINDS = ['none', 'note', 'photo', 'file', 'link', 'value'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/**
 * Whether an item takes a photo, file or link as evidence. A photo, file or link item takes its
 * own kind only (a file item also a photo: a photo is a file); an item asking for nothing, a
 * note or a value takes any of them as supporting evidence.
 */
export function itemTakes(item: EvidenceKind, kind: 'photo' | 'file' | 'link'): boolean {
  if (item === 'photo' || item === 'link') return kind === item;
  if (item === 'file') return kind === 'file' || kind === 'photo';
  return true;
}
/**
 * Roles a gate's `sign_off` may name: the API token roles (contracts.md) plus `lead`, the
 * field team lead who signs off work on site (the choice is written in
 * docs/contracts/runbooks.mdx).
 */
export const SIGN_OFF_ROLES = ['viewer', 'operator', 'automation', 'admin', 'lead'] as const;
/** Probes an item's `auto_check` may name (one per item). */
export const AUTO_CHECK_PROBES = ['udp', 'tcp', 'http', 'mqtt', 'device_up'] as const;
export type AutoCheckProbe = (typeof AUTO_CHECK_PROBES)[number];

/** Docusaurus's own doc frontmatter keys: allowed beside ours, validated by Docusaurus. */
export const DOCUSAURUS_DOC_KEYS = [
  'sidebar_label',
  'sidebar_position',
  'sidebar_class_name',
  'sidebar_custom_props',
  'description',
  'slug',
  'tags',
  'keywords',
  'hide_title',
  'hide_table_of_contents',
  'pagination_label',
  'pagination_next',
  'pagination_prev',
  'custom_edit_url',
  'image',
  'draft',
  'unlisted',
  'last_update',
  'toc_min_heading_level',
  'toc_max_heading_level',
] as const;

/** Ids of runbooks, gates and items: the url-safe body of docs/contracts/ids.mdx. */
export const RUNBOOK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const RUNBOOK_ID_RULE =
  'a url-safe id (ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 characters)';

/** Rule ids of the lint (plugins/remark-runbook) that a refinement below belongs to. */
export const RUNBOOK_RULE = {
  invalidSemverRange: 'runbook/invalid-semver-range',
  valueWithoutExpect: 'runbook/value-without-expect',
  expectWithoutValue: 'runbook/expect-without-value',
  badProbeTarget: 'runbook/bad-probe-target',
  duplicateGateId: 'runbook/duplicate-gate-id',
  duplicateItemId: 'runbook/duplicate-item-id',
  badCondition: 'runbook/bad-condition',
} as const;

const id = z.string().regex(RUNBOOK_ID_PATTERN, `expected ${RUNBOOK_ID_RULE}`);
const text = z.string().trim().min(1);

/** True when `range` is a semver range that `semver.satisfies` understands. */
export function isValidSemverRange(range: string): boolean {
  return range.trim() !== '' && semver.validRange(range) !== null;
}

/** Positions (indices) of ids seen before: `[{ index, first }]`, first = index of the first use. */
export function findDuplicates(ids: readonly unknown[]): { index: number; first: number }[] {
  const seen = new Map<string, number>();
  const out: { index: number; first: number }[] = [];
  ids.forEach((value, index) => {
    if (typeof value !== 'string') return;
    const first = seen.get(value);
    if (first === undefined) seen.set(value, index);
    else out.push({ index, first });
  });
  return out;
}

/**
 * An `expect` on an item that records no value: the runner shows the range and no field to type
 * the reading into, so the measurement the author asked for is never recorded nor checked.
 */
export const expectWithoutValueMessage = (itemId: string, evidence: string) =>
  `Unexpected \`expect\` on item \`${itemId}\` with \`evidence: ${evidence}\` (its range is never checked: the runner takes no value for it), expected \`evidence: value\` or no \`expect\``;

export const expectSchema = z
  .strictObject({
    min: z.number().optional(),
    max: z.number().optional(),
    unit: text.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.min === undefined && e.max === undefined) {
      ctx.addIssue({ code: 'custom', message: 'Unexpected `expect` without bounds, expected `min` and/or `max`' });
    } else if (e.min !== undefined && e.max !== undefined && e.min > e.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: `Unexpected \`expect.min\` ${e.min} above \`expect.max\` ${e.max}, expected min ≤ max`,
      });
    }
  });

export const autoCheckSchema = z
  .strictObject({
    udp: text.optional().describe('host:port that must answer (templates like {{site.network_server}} allowed)'),
    tcp: text.optional().describe('host:port that must accept a connection'),
    http: text.optional().describe('URL that must answer 2xx'),
    mqtt: text.optional().describe('topic on which a message must be seen'),
    device_up: text.optional().describe('device id that must be up'),
  })
  .superRefine((a, ctx) => {
    const n = Object.values(a).filter((v) => v !== undefined).length;
    if (n !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `Unexpected ${n} probes in \`auto_check\`, expected exactly one of ${AUTO_CHECK_PROBES.map((p) => `\`${p}\``).join(', ')}`,
      });
    for (const [probe, target] of Object.entries(a)) {
      const problem = target === undefined ? null : probeTargetProblem(probe, target);
      if (problem)
        ctx.addIssue({
          code: 'custom',
          path: [probe],
          params: { rule: RUNBOOK_RULE.badProbeTarget },
          message: probeTargetMessage(`auto_check.${probe}`, target, problem),
        });
    }
  });

export const checklistItemSchema = z
  .strictObject({
    id,
    text,
    evidence: z.enum(EVIDENCE_KINDS),
    expect: expectSchema.optional(),
    auto_check: autoCheckSchema.optional(),
    when: conditionSchema
      .optional()
      .describe(
        'JSONLogic over deployment, site and product: the item is part of an execution only when true (runbook/bad-condition)',
      ),
  })
  .superRefine((item, ctx) => {
    if (item.evidence === 'value' && item.expect === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['evidence'],
        params: { rule: RUNBOOK_RULE.valueWithoutExpect },
        message: `Unexpected \`value\` item \`${item.id}\` without \`expect\`, expected \`expect: { min, max, unit }\``,
      });
    }
    if (item.evidence !== 'value' && item.expect !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expect'],
        params: { rule: RUNBOOK_RULE.expectWithoutValue },
        message: expectWithoutValueMessage(item.id, item.evidence),
      });
    }
  });

export const gateSchema = z
  .strictObject({
    id,
    title: text,
    sign_off: z.enum(SIGN_OFF_ROLES).optional().describe('role that must sign off before the next gate opens'),
    checklist: z.array(checklistItemSchema).min(1),
  })
  .superRefine((gate, ctx) => {
    for (const d of findDuplicates(gate.checklist.map((i) => i.id))) {
      ctx.addIssue({
        code: 'custom',
        path: ['checklist', d.index, 'id'],
        params: { rule: RUNBOOK_RULE.duplicateItemId },
        message: `Unexpected duplicate item id \`${gate.checklist[d.index]!.id}\`, expected unique item ids in a runbook`,
      });
    }
  });

const docusaurusKeys = Object.fromEntries(DOCUSAURUS_DOC_KEYS.map((k) => [k, z.unknown().optional()])) as Record<
  (typeof DOCUSAURUS_DOC_KEYS)[number],
  z.ZodOptional<z.ZodUnknown>
>;

export const runbookFrontmatterSchema = z
  .strictObject({
    id: id.describe('unique across all runbooks; never reused'),
    title: text,
    kind: z.enum(RUNBOOK_KINDS),
    version: z.int().min(1).describe('bump when the checklist changes'),
    owner: text.optional().describe('team that owns the runbook (a warning when missing)'),
    product_code: text.optional().describe('must exist in the product catalog (docs/products)'),
    product_versions: z
      .string()
      .refine(isValidSemverRange, {
        params: { rule: RUNBOOK_RULE.invalidSemverRange },
        message: 'expected a semver range',
      })
      .optional(),
    estimated_minutes: z.int().min(1).optional(),
    requires: z.array(id).default([]).describe('runbooks to finish first (for the same deployment)'),
    gates: z.array(gateSchema).min(1),
    track: text.optional().describe('tutorials: the track (folder docs/tutorials/<track>/)'),
    step: z.int().min(1).optional().describe('tutorials: 1-based position in the track'),
    ...docusaurusKeys,
  })
  .superRefine((fm, ctx) => {
    if (fm.kind === 'tutorial') {
      if (fm.track === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['track'],
          message: 'Missing `track`, expected the tutorial track (a tutorial needs `track` and `step`)',
        });
      if (fm.step === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['step'],
          message: 'Missing `step`, expected the position in the track (an integer ≥ 1)',
        });
    } else {
      for (const k of ['track', 'step'] as const) {
        if (fm[k] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `Unexpected \`${k}\` in a ${fm.kind}, expected it only when \`kind: tutorial\``,
          });
      }
    }
    if (fm.product_versions !== undefined && fm.product_code === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['product_versions'],
        message: 'Unexpected `product_versions` without `product_code`, expected both or neither',
      });
    }
    for (const d of findDuplicates(fm.gates.map((g) => g.id))) {
      ctx.addIssue({
        code: 'custom',
        path: ['gates', d.index, 'id'],
        params: { rule: RUNBOOK_RULE.duplicateGateId },
        message: `Unexpected duplicate gate id \`${fm.gates[d.index]!.id}\`, expected unique gate ids`,
      });
    }
    const items = fm.gates.flatMap((g, gi) => g.checklist.map((item, ii) => ({ id: item.id, gi, ii })));
    for (const d of findDuplicates(items.map((i) => i.id))) {
      const at = items[d.index]!;
      // Duplicates inside one gate are reported by the gate schema already.
      if (items[d.first]!.gi === at.gi) continue;
      ctx.addIssue({
        code: 'custom',
        path: ['gates', at.gi, 'checklist', at.ii, 'id'],
        params: { rule: RUNBOOK_RULE.duplicateItemId },
        message: `Unexpected duplicate item id \`${at.id}\`, expected unique item ids in a runbook`,
      });
    }
  })
  .meta({ id: 'RunbookFrontmatter' });

/** Keys of the runbook frontmatter itself (Docusaurus's keys aside), in documentation order. */
export const RUNBOOK_KEYS = [
  'id',
  'title',
  'kind',
  'version',
  'owner',
  'product_code',
  'product_versions',
  'estimated_minutes',
  'requires',
  'gates',
  'track',
  'step',
] as const;
export const GATE_KEYS = ['id', 'title', 'sign_off', 'checklist'] as const;
export const ITEM_KEYS = ['id', 'text', 'evidence', 'expect', 'auto_check', 'when'] as const;
export const EXPECT_KEYS = ['min', 'max', 'unit'] as const;

export type SignOffRole = (typeof SIGN_OFF_ROLES)[number];
export type Expect = z.infer<typeof expectSchema>;
export type ChecklistItem = z.infer<typeof checklistItemSchema>;
export type Gate = z.infer<typeof gateSchema>;
/** A validated runbook frontmatter (output: `requires` defaulted to []). */
export type RunbookFrontmatter = z.infer<typeof runbookFrontmatterSchema>;
/** What an author may write (input: `requires` optional). */
export type RunbookFrontmatterInput = z.input<typeof runbookFrontmatterSchema>;

/**
 * Why this runbook cannot be executed for this deployment, or null when it can: the deployment is
 * retired, of another product, or runs a version outside the runbook's `product_versions`. The API
 * refuses such a start with this message (409); a deployment's page lists only the runbooks that fit.
 */
export function runbookMisfit(
  runbook: { id: string; product_code: string | null; product_versions: string | null },
  deployment: { id: string; product_code: string; product_version: string; state: string },
): string | null {
  if (deployment.state === 'retired')
    return `deployment ${deployment.id} is retired: runbooks are executed for planned, installing, live or paused deployments`;
  if (runbook.product_code && runbook.product_code !== deployment.product_code)
    return `runbook ${runbook.id} is for product ${runbook.product_code}, but deployment ${deployment.id} is ${deployment.product_code}: pick a ${runbook.product_code} deployment`;
  if (runbook.product_versions) {
    const v = semver.coerce(deployment.product_version);
    if (!v || !semver.satisfies(v, runbook.product_versions))
      return `runbook ${runbook.id} applies to ${runbook.product_code} ${runbook.product_versions}, but deployment ${deployment.id} runs ${deployment.product_version}: use the runbook for that version`;
  }
  return null;
}
