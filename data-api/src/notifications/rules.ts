// Rules as code: reads notifications/{rules,policies,contact-points}.yaml, validates each
// against its ONE schema (contracts/) and against the rest of the repository (metrics of the
// product catalog, runbooks, contact point names), and reports every problem at its
// file:line:column with a rule id, like `fleetbook lint`. The API refuses to start on an error.
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type * as z from 'zod';
import {
  contactPointsFileSchema,
  type ContactPoint,
  type ContactPointsFile,
} from '../contracts/notification-channels.ts';
import { policiesFileSchema, type PoliciesFile, type Route } from '../contracts/notification-policies.ts';
import { parseMatcher, matcherTest } from '../contracts/notification-policies.ts';
import {
  alertRuleSchema,
  BUILTIN_DEVICE_DOWN,
  checkJsonLogic,
  rulesFileSchema,
  WHEN_ROOTS,
  type AlertRule,
  type RulesFile,
} from '../contracts/notification-rules.ts';
import { safeParseNotingKeys, unknownKeyHint } from '../contracts/unknown-keys.ts';
import { formatPath } from '../kernel/errors/index.ts';
import { leftOutReason, type LeftOutPage } from '../registry/left-out.ts';
import type { ProductCatalog } from '../registry/products.ts';
import { locate } from '../kernel/validation/yaml-locate.ts';

export const RULE_FILES = {
  rules: 'rules.yaml',
  policies: 'policies.yaml',
  contactPoints: 'contact-points.yaml',
} as const;

export type DiagnosticRule =
  | 'notifications/yaml'
  | 'notifications/schema'
  | 'notifications/unknown-field'
  | 'notifications/duplicate-id'
  | 'notifications/unknown-metric'
  | 'notifications/unknown-product'
  | 'notifications/product-in-error'
  | 'notifications/unknown-runbook'
  | 'notifications/unknown-contact-point'
  | 'notifications/unknown-escalation'
  | 'notifications/bad-jsonlogic'
  | 'notifications/inline-secret'
  | 'notifications/route-matches-nothing'
  | 'notifications/missing-file';

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  message: string;
  rule: DiagnosticRule;
}

/** What the files are checked against: the repository's products and runbooks. */
export interface RuleCatalog {
  /** product_code → its metric names (docs/products). */
  products: Map<string, Set<string>>;
  /**
   * product_code → its page, for the pages left out for their errors: a rule naming one is kept
   * (its product keeps its last good load) with a warning that names the page, not refused.
   */
  leftOut: Map<string, LeftOutPage>;
  /** runbook id → its page URL. */
  runbooks: Map<string, string>;
}

export interface NotificationConfig {
  dir: string;
  rules: RulesFile;
  policies: PoliciesFile;
  contactPoints: Map<string, ContactPoint>;
  catalog: RuleCatalog;
  /** Contact points routed to but never told, and why (the demo's without their secrets). */
  untold?: ReadonlyMap<string, string>;
}

export type LoadedConfig =
  { ok: true; config: NotificationConfig; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}  ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}  ${d.rule}`;
}

export interface ParsedFile {
  file: string;
  doc: Document | null;
  raw: unknown;
  pos: (offset: number) => { line: number; column: number };
}

function readYaml(dir: string, name: string, display: string, out: Diagnostic[]): ParsedFile | null {
  const full = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    out.push({
      file: display,
      line: 1,
      column: 1,
      severity: 'error',
      rule: 'notifications/missing-file',
      message: missing
        ? `Missing ${name}, expected it beside the other notification files`
        : `Cannot read ${name}: ${(err as Error).message}`,
    });
    return null;
  }
  return parseYaml(text, display, out);
}

/** A notification file's text as YAML, positions kept; its syntax errors go to `out`. */
export function parseYaml(text: string, display: string, out: Diagnostic[]): ParsedFile | null {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length) {
    for (const e of doc.errors) {
      out.push({
        file: display,
        ...pos(e.pos[0]),
        severity: 'error',
        rule: 'notifications/yaml',
        message: `Unexpected YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      });
    }
    return null;
  }
  return { file: display, doc, raw: doc.toJS({ maxAliasCount: 100 }) ?? {}, pos };
}

