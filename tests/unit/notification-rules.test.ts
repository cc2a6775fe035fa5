import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMatcher, policiesFileSchema } from '../../data-api/src/contracts/notification-policies.ts';
import { formatDuration, parseDuration, rulesFileSchema } from '../../data-api/src/contracts/notification-rules.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import {
  formatDiagnostic,
  loadNotificationConfig,
  readRuleCatalog,
  type RuleCatalog,
} from '../../data-api/src/notifications/rules.ts';

// Issue 14 "Rules as code": each bad input is reported at its file:line:column with a rule id,
// and the valid rules around it are still checked.
const REPO_FILES = path.join(PROJECT_ROOT, 'notifications');
let catalog: RuleCatalog;
const dirs: string[] = [];

/** The repository's three files, with some replaced. */
function filesWith(replace: Partial<Record<'rules.yaml' | 'policies.yaml' | 'contact-points.yaml', string>>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-rules-'));
  dirs.push(dir);
  for (const name of ['rules.yaml', 'policies.yaml', 'contact-points.yaml'] as const) {
    fs.writeFileSync(path.join(dir, name), replace[name] ?? fs.readFileSync(path.join(REPO_FILES, name), 'utf8'));
  }
  return dir;
}

const lines = (dir: string) => {
  const loaded = loadNotificationConfig(dir, catalog, dir);
  return { ok: loaded.ok, lines: loaded.diagnostics.map(formatDiagnostic) };
};

