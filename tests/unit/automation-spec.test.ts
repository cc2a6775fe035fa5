import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ACTION_TYPES,
  executionSpecJsonSchema,
  findInlineSecrets,
  validateExecutionSpec,
} from '../../data-api/src/contracts/execution-spec.ts';
import { formatDiagnostic, loadSpecFile, parseSpecText, specDigest } from '../../data-api/src/automation/spec-file.ts';

const ROOT = path.resolve(__dirname, '../..');
const fixture = (name: string) => path.join(ROOT, 'tests/fixtures/specs', name);

const base = () => ({
  spec_version: 1,
  project: 'farm-north-lorawan',
  deployment_id: 'dep_farm-north',
  product_code: 'lorawan-gw',
  product_version: '2.1.0',
  targets: { gateways: ['gw_farm-north-1'], devices: [], stations: [] },
  actions: [
    {
      id: 'vm',
      type: 'provision_vm',
      with: { node: 'pve1', template_vmid: 9000, name: 'cs-farm-north', ip: '10.0.0.21/24' },
    } as Record<string, unknown>,
    { id: 'ticket', type: 'open_ticket_on_failure' } as Record<string, unknown>,
  ],
});

function issues(raw: unknown) {
  const r = validateExecutionSpec(raw);
  if (r.ok) throw new Error('expected the spec to be invalid');
  return r.issues.map((i) => ({ rule: i.rule, path: i.path.join('.'), message: i.message }));
}

