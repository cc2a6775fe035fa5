// One ok / not-ok pair per rule (runbooks.md: "Validation at build time"); the exact output
// lines, positions included, are the contract editors and CI parse.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatText, lintFiles } from '../lint.ts';
import { rules } from '../rules/index.ts';

const FIXTURES = fileURLToPath(new URL('../__fixtures__/', import.meta.url));

/** Lints fixture files (paths relative to __fixtures__, which is a tiny site with a catalog). */
async function lint(...files: string[]): Promise<string[]> {
  return formatText(await lintFiles(files, { cwd: FIXTURES }))
    .trimEnd()
    .split('\n');
}

const CLEAN = ['0 errors, 0 warnings'];

/** rule → files linted with both ok.mdx and not-ok.mdx (okWith: with ok.mdx only), expected not-ok output. */
const cases: Record<string, { with?: string[]; okWith?: string[]; expected: string[] }> = {
  syntax: {
    expected: [
      'syntax/not-ok.mdx:10:1  Unexpected YAML (Map keys must be unique), expected valid YAML frontmatter  runbook/syntax',
      '1 error, 0 warnings',
    ],
  },
  schema: {
    expected: [
      'schema/not-ok.mdx:2:1  Missing `title`, expected a non-empty string  runbook/schema',
      'schema/not-ok.mdx:3:7  Unexpected `guide` for `kind`, expected one of `runbook`, `sop`, `tutorial`  runbook/schema',
      'schema/not-ok.mdx:4:10  Unexpected `three` for `version`, expected an integer ≥ 1 (bump it when the checklist changes)  runbook/schema',
      'schema/not-ok.mdx:6:1  Unexpected key `colour`, expected one of `id`, `title`, `kind`, `version`, `owner`, `product_code`, `product_versions`, `estimated_minutes`, `requires`, `gates`, `track`, `step` or a Docusaurus doc key  runbook/schema',
      'schema/not-ok.mdx:7:1  Unexpected key `sidebar_postion`, expected one of `id`, `title`, `kind`, `version`, `owner`, `product_code`, `product_versions`, `estimated_minutes`, `requires`, `gates`, `track`, `step` or a Docusaurus doc key (did you mean `sidebar_position`?)  runbook/schema',
      'schema/not-ok.mdx:13:5  Unexpected key `color` in `gates[0]`, expected one of `id`, `title`, `sign_off`, `checklist`  runbook/schema',
      'schema/not-ok.mdx:14:5  Unexpected key `sing_off` in `gates[0]`, expected one of `id`, `title`, `sign_off`, `checklist` (did you mean `sign_off`?)  runbook/schema',
      'schema/not-ok.mdx:17:15  Unexpected empty string for `gates[0].checklist[0].text`, expected a non-empty string  runbook/schema',
      'schema/not-ok.mdx:19:36  Unexpected key `typ` in `gates[0].checklist[0].expect`, expected one of `min`, `max`, `unit`  runbook/schema',
      '9 errors, 0 warnings',
    ],
  },
  'unknown-evidence-kind': {
    expected: [
      'unknown-evidence-kind/not-ok.mdx:16:19  Unexpected evidence kind `video`, expected one of `none`, `note`, `photo`, `file`, `link`, `value`  runbook/unknown-evidence-kind',
      'unknown-evidence-kind/not-ok.mdx:17:53  Unexpected evidence kind `3`, expected one of `none`, `note`, `photo`, `file`, `link`, `value`  runbook/unknown-evidence-kind',
      '2 errors, 0 warnings',
    ],
  },
  'duplicate-runbook-id': {
    with: ['duplicate-runbook-id/first.mdx'],
    expected: [
      'duplicate-runbook-id/not-ok.mdx:2:5  Unexpected duplicate runbook id `rb-fx-dup`, expected an id unique across runbooks (first in duplicate-runbook-id/first.mdx:2:5)  runbook/duplicate-runbook-id',
      '1 error, 0 warnings',
    ],
  },
  'duplicate-gate-id': {
    expected: [
      'duplicate-gate-id/not-ok.mdx:17:9  Unexpected duplicate gate id `g1`, expected unique gate ids (first at 11:9)  runbook/duplicate-gate-id',
      '1 error, 0 warnings',
    ],
  },
  'duplicate-item-id': {
    expected: [
      'duplicate-item-id/not-ok.mdx:20:13  Unexpected duplicate item id `first`, expected unique item ids in a runbook (first at 14:13)  runbook/duplicate-item-id',
      '1 error, 0 warnings',
    ],
  },
  'missing-requires': {
    with: ['missing-requires/base.mdx'],
    expected: [
      'missing-requires/not-ok.mdx:10:28  Unexpected requires `rb-fx-req-bsae`, expected the id of an existing runbook (did you mean `rb-fx-req-base`?)  runbook/missing-requires',
      'missing-requires/not-ok.mdx:10:44  Unexpected requires `rb-fx-nowhere`, expected the id of an existing runbook  runbook/missing-requires',
      '2 errors, 0 warnings',
    ],
  },
  'requires-cycle': {
    okWith: ['requires-cycle/base.mdx'],
    with: ['requires-cycle/base.mdx', 'requires-cycle/other.mdx'],
    expected: [
      'requires-cycle/not-ok.mdx:10:30  Unexpected requires cycle `rb-fx-cycle-a` → `rb-fx-cycle-b` → `rb-fx-cycle-a`, expected runbooks that do not require each other in a loop  runbook/requires-cycle',
      'requires-cycle/other.mdx:10:12  Unexpected requires cycle `rb-fx-cycle-b` → `rb-fx-cycle-a` → `rb-fx-cycle-b`, expected runbooks that do not require each other in a loop  runbook/requires-cycle',
      '2 errors, 0 warnings',
    ],
  },
  'unknown-product': {
    expected: [
      'unknown-product/not-ok.mdx:7:15  Unexpected product `lorawan-gateway`, expected one of `lorawan-gw`, `pump-ctl`  runbook/unknown-product',
      '1 error, 0 warnings',
    ],
  },
  'invalid-semver-range': {
    expected: [
      'invalid-semver-range/not-ok.mdx:8:19  Unexpected semver range `2.0 to 3.0`, expected a range such as ">=2.0 <3" or "^1.4"  runbook/invalid-semver-range',
      '1 error, 0 warnings',
    ],
  },
  'value-without-expect': {
    expected: [
      'value-without-expect/not-ok.mdx:16:19  Unexpected `value` item `psu` without `expect`, expected `expect: { min, max, unit }`  runbook/value-without-expect',
      '1 error, 0 warnings',
    ],
  },
  // runbooks.md: a value item has an `expect`; the converse, an `expect` no value is recorded against, is dead.
  'expect-without-value': {
    expected: [
      'expect-without-value/not-ok.mdx:17:9  Unexpected `expect` on item `psu` with `evidence: none` (its range is never checked: the runner takes no value for it), expected `evidence: value` or no `expect`  runbook/expect-without-value',
      'expect-without-value/not-ok.mdx:21:9  Unexpected `expect` on item `rssi` with `evidence: note` (its range is never checked: the runner takes no value for it), expected `evidence: value` or no `expect`  runbook/expect-without-value',
      '2 errors, 0 warnings',
    ],
  },
  'bad-condition': {
    expected: [
      'bad-condition/not-ok.mdx:17:42  Unexpected "var" path "site.regoin": site has no field "regoin" (did you mean "site.region"?), expected one of id, customer_id, name, timezone, location, lan_notes, region, network_server, created_at, updated_at  runbook/bad-condition',
      'bad-condition/not-ok.mdx:21:27  Unexpected operator "semver", expected a JSONLogic operator  runbook/bad-condition',
      'bad-condition/not-ok.mdx:25:33  Unexpected "var" path "outputs.vm.ip", expected one under deployment, site, product  runbook/bad-condition',
      '3 errors, 0 warnings',
    ],
  },
  'bad-probe-template': {
    expected: [
      'bad-probe-template/not-ok.mdx:17:28  Unexpected template "{{vm.ip}}", expected one under site, deployment, device  runbook/bad-probe-template',
      'bad-probe-template/not-ok.mdx:21:28  Unexpected template "{{site.network_sever}}": site has no field "network_sever" (did you mean "site.network_server"?), expected one of id, customer_id, name, timezone, lan_notes, region, network_server, created_at, updated_at  runbook/bad-probe-template',
      'bad-probe-template/not-ok.mdx:25:34  Unexpected template "{{devise.id}}" (did you mean "device.id"?), expected one under site, deployment, device  runbook/bad-probe-template',
      'bad-probe-template/not-ok.mdx:29:29  Unexpected braces in "fleetbook/v1/{{site id}}/state", expected templates written {{root.field}}  runbook/bad-probe-template',
      '4 errors, 0 warnings',
    ],
  },
  // runbooks.md: `auto_check: { udp: "{{site.network_server}}:1700" }`; a target the probe cannot take
  // fails the build, not the field engineer's Check (409 from the API).
  'bad-probe-target': {
    expected: [
      'bad-probe-target/not-ok.mdx:17:28  Unexpected "{{site.network_server}}" (no port) for `gates[0].checklist[0].auto_check.udp`, expected `host:port` (a host name or IP address, a colon, a port 1–65535), e.g. "{{site.network_server}}:1700"  runbook/bad-probe-target',
      'bad-probe-target/not-ok.mdx:21:28  Unexpected "10.1.2.3:70000" (port 70000 out of range) for `gates[0].checklist[1].auto_check.tcp`, expected `host:port` (a host name or IP address, a colon, a port 1–65535), e.g. "{{site.network_server}}:22"  runbook/bad-probe-target',
      'bad-probe-target/not-ok.mdx:25:29  Unexpected "console.example.net/health" for `gates[0].checklist[2].auto_check.http`, expected an http:// or https:// URL, e.g. "http://{{site.network_server}}:8080/health"  runbook/bad-probe-target',
      'bad-probe-target/not-ok.mdx:29:29  Unexpected "fleetbook/v1/{{site.id}}/+/state" (a wildcard) for `gates[0].checklist[3].auto_check.mqtt`, expected one topic, e.g. "fleetbook/v1/{{site.id}}/{{device.id}}/state" (the probe waits for a message on it)  runbook/bad-probe-target',
      'bad-probe-target/not-ok.mdx:33:34  Unexpected "the north gateway" for `gates[0].checklist[4].auto_check.device_up`, expected a device id (gw_… or dev_…) or "{{device.id}}" (the deployment’s device)  runbook/bad-probe-target',
      '5 errors, 0 warnings',
    ],
  },
  'unknown-sign-off-role': {
    expected: [
      'unknown-sign-off-role/not-ok.mdx:13:15  Unexpected sign-off role `supervisor`, expected one of `viewer`, `operator`, `automation`, `admin`, `lead`  runbook/unknown-sign-off-role',
      '1 error, 0 warnings',
    ],
  },
  'task-list-mismatch': {
    expected: [
      // `pus` is also why `psu` is missing from the body.
      "task-list-mismatch/not-ok.mdx:15:15  Missing item `psu` in the body's task list, expected a line `- [ ] PSU voltage \\{#psu\\}`  runbook/item-not-in-body",
      'task-list-mismatch/not-ok.mdx:22:19  Unexpected task-list id `pus`, expected the id of a checklist item of the frontmatter (did you mean `psu`?)  runbook/task-list-mismatch',
      'task-list-mismatch/not-ok.mdx:24:31  Unexpected second task-list item `mount`, expected each item once (first at 21:25)  runbook/task-list-mismatch',
      'task-list-mismatch/not-ok.mdx:25:1  Unexpected task-list item without an id, expected it to end with `\\{#id\\}` naming a checklist item of the frontmatter  runbook/task-list-mismatch',
      '4 errors, 0 warnings',
    ],
  },
  'item-not-in-body': {
    expected: [
      "item-not-in-body/not-ok.mdx:15:15  Missing item `psu` in the body's task list, expected a line `- [ ] PSU voltage \\{#psu\\}`  runbook/item-not-in-body",
      "item-not-in-body/not-ok.mdx:16:15  Missing item `glands` in the body's task list, expected a line `- [ ] Glands tightened \\{#glands\\}`  runbook/item-not-in-body",
      '2 errors, 0 warnings',
    ],
  },
  'tutorial-step': {
    with: ['tutorial-step/first.mdx'],
    // ok.mdx is step 2, not-ok.mdx step 4: linted with first.mdx alone, 2 and 3 are missing.
    expected: [
      'tutorial-step/not-ok.mdx:9:7  Unexpected step 4 in track `fx-track`, expected step 2 (steps count 1, 2, 3… without gaps)  runbook/tutorial-step',
      '1 error, 0 warnings',
    ],
  },
  'missing-owner': {
    expected: [
      'missing-owner/not-ok.mdx:2:1  warning: Missing `owner`, expected the team that owns this runbook, e.g. `owner: ops`  runbook/missing-owner',
      '0 errors, 1 warning',
    ],
  },
  'missing-estimate': {
    expected: [
      'missing-estimate/not-ok.mdx:2:1  warning: Missing `estimated_minutes`, expected how long the runbook takes, e.g. `estimated_minutes: 90`  runbook/missing-estimate',
      '0 errors, 1 warning',
    ],
  },
};