/** Offset of the VALUE a path names (for messages about a value, e.g. an unknown metric). */
function locateValue(doc: Document, at: ReadonlyArray<PropertyKey>): number {
  const node = doc.getIn(at as unknown[], true) as YamlNode | undefined;
  return node && typeof node === 'object' && 'range' in node && node.range ? node.range[0] : locate(doc, at);
}

class Reporter {
  constructor(
    private readonly f: ParsedFile,
    private readonly out: Diagnostic[],
  ) {}

  at(
    at: ReadonlyArray<PropertyKey>,
    rule: DiagnosticRule,
    message: string,
    options: { value?: boolean; warning?: boolean; related?: ReadonlyArray<PropertyKey> } = {},
  ): void {
    const doc = this.f.doc!;
    let text = message;
    if (options.related) {
      const first = this.f.pos(locate(doc, options.related));
      text += ` (first at ${first.line}:${first.column})`;
    }
    const offset = options.value ? locateValue(doc, at) : locate(doc, at);
    this.out.push({
      file: this.f.file,
      ...this.f.pos(offset),
      severity: options.warning ? 'warning' : 'error',
      rule,
      message: text,
    });
  }

  /** zod's issues, one diagnostic each, at the key they are about. */
  zod(
    error: Pick<z.ZodError, 'issues'>,
    classify: (issue: z.core.$ZodIssue) => DiagnosticRule = () => 'notifications/schema',
    base: PropertyKey[] = [],
  ): void {
    for (const issue of error.issues) this.issue(issue, base, classify);
  }

  private issue(
    issue: z.core.$ZodIssue,
    base: PropertyKey[],
    classify: (issue: z.core.$ZodIssue) => DiagnosticRule,
  ): void {
    const at = [...base, ...issue.path];
    if (
      issue.code === 'invalid_union' &&
      'errors' in issue &&
      issue.errors.length &&
      !issue.message.startsWith('expected kind')
    ) {
      // A union of object shapes: report the branch that got furthest (the most specific path).
      const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      for (const sub of best) this.issue(sub, at, classify);
      return;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        this.at(
          [...at, key],
          'notifications/unknown-field',
          `Unexpected field "${key}" in ${formatPath(at) || 'the file'}, expected only the fields of the contract${unknownKeyHint(issue, key)}`,
        );
      return;
    }
    if (issue.code === 'invalid_value' && issue.values.length > 1) {
      const given = valueAt(this.f.raw, at);
      const shown = typeof given === 'string' || typeof given === 'number' ? ` "${given}"` : '';
      this.at(
        at,
        'notifications/schema',
        `Unexpected value${shown} for ${formatPath(at)}, expected one of ${issue.values.join(', ')}`,
        { value: true },
      );
      return;
    }
    const params = (issue as { params?: { rule?: string; related?: PropertyKey[] } }).params;
    const rule = (params?.rule ? `notifications/${params.rule}` : classify(issue)) as DiagnosticRule;
    const where = at.length ? `${formatPath(at)}: ` : '';
    const parent = formatPath(at.slice(0, -1));
    const message =
      issue.message.startsWith('Unexpected') || issue.message.startsWith('Missing')
        ? issue.message
        : // "url is a secret …" at contact_points[0].config.url: the field's path once, not twice.
          parent && issue.message.startsWith(`${String(at.at(-1))} `)
          ? `${parent}.${issue.message}`
          : `${where}${issue.message}`;
    this.at(
      at,
      rule,
      issue.input === undefined && issue.code === 'invalid_type'
        ? `Missing field ${formatPath(at)}, ${issue.message}`
        : message,
      params?.related ? { related: params.related } : {},
    );
  }
}

function valueAt(raw: unknown, at: ReadonlyArray<PropertyKey>): unknown {
  let v = raw;
  for (const seg of at) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  return v;
}

const depth = (issues: z.core.$ZodIssue[]) => Math.max(0, ...issues.map((i) => i.path.length));

