// The catalog's view of one product version, shaped for the templates: names, C names, units,
// ranges, commands with their params, the settings the app keeps, and the facts the runbook and
// the prompt pack quote.
import semver from 'semver';
import type { CatalogCommand, CatalogMetric, ProductFrontmatter } from '../../data-api/src/contracts/catalog.ts';
import {
  paramMaxLength,
  paramRangeText,
  paramRequired,
  sinceReached,
} from '../../data-api/src/contracts/command-params.ts';
import { cDouble, cNames, cString, type CNameMapping } from './c-names.ts';

export interface ParamModel {
  name: string;
  c_name: string;
  enum: string;
  type: string;
  c_type: string;
  description: string;
  unit: string;
  c_unit: string;
  has_min: 0 | 1;
  has_max: 0 | 1;
  min: number | null;
  max: number | null;
  c_min: string;
  c_max: string;
  max_length: number;
  required: 0 | 1;
  range_text: string;
  /** In-range, below and above values for the generated tests (null when unbounded). */
  c_ok: string;
  c_below: string | null;
  c_above: string | null;
  index: number;
  /** Settings (params of set_… commands): the storage key and the C statement that applies it. */
  key: string;
  setter: string;
}

export interface CommandModel {
  action: string;
  c_name: string;
  enum: string;
  description: string;
  handler: 'start' | 'stop' | 'setting' | 'stub';
  is_start: boolean;
  is_stop: boolean;
  is_setting: boolean;
  is_stub: boolean;
  /** What the scaffold's app does with it (README). */
  handler_text: string;
  params: ParamModel[];
  param_count: number;
  c_params: string;
  example_params: string;
  /** The done detail of a setting command: printf format and arguments. */
  detail_format: string;
  detail_args: string;
  index: number;
}

export interface SettingModel {
  name: string;
  c_name: string;
  key: string;
  type: string;
  is_number: boolean;
  is_bool: boolean;
  is_string: boolean;
  c_default: string;
  unit: string;
  param_index: number;
  command_c_name: string;
}

/** One generated case of the command parser's unit test. */
export interface CommandCase {
  fn: string;
  json: string;
  verdict: string;
  expect: string;
  /** For an accepted command: the checks on its parsed params (C statements). */
  checks: string[];
  enum: string;
}

export interface FirmwareModel {
  product: {
    code: string;
    name: string;
    c_name: string;
    category: string;
    version: string;
    firmware: string;
    role: string;
    heartbeat_interval_s: number;
    telemetry_interval_s: number;
    binary: string;
    cmake_project: string;
    c_name_upper: string;
  };
  metrics: Array<
    CatalogMetric & {
      c_name: string;
      enum: string;
      c_unit: string;
      c_min: string;
      c_max: string;
      c_description: string;
      c_comment: string;
      index: number;
      range_text: string;
      has_range: boolean;
    }
  >;
  /** Measured by the network for this product (ChirpStack's RSSI/SNR): not the firmware's. */
  network_metrics: CatalogMetric[];
  statuses: Array<{ name: string; enum: string; index: number }>;
  initial_status: string;
  running_status: string | null;
  stopped_status: string | null;
  commands: CommandModel[];
  has_commands: boolean;
  settings: SettingModel[];
  has_settings: boolean;
  /** The metrics of the encoder test's sample reading (metric i = i + 0.5), as a C string. */
  sample_metrics: string;
  command_cases: CommandCase[];
  test_now: number;
  /** A command this device accepts, as a C string (null when it takes none). */
  first_command_json: string | null;
  metric_count: number;
  status_count: number;
  command_count: number;
  max_params: number;
  string_max: number;
  mappings: CNameMapping[];
}

export class ScaffoldError extends Error {
  readonly exitCode = 2;
}

const upper = (s: string) => s.toUpperCase();