beforeAll(async () => {
  catalog = await readRuleCatalog(PROJECT_ROOT);
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('notifications/ in the repository', () => {
  it("is valid: the demo fleet's rules, policies and contact points", () => {
    const loaded = loadNotificationConfig(REPO_FILES, catalog, PROJECT_ROOT);
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.config.rules.rules.map((r) => r.id)).toEqual(
      expect.arrayContaining(['pump_motor_overheat', 'soil_probe_battery_low', 'soil_probe_no_data', 'gateway_down']),
    );
    expect(loaded.config.policies.escalations[0]!.steps.map((s) => s.after)).toEqual(['0s', '10m', '30m']);
  });
});

describe('bad rules, each at its line', () => {
  it('reports unknown metric, kind, role, product and runbook, a duplicate id and bad JSONLogic', () => {
    const dir = filesWith({
      'rules.yaml': [
        'rules:', //                                       1
        '  - id: hot', //                                  2
        '    kind: threshold', //                          3
        '    metric: motor_temp_k', //                     4
        "    op: '>'", //                                  5
        '    value: 95', //                                6
        '    summary: hot', //                             7
        '    select: { products: [pump-ctl], roles: [pilot] }', // 8
        '    runbook: rb-nope', //                         9
        '  - id: hot', //                                  10
        '    kind: thresold', //                           11
        '    summary: y', //                               12
        '  - id: logic', //                                13
        '    kind: threshold', //                          14
        '    metric: battery_v', //                        15
        "    op: '<'", //                                  16
        '    value: 3.3', //                               17
        '    summary: z', //                               18
        '    when: { frobnicate: [1, 2] }', //             19
        '    select: { products: [soil-prob] }', //        20
        '',
      ].join('\n'),
    });
    const { ok, lines: out } = lines(dir);
    expect(ok).toBe(false);
    expect(out).toEqual([
      'rules.yaml:4:13  Unexpected metric "motor_temp_k", expected a metric of pump-ctl (docs/products): flow_lpm, motor_current_a, motor_temp_c, pressure_bar, rssi_dbm, run_hours_h, supply_v  notifications/unknown-metric',
      'rules.yaml:8:45  Unexpected value "pilot" for rules[0].select.roles[0], expected one of gateway, sensor, station, controller  notifications/schema',
      expect.stringMatching(
        /^rules\.yaml:9:14 {2}Unexpected runbook "rb-nope", expected the id of a runbook \(runbooks\/\): rb-lorawan-gateway-install, .* {2}notifications\/unknown-runbook$/,
      ),
      'rules.yaml:10:5  Unexpected duplicate rule id hot, expected unique ids (first at 2:5)  notifications/duplicate-id',
      'rules.yaml:11:5  rules[1].kind: expected kind: threshold, no_data, state  notifications/schema',
      expect.stringMatching(
        /^rules\.yaml:19:13 {2}Unexpected JSONLogic operation "frobnicate", expected one of var .* {2}notifications\/bad-jsonlogic$/,
      ),
      expect.stringMatching(
        /^rules\.yaml:20:26 {2}Unexpected product "soil-prob", expected one of docs\/products: .*soil-probe.* {2}notifications\/unknown-product$/,
      ),
    ]);
  });

  it('reports an unknown field and a variable `when` cannot see', () => {
    const dir = filesWith({
      'rules.yaml': [
        'rules:',
        '  - id: quiet',
        '    kind: no_data',
        '    for: 10m',
        '    summary: quiet',
        "    when: { '>': [{ var: reading.value }, 1] }",
        '    colour: red',
        '',
      ].join('\n'),
    });
    expect(lines(dir).lines).toEqual([
      'rules.yaml:6:21  Unexpected variable "reading.value" in when, expected one under metric, last_seen, silent_s, device  notifications/bad-jsonlogic',
      'rules.yaml:7:5  Unexpected field "colour" in rules[0], expected only the fields of the contract  notifications/unknown-field',
    ]);
  });

  it('names the field an unknown key is likely a typo of, at its line, in each of the three files', () => {
    const repo = (name: string) => fs.readFileSync(path.join(REPO_FILES, name), 'utf8');
    const dir = filesWith({
      'rules.yaml': [
        'rules:',
        '  - id: quiet',
        '    kind: no_data',
        '    for: 10m',
        '    sumary: quiet', //  a letter short of `summary`
        '    colour: red', //   near no field
        '',
      ].join('\n'),
      'policies.yaml': repo('policies.yaml').replace('  group_wait: 30s', '  gruop_wait: 30s'),
      'contact-points.yaml': repo('contact-points.yaml').replace('      url: env:SLACK', '      rul: env:SLACK'),
    });
    const found = lines(dir).lines.filter((l) => l.endsWith('notifications/unknown-field'));
    expect(found).toEqual([
      'contact-points.yaml:7:7  Unexpected field "rul" in contact_points[0].config, expected only the fields of the contract (did you mean "url"?)  notifications/unknown-field',
      'policies.yaml:7:3  Unexpected field "gruop_wait" in route, expected only the fields of the contract (did you mean "group_wait"?)  notifications/unknown-field',
      'rules.yaml:5:5  Unexpected field "sumary" in rules[0], expected only the fields of the contract (did you mean "summary"?)  notifications/unknown-field',
      'rules.yaml:6:5  Unexpected field "colour" in rules[0], expected only the fields of the contract  notifications/unknown-field',
    ]);
  });

  it("checks the data a `some` reads against the kind's variables, not the element's own `var`", () => {
    const dir = filesWith({
      'rules.yaml': [
        'rules:',
        '  - id: quiet_pilot',
        '    kind: no_data',
        '    for: 10m',
        '    summary: quiet',
        "    when: { some: [{ var: devices.tags }, { '==': [{ var: '' }, pilot] }] }",
        '',
      ].join('\n'),
    });
    expect(lines(dir).lines).toEqual([
      'rules.yaml:6:22  Unexpected variable "devices.tags" in when, expected one under metric, last_seen, silent_s, device (did you mean "device"?)  notifications/bad-jsonlogic',
    ]);
  });

  it('reports YAML it cannot parse at its position', () => {
    const dir = filesWith({ 'rules.yaml': 'rules:\n  - id: a\n    kind: [threshold\n' });
    const out = lines(dir).lines;
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^rules\.yaml:\d+:\d+ {2}Unexpected YAML: .* {2}notifications\/yaml$/);
  });
});