/**
 * Reads the product catalog's metrics and the runbook catalog of a repository; `catalog` is the
 * product catalog when the caller has read it already (the start: the same read, judged once).
 */
export async function readRuleCatalog(root: string, read?: ProductCatalog): Promise<RuleCatalog> {
  const { readProductCatalog } = await import('../registry/products.ts');
  const { RunbookCatalog } = await import('../runbooks/catalog.ts');
  const catalog = read ?? readProductCatalog(path.join(root, 'docs', 'products'), root);
  const products = new Map<string, Set<string>>();
  for (const p of catalog.products) products.set(p.product_code, new Set((p.metrics ?? []).map((m) => m.name)));
  const leftOut = new Map<string, LeftOutPage>();
  for (const page of catalog.leftOut)
    if (!products.has(page.product_code) && !leftOut.has(page.product_code)) leftOut.set(page.product_code, page);
  const runbooks = new Map<string, string>();
  for (const r of new RunbookCatalog(root).list()) runbooks.set(r.id, r.url);
  return { products, leftOut, runbooks };
}

/**
 * Loads and checks the three files of `dir`. Paths in diagnostics are shown relative to
 * `displayRoot` (the repository), as `fleetbook lint` does.
 */
export function loadNotificationConfig(dir: string, catalog: RuleCatalog, displayRoot = process.cwd()): LoadedConfig {
  const out: Diagnostic[] = [];
  const display = (name: string) => path.relative(displayRoot, path.join(dir, name)).split(path.sep).join('/');
  const rulesFile = readYaml(dir, RULE_FILES.rules, display(RULE_FILES.rules), out);
  const policiesFile = readYaml(dir, RULE_FILES.policies, display(RULE_FILES.policies), out);
  const pointsFile = readYaml(dir, RULE_FILES.contactPoints, display(RULE_FILES.contactPoints), out);

  const points = pointsFile && checkContactPoints(pointsFile, out);
  const pointNames = new Set(points?.contact_points.map((p) => p.name) ?? rawNames(pointsFile?.raw));

  let rules: RulesFile | null = null;
  if (rulesFile) rules = validateRules(rulesFile, catalog, new Reporter(rulesFile, out));

  let policies: PoliciesFile | null = null;
  if (policiesFile) {
    const r = new Reporter(policiesFile, out);
    const parsed = safeParseNotingKeys(policiesFileSchema, policiesFile.raw);
    if (parsed.success) {
      policies = parsed.data;
      if (rules) checkRoutesReachable(policies.route, rules.rules, ['route'], r);
    } else {
      r.zod(parsed.error);
    }
    // Names are checked on the raw tree: a typo in a receiver is reported even beside a schema error.
    checkContactPointNames(policiesFile.raw, pointNames, r);
  }

  const diagnostics = out.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column,
  );
  if (diagnostics.some((d) => d.severity === 'error') || !rules || !policies || !points)
    return { ok: false, diagnostics };
  return {
    ok: true,
    diagnostics,
    config: { dir, rules, policies, contactPoints: new Map(points.contact_points.map((p) => [p.name, p])), catalog },
  };
}

/** The contact points file against its schema (`fleetbook notify test` checks it alone too). */
export function checkContactPoints(pointsFile: ParsedFile, out: Diagnostic[]): ContactPointsFile | null {
  const r = new Reporter(pointsFile, out);
  const parsed = safeParseNotingKeys(contactPointsFileSchema, pointsFile.raw);
  const reported = new Set<string>();
  const isSecret = (i: z.core.$ZodIssue) => i.message.includes('must not be written inline');
  if (!parsed.success) {
    r.zod(parsed.error, (i) => (isSecret(i) ? 'notifications/inline-secret' : 'notifications/schema'));
    for (const i of parsed.error.issues) if (isSecret(i)) reported.add(formatPath(i.path));
  }
  // A secret slipped into a field the schema does not know is still in a committed file.
  scanInlineSecrets(pointsFile.raw, ['contact_points'], r, reported);
  return parsed.success ? parsed.data : null;
}

