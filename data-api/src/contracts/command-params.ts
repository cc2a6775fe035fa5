// A command's params against its product's catalog declaration (docs/products/<code>/index.mdx
// `commands[].params`): the rule the API applies before it sends a command (400 naming the param)
// and the browser's DeviceCommands form applies before it asks. It is the firmware's own rule
// (firmware/templates/project/core/fb_command.c, generated from the same catalog): a param is
// required unless `required: false`; numbers are numbers, integers whole, both inside min/max;
// booleans are true or false; strings at most max_length (default 64) characters; no other
// params. No server-only imports: the browser imports it.
import semver from 'semver';
import * as z from 'zod';
import type { CatalogCommand, CommandParam } from './catalog.ts';

/** The longest string a param takes when its declaration names none (the firmware's buffer). */
export const DEFAULT_PARAM_MAX_LENGTH = 64;

export const paramRequired = (p: CommandParam) => p.required !== false;
export const paramMaxLength = (p: CommandParam) => p.max_length ?? DEFAULT_PARAM_MAX_LENGTH;

/** "0.5 to 8 bar", "at least 1", "any value": a number param's range as the firmware words it. */
export function paramRangeText(p: { min?: number | null; max?: number | null; unit?: string }): string {
  const u = p.unit ? ` ${p.unit}` : '';
  const [min, max] = [p.min ?? undefined, p.max ?? undefined];
  if (min !== undefined && max !== undefined) return `${min} to ${max}${u}`;
  if (min !== undefined) return `at least ${min}${u}`;
  if (max !== undefined) return `at most ${max}${u}`;
  return 'any value';
}

function paramSchema(p: CommandParam): z.ZodType {
  const missing = (what: string) => (iss: { input?: unknown }) =>
    iss.input === undefined ? `missing param ${p.name}` : what;
  let schema: z.ZodType;
  switch (p.type) {
    case 'boolean':
      schema = z.boolean({ error: missing('expected true or false') });
      break;
    case 'string': {
      const max = paramMaxLength(p);
      schema = z
        .string({ error: missing('expected a string') })
        .max(max, `expected a string of at most ${max} characters`);
      break;
    }
    case 'number':
    case 'integer': {
      const base = z.number({ error: missing('expected a number') });
      schema = (p.type === 'integer' ? base.int('expected a whole number') : base).refine(
        (v) => (p.min === undefined || v >= p.min) && (p.max === undefined || v <= p.max),
        { error: (iss) => `${p.name} ${String(iss.input)} is out of range: expected ${paramRangeText(p)}` },
      );
      break;
    }
  }
  return paramRequired(p) ? schema : schema.optional();
}

/**
 * The zod schema of one command's params: an object of its declared params, nothing else. An
 * issue's path is the param's name; an unknown param is an `unrecognized_keys` issue at the root
 * (`commandParamIssues` names each).
 */
export function commandParamsSchema(command: Pick<CatalogCommand, 'action' | 'params'>) {
  return z.strictObject(Object.fromEntries((command.params ?? []).map((p) => [p.name, paramSchema(p)])));
}

export interface ParamIssue {
  /** The param's name. */
  param: string;
  message: string;
}

/** What is wrong with `params` for this command, one issue a param (empty: the device takes them). */
export function commandParamIssues(
  command: Pick<CatalogCommand, 'action' | 'params'>,
  params: Record<string, unknown>,
): ParamIssue[] {
  const parsed = commandParamsSchema(command).safeParse(params);
  if (parsed.success) return [];
  const declared = (command.params ?? []).map((p) => p.name);
  const seen = new Set<string>();
  const issues: ParamIssue[] = [];
  for (const issue of parsed.error.issues) {
    const names = issue.code === 'unrecognized_keys' ? issue.keys : [String(issue.path[0] ?? '')];
    for (const param of names) {
      if (seen.has(param)) continue;
      seen.add(param);
      issues.push({
        param,
        message:
          issue.code !== 'unrecognized_keys'
            ? issue.message
            : declared.length === 0
              ? `unexpected param ${param}: ${command.action} takes none`
              : `unexpected param ${param}: expected ${declared.join(', ')}`,
      });
    }
  }
  return issues;
}

/**
 * The commands a device of this product version takes: those without `since`, or whose `since`
 * it has reached (the firmware scaffold's rule). A device of no known version: every command.
 */
export function commandsForVersion<C extends Pick<CatalogCommand, 'since'>>(
  commands: readonly C[],
  version: string | null | undefined,
): C[] {
  const v = version ? semver.coerce(version, { includePrerelease: true }) : null;
  return v ? commands.filter((c) => sinceReached(c.since, v.version)) : [...commands];
}

/** Whether a catalog entry (command, metric) with this `since` exists in `version`: none, or reached. */
export const sinceReached = (since: string | undefined, version: string): boolean =>
  !since || semver.gte(version, since);

/** The device a command is for: its product and the version it runs (null: not known). */
export interface CommandTarget {
  product_code: string;
  product_version: string | null | undefined;
}

/**
 * The catalog's declaration of `action` for this device, or why the device takes no such command:
 * one rule for the API (400 at body.action, nothing recorded or sent, on fleetbook MQTT and
 * ChirpStack downlinks alike) and the device page's form. A device takes the actions its product
 * declares for its version (`commandsForVersion`); an action it does not declare is refused (its
 * firmware answers it `failed: unknown action`), and so is every action of a product that
 * declares no commands (its firmware takes none, and a LoRaWAN product has no encoding to send).
 */
export function commandFor<C extends Pick<CatalogCommand, 'action' | 'since'>>(
  commands: readonly C[],
  device: CommandTarget,
  action: string,
): { command: C; issue?: undefined } | { command?: undefined; issue: string } {
  const version = device.product_version ?? null;
  const what = version ? `${device.product_code} ${version}` : device.product_code;
  const applies = commandsForVersion(commands, version);
  const command = applies.find((c) => c.action === action);
  if (command) return { command };
  const later = commands.find((c) => c.action === action);
  if (later) {
    return { issue: `${action} needs ${device.product_code} ${later.since} or later; this device runs ${version}` };
  }
  if (commands.length === 0) return { issue: `${what} declares no commands: it takes none` };
  const takes = applies.length
    ? `it declares: ${applies.map((c) => c.action).join(', ')}`
    : `it declares none for this version (${commands.map((c) => `${c.action} since ${c.since}`).join(', ')})`;
  return { issue: `${what} declares no command ${action}; ${takes}` };
}