describe('bad policies and contact points', () => {
  it('refuses an inline secret and an unknown contact point, and warns about a route no rule reaches', () => {
    const points = fs
      .readFileSync(path.join(REPO_FILES, 'contact-points.yaml'), 'utf8')
      .replace('url: env:SLACK_WEBHOOK_URL', 'url: https://hooks.slack.com/services/T000/B000/XXXXXXXX');
    const policies = fs
      .readFileSync(path.join(REPO_FILES, 'policies.yaml'), 'utf8')
      .replace('receiver: field-mail', 'receiver: field-mial')
      .replace(`matchers: ['team="field"']`, `matchers: ['team="nobody"']`);
    const dir = filesWith({ 'contact-points.yaml': points, 'policies.yaml': policies });
    const { ok, lines: out } = lines(dir);
    expect(ok).toBe(false);
    const slackLine = points.split('\n').findIndex((l) => l.includes('hooks.slack.com')) + 1;
    const routeLine = policies.split('\n').findIndex((l) => l.includes('team="nobody"')) + 1;
    const receiverLine = policies.split('\n').findIndex((l) => l.includes('field-mial')) + 1;
    expect(out).toEqual([
      `contact-points.yaml:${slackLine}:7  contact_points[0].config.url is a secret and must not be written inline: give a reference env:NAME to the variable that holds it  notifications/inline-secret`,
      `policies.yaml:${routeLine}:7  warning: Unexpected route: no rule of rules.yaml produces alerts it matches (team="nobody"), expected matchers that some rule's alertname, severity or labels satisfy  notifications/route-matches-nothing`,
      `policies.yaml:${receiverLine}:17  Unexpected contact point "field-mial", expected one of contact-points.yaml: field-mail, oncall-email, oncall-whatsapp, ops-chat, ops-webhook  notifications/unknown-contact-point`,
    ]);
    // The secret itself is never quoted back.
    expect(out.join('\n')).not.toContain('XXXXXXXX');
  });

  it('accepts a tree with only a warning: the files load', () => {
    const policies = fs
      .readFileSync(path.join(REPO_FILES, 'policies.yaml'), 'utf8')
      .replace(`matchers: ['team="field"']`, `matchers: ['team="nobody"']`);
    const loaded = loadNotificationConfig(filesWith({ 'policies.yaml': policies }), catalog);
    expect(loaded.ok).toBe(true);
    expect(loaded.diagnostics.map((d) => [d.severity, d.rule])).toEqual([
      ['warning', 'notifications/route-matches-nothing'],
    ]);
  });

  it('names an escalation that does not exist and a root route without receiver', () => {
    const dir = filesWith({
      'policies.yaml': ['route:', '  group_by: [site]', '  routes:', '    - escalation: nope', ''].join('\n'),
    });
    expect(lines(dir).lines).toEqual([
      'policies.yaml:1:1  Missing receiver or escalation on the root route, expected where unmatched alerts go  notifications/schema',
      'policies.yaml:4:7  Unexpected escalation nope, expected one of escalations: (none declared)  notifications/unknown-escalation',
    ]);
  });
});

describe('primitives', () => {
  it('parses durations and matchers as Alertmanager writes them', () => {
    expect([
      parseDuration('90s'),
      parseDuration('1h30m'),
      parseDuration('250ms'),
      parseDuration('2d'),
      parseDuration('10 m'),
    ]).toEqual([90_000, 5_400_000, 250, 172_800_000, null]);
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(parseMatcher('severity="critical"')).toEqual({ name: 'severity', op: '=', value: 'critical' });
    expect(parseMatcher('site =~ site_farm-.*')).toEqual({ name: 'site', op: '=~', value: 'site_farm-.*' });
    expect(parseMatcher('role!=gateway')).toEqual({ name: 'role', op: '!=', value: 'gateway' });
    expect(parseMatcher('site=~"(unclosed"')).toMatch(/^Unexpected regex in matcher/);
    expect(parseMatcher('no operator')).toMatch(/^Unexpected matcher "no operator"/);
  });

  it('applies defaults: severity warning, for 0s, delivery settings', () => {
    const rules = rulesFileSchema.parse({
      rules: [{ id: 'a', kind: 'threshold', metric: 'temp_c', op: '>', value: 1, summary: 's' }],
    });
    expect(rules.rules[0]).toMatchObject({ severity: 'warning', for: '0s' });
    const policies = policiesFileSchema.parse({ route: { receiver: 'x' } });
    expect(policies.delivery).toMatchObject({ max_attempts: 8, rate_limit: '60/1m', ack_link_ttl: '24h' });
  });
});