describe('execution spec v1 schema (contracts.md "Execution spec v1")', () => {
  it('accepts the example of contracts.md verbatim, with defaults applied', () => {
    const loaded = loadSpecFile(fixture('contract-example.yaml'));
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    // contracts.md's example uses every action type but provision_lorawan_devices (issue 13 added it).
    expect(loaded.spec.actions.map((a) => a.type)).toEqual(
      ACTION_TYPES.filter((t) => t !== 'provision_lorawan_devices'),
    );
    const vm = loaded.spec.actions[0]!;
    expect(vm.type === 'provision_vm' && vm.with).toMatchObject({
      full: true,
      start: true,
      token: { secret: 'env:PROXMOX_TOKEN' },
    });
    const gw = loaded.spec.actions[2]!;
    expect(gw.type === 'configure_gateway' && gw.with).toMatchObject({ port: 1700, concentrator: 'sx1302' });
  });

  it('accepts the example spec in automation/specs', () => {
    const loaded = loadSpecFile(path.join(ROOT, 'automation/specs/farm-north-lorawan.yaml'));
    expect(loaded.ok ? 'ok' : loaded.diagnostics.map(formatDiagnostic)).toBe('ok');
  });

  it('refuses unknown fields at every level (spec/unknown-field)', () => {
    const raw = base();
    Object.assign(raw, { colour: 'blue' });
    Object.assign(raw.targets, { sensors: [] });
    Object.assign(raw.actions[0]!, { after: 'vm' });
    Object.assign(raw.actions[0]!.with as object, { vcpus: 4 });
    const found = issues(raw);
    expect(found.every((i) => i.rule === 'spec/unknown-field')).toBe(true);
    expect(found.map((i) => i.path).sort()).toEqual([
      'actions.0.after',
      'actions.0.with.vcpus',
      'colour',
      'targets.sensors',
    ]);
    expect(issues(raw).find((i) => i.path === 'colour')?.message).toBe(
      'Unexpected field "colour" in the spec, expected only the fields of the schema',
    );
  });

  it('names the unknown action type and the known ones (spec/unknown-action)', () => {
    const raw = base();
    raw.actions[0] = { id: 'x', type: 'reboot_gateway', with: {} };
    expect(issues(raw)).toEqual([
      {
        rule: 'spec/unknown-action',
        path: 'actions.0.type',
        message: `Unexpected action type "reboot_gateway", expected one of ${ACTION_TYPES.join(', ')}`,
      },
    ]);
  });

  it('refuses duplicate action ids and points at the first one (spec/duplicate-action-id)', () => {
    const raw = base();
    raw.actions[1]!.id = 'vm';
    const r = validateExecutionSpec(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      {
        rule: 'spec/duplicate-action-id',
        path: ['actions', 1, 'id'],
        related: ['actions', 0, 'id'],
        message: 'Unexpected duplicate action id "vm" in actions[1], expected unique ids (first used by actions[0])',
      },
    ]);
  });

  it.each([
    [
      'a token string in a secret field',
      { token: 'automation@pve!fleetbook=4c0e5a3e-1f2b-4c3d-9e8f-0a1b2c3d4e5f' },
      'actions.0.with.token',
    ],
    ['a PVEAPIToken header value anywhere', { name: 'cs', ciuser: 'PVEAPIToken=a@pve!b=c' }, 'actions.0.with.ciuser'],
    ['a reference holding the value itself', { token: { secret: 'hunter2hunter2' } }, 'actions.0.with.token.secret'],
  ])('refuses %s, naming the path (spec/inline-secret)', (_what, patch, where) => {
    const raw = base();
    Object.assign(raw.actions[0]!.with as object, patch);
    const found = issues(raw).filter((i) => i.rule === 'spec/inline-secret');
    expect(found.map((i) => i.path)).toEqual([where]);
    expect(found[0]!.message).toContain(`"${where.replace(/\.(\d+)/g, '[$1]')}"`);
    // The message never repeats the secret.
    expect(found[0]!.message).not.toMatch(/hunter2|4c0e5a3e|PVEAPIToken=a/);
  });

  it('finds secrets by key name and by shape wherever they are, and passes references and public keys', () => {
    const value = {
      password: 'changeme',
      api_key: 12345,
      nested: [{ private_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----' }],
      note: '-----BEGIN RSA PRIVATE KEY-----',
      url: 'mqtt://user:s3cret@broker:1883',
      random: 'Zx8Qp2Lm9Rt4Vw7Ny1Bk6Hd3Fs5Gj0Ca8Ue2Io4Py6Tr1Ew3Qa5Sd7',
      ok_ref: { secret: 'env:PROXMOX_TOKEN' },
      ok_file: { secret: 'file:/run/secrets/pve' },
      authorized_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC9oJ2yE0dJ0Ub5b3i2r7pQm4Yk1a9x3hV8sT6uW2fLq ops@x',
      ok_digest: 'sha256:6a42bfd9ba392fb897effe043a1649ab815d19ce5d2372a90ae01e4f1a2f076b',
      ok_host: 'cs-farm-north-lorawan-network-server.internal.example.net',
      ok_path: '/tmp/fleetbook-runner-AbC123xYz/gateway/etc/lora/global_conf.json',
      ok_rel_path: 'deploy/chirpstack-v4/configuration/chirpstack/region_as923.toml',
    };
    expect(findInlineSecrets(value).map((f) => f.path.join('.'))).toEqual([
      'password',
      'api_key',
      'nested.0.private_key',
      'note',
      'url',
      'random',
    ]);
  });

  it('a secret under an unknown field is still refused as a secret', () => {
    const raw = base();
    Object.assign(raw.actions[0]!.with as object, { root_password: 'hunter2' });
    expect(issues(raw).map((i) => `${i.rule} ${i.path}`)).toEqual([
      'spec/unknown-field actions.0.with.root_password',
      'spec/inline-secret actions.0.with.root_password',
    ]);
  });

  it('allows retries only on idempotent actions', () => {
    const raw = base();
    raw.actions[0]!.retries = 2;
    expect(issues(raw)).toEqual([
      {
        rule: 'spec/unknown-field',
        path: 'actions.0.retries',
        message:
          'Unexpected field "retries" in actions[0], expected no retries: provision_vm is not idempotent, so it is never retried',
      },
    ]);
    const ok = base();
    ok.actions.splice(1, 0, { id: 'stack', type: 'deploy_compose_stack', retries: 3, with: { stack: 'chirpstack' } });
    expect(validateExecutionSpec(ok).ok).toBe(true);
  });

  it.each([
    ['spec_version', 2, 'expected spec_version: 1'],
    ['deployment_id', 'farm-north', 'expected an id like dep_… (url-safe body of 1–64 characters)'],
    ['product_version', '2.1', 'expected a semantic version like 2.1.0'],
    [
      'product_version',
      2.1,
      'expected a semantic version like 2.1.0, as a string (YAML reads 2.1 as a number: quote it)',
    ],
    ['project', 'Farm North', 'expected a project slug (lowercase letters, digits, "-"), like farm-north-lorawan'],
  ])('checks %s (%j)', (field, value, message) => {
    const raw: Record<string, unknown> = base();
    raw[field] = value;
    expect(issues(raw)).toEqual([{ rule: 'spec/schema', path: field, message }]);
  });

  it('checks id prefixes of targets (gw_ for gateways, dev_ for devices and stations)', () => {
    const raw = base();
    (raw as Record<string, unknown>).targets = { gateways: ['dev_x'], devices: ['gw_y'], stations: ['dev_ok'] };
    expect(issues(raw).map((i) => i.path)).toEqual(['targets.gateways.0', 'targets.devices.0']);
  });

  it('reports the closest health check kind, or says which kinds exist', () => {
    const raw = base();
    raw.actions[0] = {
      id: 'c',
      type: 'run_health_checks',
      with: { checks: [{ http: 'http://x', expect_status: 'ok' }, { ftp: 'x' }, { tcp: 'no-port' }] },
    };
    expect(issues(raw)).toEqual([
      {
        rule: 'spec/schema',
        path: 'actions.0.with.checks.0.expect_status',
        message: 'Invalid input: expected number, received string',
      },
      {
        rule: 'spec/schema',
        path: 'actions.0.with.checks.1',
        message: 'expected exactly one check kind: tcp, udp, http, mqtt or device_up',
      },
      { rule: 'spec/schema', path: 'actions.0.with.checks.2.tcp', message: 'expected "host:port"' },
    ]);
  });

  it('a missing `with` is a missing field, except where every field has a default', () => {
    const raw = base();
    delete raw.actions[0]!.with;
    expect(issues(raw)).toEqual([
      { rule: 'spec/schema', path: 'actions.0.with', message: 'Missing field "with", expected an object' },
    ]);
  });
});

describe('fleetbook spec validate: positions (file:line:column  message  rule-id)', () => {
  it('points every rule at the offending key of the not-ok fixture', () => {
    const loaded = loadSpecFile(fixture('not-ok.yaml'));
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const f = fixture('not-ok.yaml');
    expect(loaded.diagnostics.map(formatDiagnostic)).toEqual([
      `${f}:3:1  deployment_id: expected an id like dep_… (url-safe body of 1–64 characters)  spec/schema`,
      `${f}:5:1  product_version: expected a semantic version like 2.1.0, as a string (YAML reads 2.1 as a number: quote it)  spec/schema`,
      `${f}:6:1  Unexpected field "colour" in the spec, expected only the fields of the schema  spec/unknown-field`,
      `${f}:8:14  targets.gateways[0]: expected an id like gw_… (url-safe body of 1–64 characters)  spec/schema`,
      `${f}:17:7  Unexpected inline secret in "actions[0].with.token", expected a reference like { secret: "env:NAME" } or { secret: "file:/path" }  spec/inline-secret`,
      `${f}:18:5  Unexpected duplicate action id "vm" in actions[1], expected unique ids (first used by actions[0]) (first at 10:5)  spec/duplicate-action-id`,
      `${f}:20:32  Unexpected field "hots" in actions[1].with, expected only the fields of the schema (did you mean "host"?)  spec/unknown-field`,
      `${f}:22:5  Unexpected action type "reboot_gateway", expected one of provision_vm, deploy_compose_stack, configure_gateway, run_health_checks, provision_lorawan_devices, open_ticket_on_failure  spec/unknown-action`,
      `${f}:28:48  Unexpected inline secret in "actions[3].with.checks[0].password", expected a reference like { secret: "env:NAME" } or { secret: "file:/path" }  spec/inline-secret`,
      `${f}:31:5  Unexpected field "retries" in actions[4], expected no retries: open_ticket_on_failure is not idempotent, so it is never retried  spec/unknown-field`,
    ]);
  });

  it('names the field an unknown key is likely a typo of, at its line (a swapped pair is one edit)', () => {
    const text = [
      'spec_version: 1',
      'project: farm-north-lorawan',
      'deployment_id: dep_farm-north',
      'product_code: lorawan-gw',
      'product_version: "2.1.0"',
      'tragets: { gateways: [gw_farm-north-1] }',
      'actions:',
      '  - id: vm',
      '    type: provision_vm',
      '    with: { node: pve1, template_vmid: 9000, name: cs-farm-north, ip: 10.0.0.21/24 }',
      '    depnds_on: []',
      '    flavour: large',
    ].join('\n');
    const loaded = parseSpecText(text, 'spec.yaml');
    expect(loaded.ok ? [] : loaded.diagnostics.map(formatDiagnostic)).toEqual([
      'spec.yaml:6:1  Unexpected field "tragets" in the spec, expected only the fields of the schema (did you mean "targets"?)  spec/unknown-field',
      'spec.yaml:11:5  Unexpected field "depnds_on" in actions[0], expected only the fields of the schema (did you mean "depends_on"?)  spec/unknown-field',
      'spec.yaml:12:5  Unexpected field "flavour" in actions[0], expected only the fields of the schema  spec/unknown-field',
    ]);
  });

  it('reads JSON with positions too', () => {
    const raw = base();
    raw.actions[1]!.id = 'vm';
    const text = JSON.stringify(raw, null, 2);
    const loaded = parseSpecText(text, 'spec.json');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    const lines = text.split('\n');
    const line =
      lines.findIndex((l, i) => l.includes('"id": "vm"') && i > lines.findIndex((x) => x.includes('"id": "vm"'))) + 1;
    expect(loaded.diagnostics).toEqual([
      expect.objectContaining({ file: 'spec.json', line, column: 7, rule: 'spec/duplicate-action-id' }),
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their position (spec/yaml)', () => {
    const dup = parseSpecText('spec_version: 1\nproject: a\nproject: b\n', 'dup.yaml');
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.diagnostics[0]).toMatchObject({ line: 3, column: 1, rule: 'spec/yaml' });
    const broken = parseSpecText('spec_version: 1\nactions: [\n', 'broken.yaml');
    expect(broken.ok).toBe(false);
    if (!broken.ok) expect(broken.diagnostics.every((d) => d.rule === 'spec/yaml' && d.line >= 2)).toBe(true);
  });
});

describe('spec digest and JSON Schema', () => {
  it('the digest is the same for the same spec written differently, and changes with content', () => {
    const a = validateExecutionSpec(base());
    const reordered = Object.fromEntries(Object.entries(base()).reverse());
    const b = validateExecutionSpec(reordered);
    const changed = base();
    changed.product_version = '2.1.1';
    const c = validateExecutionSpec(changed);
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected valid specs');
    expect(specDigest(a.spec)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(specDigest(b.spec)).toBe(specDigest(a.spec));
    expect(specDigest(c.spec)).not.toBe(specDigest(a.spec));
  });

  it('exports a strict JSON Schema with one definition per action and the secret reference', () => {
    const schema = executionSpecJsonSchema() as {
      $schema: string;
      $defs: Record<string, { additionalProperties?: unknown; properties?: Record<string, unknown> }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    for (const id of [
      'ExecutionSpecV1',
      'ProvisionVmAction',
      'DeployComposeStackAction',
      'ConfigureGatewayAction',
      'RunHealthChecksAction',
      'OpenTicketOnFailureAction',
      'SecretRef',
    ]) {
      expect(schema.$defs[id], id).toBeDefined();
      expect(schema.$defs[id]!.additionalProperties, id).toBe(false);
    }
    expect(Object.keys(schema.$defs.ProvisionVmAction!.properties!)).not.toContain('retries');
    expect(Object.keys(schema.$defs.DeployComposeStackAction!.properties!)).toContain('retries');
    // The file an editor would use round-trips as JSON.
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(fs.existsSync(path.join(ROOT, 'automation/specs'))).toBe(true);
  });
});