function rawNames(raw: unknown): string[] {
  const list = (raw as { contact_points?: unknown })?.contact_points;
  return Array.isArray(list)
    ? list.map((p) => (p as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string')
    : [];
}

const SECRET_KEY =
  /(^|[_-])(password|passwd|secret|token|api_?key|apikey|private_?key|access_?key|client_?secret|credentials?|bearer|authorization)$/i;
const SECRET_VALUE: Array<[RegExp, string]> = [
  [/^https:\/\/hooks\.slack\.com\/(services|workflows)\//, 'a Slack webhook URL (the URL is the credential)'],
  [/^xox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/^EAA[A-Za-z0-9]{20,}/, 'a Meta (WhatsApp) access token'],
  [/^Bearer\s+\S{8,}/i, 'a bearer token'],
];

/** Every string of the contact points that is, or sits in a field meant for, a secret given inline. */
function scanInlineSecrets(raw: unknown, base: PropertyKey[], r: Reporter, reported: Set<string>): void {
  const list = (raw as { contact_points?: unknown })?.contact_points;
  if (!Array.isArray(list)) return;
  const walk = (v: unknown, at: PropertyKey[], secretKey: boolean) => {
    if (Array.isArray(v)) return v.forEach((item, i) => walk(item, [...at, i], secretKey));
    if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>))
        walk(child, [...at, k], SECRET_KEY.test(k));
      return;
    }
    if (typeof v !== 'string' || v.startsWith('env:') || reported.has(formatPath(at))) return;
    const known = SECRET_VALUE.find(([re]) => re.test(v));
    // Fields the contact point schema knows report their own inline secrets; only look further.
    if (known)
      r.at(
        at,
        'notifications/inline-secret',
        `Unexpected inline secret in ${formatPath(at)} (looks like ${known[1]}), expected env:NAME`,
        { value: true },
      );
    else if (secretKey && !isKnownSecretField(at))
      r.at(at, 'notifications/inline-secret', `Unexpected inline secret in ${formatPath(at)}, expected env:NAME`, {
        value: true,
      });
  };
  list.forEach((p, i) => walk(p, [...base, i], false));
}

/** Secret fields of the contact point schema: it reports them itself (no double report). */
function isKnownSecretField(at: PropertyKey[]): boolean {
  const key = String(at[at.length - 1]);
  return at.length === 4 && at[2] === 'config' && ['hmac_secret', 'bearer_token', 'password', 'token'].includes(key);
}

/* ------------------------------------------------------------------ cross-file checks */

/**
 * The rules file, rule by rule: a bad rule is reported without hiding the problems of the
 * others, and the cross-file checks run on every rule that passes the schema.
 */
function validateRules(f: ParsedFile, catalog: RuleCatalog, r: Reporter): RulesFile | null {
  const shape = safeParseNotingKeys(rulesFileSchema, f.raw);
  if (shape.success) {
    checkRules(
      shape.data.rules.map((rule, i) => [i, rule]),
      catalog,
      r,
    );
    return shape.data;
  }
  const list = (f.raw as { rules?: unknown })?.rules;
  if (!Array.isArray(list)) {
    r.zod(shape.error);
    return null;
  }
  // The file-level issues that are not about one rule (unknown top-level fields…).
  const fileLevel = shape.error.issues.filter((i) => i.path[0] !== 'rules' || i.path.length === 1);
  if (fileLevel.length) r.zod({ issues: fileLevel });
  const valid: Array<[number, AlertRule]> = list.flatMap((raw, i) => {
    const parsed = safeParseNotingKeys(alertRuleSchema, raw);
    if (parsed.success && parsed.data.when && typeof parsed.data.when !== 'boolean') {
      for (const p of checkJsonLogic(parsed.data.when, WHEN_ROOTS[parsed.data.kind], ['rules', i, 'when']))
        r.at(p.path, 'notifications/bad-jsonlogic', p.message);
    }
    return parsed.success ? [[i, parsed.data] as [number, AlertRule]] : [];
  });
  const seen = new Map<string, number>();
  list.forEach((raw, i) => {
    const id = (raw as { id?: unknown })?.id;
    if (typeof id === 'string') {
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else
        r.at(
          ['rules', i, 'id'],
          'notifications/duplicate-id',
          `Unexpected duplicate rule id ${id}, expected unique ids`,
          { related: ['rules', first, 'id'] },
        );
    }
    const parsed = safeParseNotingKeys(alertRuleSchema, raw);
    if (parsed.success) return;
    // Reported without the schema's own rule-level refinements, which did not run: the
    // JSONLogic, metric, product and runbook checks on what the rule says.
    r.zod(
      {
        issues: parsed.error.issues.filter(
          (x) => (x as { params?: { rule?: string } }).params?.rule !== 'bad-jsonlogic',
        ),
      },
      undefined,
      ['rules', i],
    );
    const rule = (raw ?? {}) as Partial<AlertRule>;
    if (rule.when && typeof rule.when === 'object' && typeof rule.kind === 'string' && rule.kind in WHEN_ROOTS) {
      for (const p of checkJsonLogic(rule.when, WHEN_ROOTS[rule.kind], ['rules', i, 'when']))
        r.at(p.path, 'notifications/bad-jsonlogic', p.message);
    }
    valid.push([i, rule as AlertRule]);
  });
  checkRules(valid, catalog, r);
  return null;
}