function paramModel(
  p: NonNullable<CatalogCommand['params']>[number],
  c_name: string,
  action: string,
  index: number,
): ParamModel {
  const numeric = p.type === 'number' || p.type === 'integer';
  const min = numeric ? (p.min ?? null) : null;
  const max = numeric ? (p.max ?? null) : null;
  const ok =
    p.type === 'boolean'
      ? 'true'
      : p.type === 'string'
        ? `"${'x'.repeat(Math.min(8, paramMaxLength(p)))}"`
        : cDouble(
            min !== null && max !== null
              ? p.type === 'integer'
                ? Math.round((min + max) / 2)
                : (min + max) / 2
              : (min ?? max ?? 1),
          );
  const step = p.type === 'integer' ? 1 : 0.5;
  return {
    name: p.name,
    c_name,
    enum: `FB_PARAM_${upper(action)}_${upper(c_name)}`,
    type: p.type,
    c_type: `FB_PARAM_${upper(p.type)}`,
    description: p.description ?? '',
    unit: p.unit ?? '',
    c_unit: cString(p.unit ?? ''),
    has_min: min !== null ? 1 : 0,
    has_max: max !== null ? 1 : 0,
    min,
    max,
    c_min: cDouble(min ?? 0),
    c_max: cDouble(max ?? 0),
    max_length: p.type === 'string' ? paramMaxLength(p) : 0,
    required: paramRequired(p) ? 1 : 0,
    range_text:
      p.type === 'string'
        ? `a string of at most ${paramMaxLength(p)} characters`
        : p.type === 'boolean'
          ? 'true or false'
          : paramRangeText({ min, max, unit: p.unit }),
    c_ok: ok,
    c_below: min !== null ? cDouble(min - step) : null,
    c_above: max !== null ? cDouble(max + step) : null,
    index,
    key: `s.${c_name}`.slice(0, 31),
    setter:
      p.type === 'string'
        ? `strncpy(settings.${c_name}, v->text, sizeof settings.${c_name} - 1);`
        : p.type === 'boolean'
          ? `settings.${c_name} = v->number != 0;`
          : `settings.${c_name} = v->number;`,
  };
}

function settingDefault(p: ParamModel): string {
  if (p.type === 'boolean') return '0';
  if (p.type === 'string') return '""';
  if (p.min !== null && p.max !== null)
    return cDouble(p.type === 'integer' ? Math.round((p.min + p.max) / 2) : (p.min + p.max) / 2);
  return cDouble(p.min ?? p.max ?? 0);
}

/** The product and version asked for; the error lists what there is. */
function productVersion(products: readonly ProductFrontmatter[], code: string, version?: string) {
  const product = products.find((p) => p.product_code === code);
  if (!product) {
    throw new ScaffoldError(
      `unknown product ${code}: expected one of ${
        products
          .map((p) => p.product_code)
          .sort()
          .join(', ') || '(the catalog is empty)'
      }`,
    );
  }
  const versions = product.versions.map((v) => v.version);
  const wanted = version ?? [...versions].sort(semver.compare).at(-1)!;
  const v = product.versions.find((x) => x.version === wanted);
  if (!v) throw new ScaffoldError(`${code} has no version ${wanted}: expected one of ${versions.join(', ')}`);
  return { product, v, wanted };
}