describe('rules', () => {
  it('every rule has a case and fixtures named after it', () => {
    expect(Object.keys(cases).sort()).toEqual(rules.map((r) => r.id.replace('runbook/', '')).sort());
  });

  for (const rule of rules) {
    const name = rule.id.replace('runbook/', '');
    const c = cases[name]!;
    describe(rule.id, () => {
      it('ok.mdx has nothing to report', async () => {
        expect(await lint(...(c.okWith ?? c.with ?? []), `${name}/ok.mdx`)).toEqual(CLEAN);
      });
      it('not-ok.mdx reports exactly this', async () => {
        expect(await lint(...(c.with ?? []), `${name}/not-ok.mdx`)).toEqual(c.expected);
      });
      it(`has severity ${rule.severity} and the id format runbook/<rule-id>`, () => {
        expect(rule.id).toMatch(/^runbook\/[a-z]+(-[a-z]+)*$/);
        expect(rule.severity).toBe(['missing-owner', 'missing-estimate'].includes(name) ? 'warning' : 'error');
      });
    });
  }
});

describe('cross-file rules', () => {
  it('duplicate-runbook-id: the message carries a cause pointing at the first occurrence', async () => {
    const res = await lintFiles(['duplicate-runbook-id/first.mdx', 'duplicate-runbook-id/not-ok.mdx'], {
      cwd: FIXTURES,
    });
    expect(res.messages).toHaveLength(1);
    expect(res.messages[0]!.cause).toEqual({
      path: 'duplicate-runbook-id/first.mdx',
      line: 2,
      column: 5,
      reason: 'first defined here',
    });
  });

  it('duplicate-runbook-id: the first file by path keeps the id, whatever the order given', async () => {
    expect(await lint('duplicate-runbook-id/not-ok.mdx', 'duplicate-runbook-id/first.mdx')).toEqual(
      cases['duplicate-runbook-id']!.expected,
    );
  });

  it('requires-cycle: a runbook that requires itself', async () => {
    expect(await lint('requires-cycle/self.mdx')).toEqual([
      'requires-cycle/self.mdx:10:12  Unexpected requires cycle `rb-fx-cycle-self` → `rb-fx-cycle-self`, expected runbooks that do not require each other in a loop  runbook/requires-cycle',
      '1 error, 0 warnings',
    ]);
  });

  it('requires-cycle: a runbook that only requires a runbook of a cycle is not in it', async () => {
    const out = await lint(
      'requires-cycle/ok.mdx',
      'requires-cycle/base.mdx',
      'requires-cycle/not-ok.mdx',
      'requires-cycle/other.mdx',
    );
    expect(out.filter((l) => l.includes('ok.mdx:') && !l.includes('not-ok.mdx'))).toEqual([]);
    expect(out.at(-1)).toBe('2 errors, 0 warnings');
  });

  it('tutorial-step: a whole folder — a gap and a repeated step', async () => {
    expect(await lint('tutorial-step/')).toEqual([
      'tutorial-step/not-ok.mdx:9:7  Unexpected step 4 in track `fx-track`, expected step 3 (steps count 1, 2, 3… without gaps)  runbook/tutorial-step',
      'tutorial-step/repeat.mdx:9:7  Unexpected duplicate step 1 in track `fx-track`, expected each step once (first in tutorial-step/first.mdx:9:7)  runbook/tutorial-step',
      '2 errors, 0 warnings',
    ]);
  });
});