function checkRules(rules: Array<[number, AlertRule]>, catalog: RuleCatalog, r: Reporter): void {
  const knownProducts = [...catalog.products.keys()];
  rules.forEach(([i, rule]) => {
    const at = ['rules', i];
    if (rule.id === BUILTIN_DEVICE_DOWN && !(rule.kind === 'state' && rule.event === 'device_down')) {
      r.at(
        [...at, 'id'],
        'notifications/duplicate-id',
        `Unexpected rule id ${BUILTIN_DEVICE_DOWN}: it is the built-in heartbeat rule, expected another id`,
      );
    }
    const products = Array.isArray(rule.select?.products)
      ? rule.select.products.filter((c) => typeof c === 'string')
      : [];
    products.forEach((code, j) => {
      const page = catalog.leftOut.get(code);
      if (page) {
        r.at(
          [...at, 'select', 'products', j],
          'notifications/product-in-error',
          `Unchecked product "${code}" (and the rule's metric for it), the rule is kept: ${leftOutReason(page)}`,
          { value: true, warning: true },
        );
      } else if (!catalog.products.has(code)) {
        r.at(
          [...at, 'select', 'products', j],
          'notifications/unknown-product',
          `Unexpected product "${code}", expected one of docs/products: ${knownProducts.join(', ')}`,
          { value: true },
        );
      }
    });
    if ((rule.kind === 'threshold' || rule.kind === 'no_data') && typeof rule.metric === 'string') {
      const scope = products.filter((c) => catalog.products.has(c));
      const owners = (scope.length ? scope : knownProducts).filter((c) => catalog.products.get(c)!.has(rule.metric!));
      // A page left out may declare it: the rule is kept, the page named (once: a rule that
      // selects its product has the warning on select.products, its metric unchecked).
      const selectsLeftOut = products.some((c) => catalog.leftOut.has(c));
      if (!owners.length && !selectsLeftOut && !products.length && catalog.leftOut.size) {
        r.at(
          [...at, 'metric'],
          'notifications/product-in-error',
          `Unchecked metric "${rule.metric}", the rule is kept: no valid page declares it, and ${[...catalog.leftOut.values()].map(leftOutReason).join('; ')}`,
          { value: true, warning: true },
        );
      } else if (!owners.length && !selectsLeftOut) {
        const names = [
          ...new Set((scope.length ? scope : knownProducts).flatMap((c) => [...catalog.products.get(c)!])),
        ].sort();
        const of = scope.length ? ` of ${scope.join(', ')}` : ' of any product';
        r.at(
          [...at, 'metric'],
          'notifications/unknown-metric',
          `Unexpected metric "${rule.metric}", expected a metric${of} (docs/products): ${names.join(', ')}`,
          { value: true },
        );
      }
    }
    if (typeof rule.runbook === 'string' && !catalog.runbooks.has(rule.runbook)) {
      r.at(
        [...at, 'runbook'],
        'notifications/unknown-runbook',
        `Unexpected runbook "${rule.runbook}", expected the id of a runbook (runbooks/): ${[...catalog.runbooks.keys()].sort().join(', ')}`,
        { value: true },
      );
    }
  });
}