/** One command of the product, with its params and what the scaffold's app does with it. */
function commandModel(
  c: CatalogCommand,
  index: number,
  c_name: string,
  statuses: readonly string[],
  mappings: CNameMapping[],
): CommandModel {
  const paramC = cNames(
    'param',
    (c.params ?? []).map((p) => p.name),
    mappings,
  );
  const params = (c.params ?? []).map((p, i) => paramModel(p, paramC[i]!, c_name, i));
  const handler: CommandModel['handler'] =
    c.action === 'start' && statuses.includes('running')
      ? 'start'
      : c.action === 'stop' && statuses.includes('stopped')
        ? 'stop'
        : c.action.startsWith('set_') && params.length > 0
          ? 'setting'
          : 'stub';
  const example = Object.fromEntries(
    params.map((p) => [p.name, p.type === 'boolean' ? true : p.type === 'string' ? 'x' : Number(p.c_ok)]),
  );
  return {
    action: c.action,
    c_name,
    enum: `FB_CMD_${upper(c_name)}`,
    description: c.description,
    handler,
    is_start: handler === 'start',
    is_stop: handler === 'stop',
    is_setting: handler === 'setting',
    is_stub: handler === 'stub',
    handler_text: {
      start: 'status `running` (add the trip-input check)',
      stop: 'status `stopped`',
      setting: 'saves the value and reports it in `state`',
      stub: 'refused (`failed`) until you implement it',
    }[handler],
    params,
    param_count: params.length,
    c_params: params.length ? `params_${c_name}` : 'NULL',
    example_params: JSON.stringify(example),
    detail_format: cString(
      `set ${params.map((p) => `${p.name} ${p.type === 'string' ? '%s' : p.type === 'boolean' ? '%d' : '%g'}${p.unit ? ` ${p.unit.replace(/%/g, '%%')}` : ''}`).join(', ')}`,
    ),
    detail_args: params.map((p) => `, settings.${p.c_name}`).join(''),
    index,
  };
}