/** Every contact point the policies name (receivers, escalation steps, rate limits) exists. */
function checkContactPointNames(raw: unknown, points: Set<string>, r: Reporter): void {
  const known = [...points].sort().join(', ') || '(none declared)';
  const point = (name: unknown, at: PropertyKey[]) => {
    if (typeof name === 'string' && !points.has(name)) {
      r.at(
        at,
        'notifications/unknown-contact-point',
        `Unexpected contact point "${name}", expected one of contact-points.yaml: ${known}`,
        { value: true },
      );
    }
  };
  const obj = (v: unknown) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});
  const walk = (route: unknown, at: PropertyKey[]) => {
    point(obj(route).receiver, [...at, 'receiver']);
    const children = obj(route).routes;
    if (Array.isArray(children)) children.forEach((child, i) => walk(child, [...at, 'routes', i]));
  };
  const file = obj(raw);
  walk(file.route, ['route']);
  const escalations = Array.isArray(file.escalations) ? file.escalations : [];
  escalations.forEach((e, i) => {
    const steps = obj(e).steps;
    if (!Array.isArray(steps)) return;
    steps.forEach((step, j) => {
      const cps = obj(step).contact_points;
      if (Array.isArray(cps)) cps.forEach((cp, k) => point(cp, ['escalations', i, 'steps', j, 'contact_points', k]));
    });
  });
  for (const name of Object.keys(obj(obj(file.delivery).rate_limits))) point(name, ['delivery', 'rate_limits', name]);
}

/**
 * A route none of the rules can reach is a typo or a stale policy (Alertmanager would route
 * nothing there, silently): a warning. Labels a rule fixes (alertname, severity, kind and its
 * own labels; absent ones are empty) are judged; a matcher on a label that comes from the
 * subject (site, customer…) is assumed satisfiable.
 */
function checkRoutesReachable(route: Route, rules: AlertRule[], at: PropertyKey[], r: Reporter): void {
  route.routes?.forEach((child, i) => {
    const childAt = [...at, 'routes', i];
    const matchers = (child.matchers ?? []).map((m) => parseMatcher(m)).filter((m) => typeof m !== 'string');
    const staticMatchers = matchers.filter((m) => !DEVICE_LABELS.has(m.name));
    const reaches = (labels: Record<string, string>) => staticMatchers.every((m) => matcherTest(m)(labels));
    const candidates = [...rules.map(staticLabels), BUILTIN_LABELS.gateway, BUILTIN_LABELS.other];
    if (staticMatchers.length && !candidates.some(reaches)) {
      r.at(
        [...childAt, 'matchers'],
        'notifications/route-matches-nothing',
        `Unexpected route: no rule of rules.yaml produces alerts it matches (${(child.matchers ?? []).join(', ')}), expected matchers that some rule's alertname, severity or labels satisfy`,
        { warning: true },
      );
    }
    checkRoutesReachable(child, rules, childAt, r);
  });
}

/** Labels an alert takes from its subject (see notifications/labels.ts): any value is possible. */
const DEVICE_LABELS = new Set([
  'customer',
  'site',
  'deployment',
  'device',
  'product',
  'product_version',
  'role',
  'subject',
  'subject_type',
  'rule',
  'tags',
]);
const BUILTIN_LABELS = {
  gateway: { alertname: BUILTIN_DEVICE_DOWN, severity: 'critical', kind: 'state' },
  other: { alertname: BUILTIN_DEVICE_DOWN, severity: 'warning', kind: 'state' },
};
function staticLabels(rule: AlertRule): Record<string, string> {
  return {
    ...rule.labels,
    alertname: rule.kind === 'state' && rule.event === 'device_down' ? BUILTIN_DEVICE_DOWN : rule.id,
    severity: rule.severity,
    kind: rule.kind,
  };
}