function metricModels(measured: readonly CatalogMetric[], metricC: readonly string[]): FirmwareModel['metrics'] {
  return measured.map((m, index) => ({
    ...m,
    c_name: metricC[index]!,
    enum: `FB_METRIC_${upper(metricC[index]!)}`,
    c_unit: cString(m.unit),
    c_min: cDouble(m.min ?? 0),
    c_max: cDouble(m.max ?? (m.min ?? 0) + 100),
    c_description: cString(m.description),
    c_comment: m.description.replace(/\*\//g, '* /').replace(/\.$/, ''),
    index,
    range_text: paramRangeText(m),
    has_range: m.min !== undefined || m.max !== undefined,
  }));
}

/** The product version to scaffold, checked; the error lists what there is. */
export function firmwareModel(products: readonly ProductFrontmatter[], code: string, version?: string): FirmwareModel {
  const { product, v, wanted } = productVersion(products, code, version);

  const all = (product.metrics ?? []).filter((m) => sinceReached(m.since, wanted));
  const measured = all.filter((m) => (m.source ?? 'device') === 'device');
  if (measured.length === 0) {
    throw new ScaffoldError(
      `${code} ${wanted} declares no metric its device measures: add \`metrics\` (name, unit, description, range) to docs/products/${code}/index.mdx`,
    );
  }
  const commands = (product.commands ?? []).filter((c) => sinceReached(c.since, wanted));
  const statuses = product.statuses ?? ['ok'];

  // The order of the cNames calls decides the mappings' order (the CLI prints them): metrics, actions, params.
  const mappings: CNameMapping[] = [];
  const metricC = cNames(
    'metric',
    measured.map((m) => m.name),
    mappings,
  );
  const actionC = cNames(
    'action',
    commands.map((c) => c.action),
    mappings,
  );
  const commandModels = commands.map((c, index) => commandModel(c, index, actionC[index]!, statuses, mappings));
  const settings = settingsOf(commandModels);

  const statusEnum = (s: string) => `FB_STATUS_${upper(s)}`;
  const c_name = code.replace(/[^a-z0-9]/g, '_');
  return {
    product: {
      code,
      name: product.name,
      c_name,
      c_name_upper: upper(c_name),
      category: product.category,
      version: wanted,
      firmware: v.firmware_baseline ?? wanted,
      role: product.role ?? 'sensor',
      heartbeat_interval_s: product.heartbeat_interval_s ?? 60,
      telemetry_interval_s: product.heartbeat_interval_s ?? 60,
      binary: `${code}-device`,
      cmake_project: `${c_name}_firmware`,
    },
    metrics: metricModels(measured, metricC),
    network_metrics: all.filter((m) => m.source === 'network'),
    statuses: statuses.map((name, index) => ({ name, enum: statusEnum(name), index })),
    initial_status: statusEnum(statuses.includes('stopped') ? 'stopped' : statuses[0]!),
    running_status: statuses.includes('running') ? statusEnum('running') : null,
    stopped_status: statuses.includes('stopped') ? statusEnum('stopped') : null,
    commands: commandModels,
    has_commands: commandModels.length > 0,
    settings,
    has_settings: settings.length > 0,
    sample_metrics: cString(measured.map((m, i) => `"${m.name}":${i + 0.5}`).join(',')),
    command_cases: commandCases(commandModels),
    test_now: TEST_NOW,
    first_command_json: commandModels[0]
      ? cString(
          commandJson('cmd_first', commandModels[0].action, JSON.parse(commandModels[0].example_params), TEST_NOW + 60),
        )
      : null,
    metric_count: measured.length,
    status_count: statuses.length,
    command_count: commandModels.length,
    max_params: Math.max(1, ...commandModels.map((c) => c.param_count)),
    string_max: Math.max(1, ...commandModels.flatMap((c) => c.params.map((p) => p.max_length))) + 1,
    mappings,
  };
}

/** The clock of the generated command tests (epoch seconds). */
export const TEST_NOW = 1795000000;

function commandJson(
  id: string | null,
  action: string,
  params: Record<string, unknown>,
  expires: number | null,
): string {
  return JSON.stringify({
    ...(id ? { cmd_id: id } : {}),
    action,
    params,
    ...(expires !== null ? { expires_at: expires } : {}),
  });
}

type AddCase = (fn: string, json: string, verdict: string, expect: string, checks?: string[], en?: string) => void;

/** The parser's generated test cases: the contract's refusals, then each command and param of the product. */
export function commandCases(commands: readonly CommandModel[]): CommandCase[] {
  const cases: CommandCase[] = [];
  const add: AddCase = (fn, json, verdict, expect, checks = [], en = '-1') =>
    cases.push({ fn: `test_${fn}`, json: cString(json), verdict, expect: cString(expect), checks, enum: en });
  contractCases(add, commands[0]);
  for (const c of commands) {
    const ok = JSON.parse(c.example_params) as Record<string, unknown>;
    commandCasesOf(add, c, ok);
    for (const p of c.params) paramCases(add, c, p, ok);
  }
  return cases;
}

/** What the contract refuses whatever the product: expired, unknown, no or a bad cmd_id, not JSON, no expiry. */
function contractCases(add: AddCase, first: CommandModel | undefined): void {
  const firstParams = first ? JSON.parse(first.example_params) : {};
  const action = first?.action ?? 'start';
  add(
    'refuses_an_expired_command',
    commandJson('cmd_expired', action, firstParams, TEST_NOW - 1),
    'FB_CMD_EXPIRED',
    'expired at',
  );
  add(
    'refuses_an_unknown_action',
    commandJson('cmd_unknown', 'fly_to_the_moon', {}, TEST_NOW + 60),
    'FB_CMD_UNKNOWN_ACTION',
    'unknown action fly_to_the_moon',
  );
  add(
    'cannot_answer_without_a_cmd_id',
    commandJson(null, action, firstParams, TEST_NOW + 60),
    'FB_CMD_NO_ID',
    'no usable cmd_id',
  );
  add(
    'cannot_answer_a_malformed_cmd_id',
    commandJson('command-7', action, firstParams, TEST_NOW + 60),
    'FB_CMD_NO_ID',
    'no usable cmd_id',
  );
  add('cannot_answer_what_is_not_json', '{"cmd_id":"cmd_x","action":', 'FB_CMD_NO_ID', 'not a JSON object');
  add(
    'refuses_a_command_without_expiry',
    commandJson('cmd_noexpiry', action, firstParams, null),
    'FB_CMD_INVALID',
    'expires_at missing',
  );
}

/** A command with its example params is accepted (each param parsed); with an extra param it is refused. */
function commandCasesOf(add: AddCase, c: CommandModel, ok: Record<string, unknown>): void {
  const checks = c.params.map((p) =>
    p.type === 'string'
      ? `assert_string_equal(cmd.params[${p.enum}].text, ${JSON.stringify(ok[p.name])});`
      : p.type === 'boolean'
        ? `assert_true(cmd.params[${p.enum}].number == 1.0);`
        : `assert_true(fabs(cmd.params[${p.enum}].number - (${p.c_ok})) < 1e-9);`,
  );
  add(
    `accepts_${c.c_name}`,
    commandJson(`cmd_${c.c_name}`, c.action, ok, TEST_NOW),
    'FB_CMD_OK',
    '',
    [...c.params.map((p) => `assert_true(cmd.params[${p.enum}].present);`), ...checks],
    c.enum,
  );
  add(
    `refuses_${c.c_name}_with_an_unexpected_param`,
    commandJson('cmd_extra', c.action, { ...ok, bogus_param: 1 }, TEST_NOW + 60),
    'FB_CMD_BAD_PARAM',
    'unexpected param bogus_param',
    [],
    c.enum,
  );
}

/** A param missing, out of its range or of the wrong type is refused. */
function paramCases(add: AddCase, c: CommandModel, p: ParamModel, ok: Record<string, unknown>): void {
  const without = Object.fromEntries(Object.entries(ok).filter(([k]) => k !== p.name));
  const fn = `${c.c_name}_${p.c_name}`;
  if (p.required)
    add(
      `refuses_${fn}_missing`,
      commandJson('cmd_missing', c.action, without, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      `missing param ${p.name}`,
      [],
      c.enum,
    );
  if (p.c_below !== null)
    add(
      `refuses_${fn}_below_its_range`,
      commandJson('cmd_below', c.action, { ...ok, [p.name]: Number(p.c_below) }, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      `${p.name} ${Number(p.c_below)} is out of range`,
      [],
      c.enum,
    );
  if (p.c_above !== null)
    add(
      `refuses_${fn}_above_its_range`,
      commandJson('cmd_above', c.action, { ...ok, [p.name]: Number(p.c_above) }, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      `${p.name} ${Number(p.c_above)} is out of range`,
      [],
      c.enum,
    );
  if (p.type === 'number' || p.type === 'integer')
    add(
      `refuses_${fn}_as_text`,
      commandJson('cmd_text', c.action, { ...ok, [p.name]: '3' }, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      'expected a number',
      [],
      c.enum,
    );
  if (p.type === 'integer')
    add(
      `refuses_${fn}_with_a_fraction`,
      commandJson('cmd_frac', c.action, { ...ok, [p.name]: Number(p.c_ok) + 0.5 }, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      'whole number',
      [],
      c.enum,
    );
  if (p.type === 'string')
    add(
      `refuses_${fn}_too_long`,
      commandJson('cmd_long', c.action, { ...ok, [p.name]: 'x'.repeat(p.max_length + 1) }, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      `at most ${p.max_length} characters`,
      [],
      c.enum,
    );
  if (p.type === 'boolean')
    add(
      `refuses_${fn}_as_a_number`,
      commandJson('cmd_bool', c.action, { ...ok, [p.name]: 1 }, TEST_NOW + 60),
      'FB_CMD_BAD_PARAM',
      'expected true or false',
      [],
      c.enum,
    );
}

/** The settings a device keeps: the parameters of its `set_…` commands. */
function settingsOf(commands: CommandModel[]): SettingModel[] {
  return commands
    .filter((c) => c.is_setting)
    .flatMap((c) =>
      c.params.map((p) => ({
        name: p.name,
        c_name: p.c_name,
        key: p.key,
        type: p.type,
        is_number: p.type === 'number' || p.type === 'integer',
        is_bool: p.type === 'boolean',
        is_string: p.type === 'string',
        c_default: settingDefault(p),
        unit: p.unit,
        param_index: p.index,
        command_c_name: c.c_name,
      })),
    );
}
