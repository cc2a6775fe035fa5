import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandResult, heartbeatV1, stateV1, telemetryV1 } from '../../data-api/src/contracts/mqtt.ts';
import { loadModel, renderPages, scaffold } from '../../firmware/generator/scaffold.ts';
import { runCli, ROOT } from '../helpers/cli.ts';
import { buildFirmware, run, type BuiltFirmware } from '../helpers/firmware.ts';

// The firmware layer (issue 15): the scaffold's C project for each product builds with CMake
// (warnings as errors), its cmocka tests of the core (encoder, offline buffer, command parser,
// core) pass, its payloads satisfy the contract's own zod schemas, the core never allocates,
// and the ESP-IDF port passes gcc -fsyntax-only against its header shims.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-fw-layer-'));
const built: BuiltFirmware[] = [];
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const b of built) fs.rmSync(b.dir, { recursive: true, force: true });
});

describe.each([
  ['pump-ctl', '1.5.0'],
  ['soil-probe', '1.4.2'],
])('%s %s: the generated project', (product, version) => {
  let fw: BuiltFirmware;
  beforeAll(async () => {
    fw = await buildFirmware(product, version);
    built.push(fw);
  });

  it('runs the core unit tests with ctest: every test passes', async () => {
    const res = await run('ctest', ['--output-on-failure'], { cwd: fw.build });
    expect(res.stdout).toContain('100% tests passed, 0 tests failed out of 4');
    expect(res.code).toBe(0);
    // Each test binary ran its cases (cmocka prints the count): none is empty.
    for (const test of ['test_encoder', 'test_ring', 'test_commands', 'test_core']) {
      const out = await run(path.join(fw.build, test), []);
      const passed = /\[  PASSED  \] (\d+) test\(s\)\./.exec(out.stdout + out.stderr);
      expect(out.code, `${test}\n${out.stdout}${out.stderr}`).toBe(0);
      expect(Number(passed?.[1])).toBeGreaterThanOrEqual(4);
    }
  });

  it('generates a parser test for every command param range of the catalog', async () => {
    const model = loadModel({ product, version, siteDir: ROOT });
    const source = fs.readFileSync(path.join(fw.dir, 'tests', 'test_commands.c'), 'utf8');
    for (const c of model.commands) {
      for (const p of c.params) {
        if (p.c_below !== null) expect(source).toContain(`test_refuses_${c.c_name}_${p.c_name}_below_its_range`);
        if (p.c_above !== null) expect(source).toContain(`test_refuses_${c.c_name}_${p.c_name}_above_its_range`);
      }
    }
    expect(source).toContain('test_refuses_an_expired_command');
    expect(source).toContain('test_refuses_an_unknown_action');
  });

  it('encodes payloads the contract accepts (zod: telemetry, heartbeat, state, cmd/result)', async () => {
    const res = await run(path.join(fw.build, 'print_payloads'), []);
    expect(res.code).toBe(0);
    const schemas = {
      telemetry: telemetryV1,
      heartbeat: heartbeatV1,
      state: stateV1,
      cmd_result: commandResult,
    } as const;
    const lines = res.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    const model = loadModel({ product, version, siteDir: ROOT });
    for (const line of lines) {
      const [kind, json] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)] as [
        keyof typeof schemas,
        string,
      ];
      const parsed = schemas[kind].safeParse(JSON.parse(json));
      expect(parsed.success, `${kind}: ${json}\n${parsed.error?.message}`).toBe(true);
      if (kind === 'telemetry') {
        // Names straight from the catalog; only the device's own metrics.
        const names = Object.keys((parsed.data as { metrics: object }).metrics);
        for (const n of names) expect(model.metrics.map((m) => m.name)).toContain(n);
      }
    }
  });

  it('the core allocates nothing: no malloc, calloc, realloc or free in its objects', async () => {
    const res = await run('nm', ['-u', path.join(fw.build, 'libfb_core.a')]);
    expect(res.code).toBe(0);
    const undefinedSymbols = res.stdout.split('\n').map((l) => l.trim().split(/\s+/).pop());
    expect(undefinedSymbols).toContain('port_mqtt_publish');
    for (const sym of ['malloc', 'calloc', 'realloc', 'free', 'strdup']) expect(undefinedSymbols).not.toContain(sym);
  });

  it('the ESP-IDF port passes gcc -fsyntax-only against its shims, and the check catches a wrong call', async () => {
    const espDir = path.join(fw.dir, 'port', 'esp-idf');
    const ok = await run('sh', ['check-syntax.sh'], { cwd: espDir });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(path.join(espDir, 'README.md'), 'utf8')).toContain('gcc -std=gnu99 -fsyntax-only');
    expect(fs.readFileSync(path.join(espDir, 'idf_component.yml'), 'utf8')).toContain(`version: "${version}"`);
    // The same check on a port that calls esp-mqtt wrongly fails: the shims are not a rubber stamp.
    const broken = fs
      .readFileSync(path.join(espDir, 'port_esp_idf.c'), 'utf8')
      .replace(
        'esp_mqtt_client_publish(client, topic, (const char *)payload, (int)len, qos, retain)',
        'esp_mqtt_client_publish(client, topic, payload, qos)',
      );
    fs.writeFileSync(path.join(espDir, 'port_esp_idf.c'), broken);
    const bad = await run('sh', ['check-syntax.sh'], { cwd: espDir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('esp_mqtt_client_publish');
  });

  it('the device binary explains its options and refuses to start without a token', async () => {
    const help = await run(fw.binary, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`the ${product} ${version} device`);
    const noToken = await run(fw.binary, ['--site', 'site_a', '--device', 'dev_a'], {
      env: { FLEETBOOK_DEVICE_TOKEN: '' },
    });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('no device token: pass --token-file or set FLEETBOOK_DEVICE_TOKEN');
    const badFlag = await run(fw.binary, ['--interval', 'soon']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('--interval: expected a whole number');
  });
});

describe('fleetbook firmware scaffold (CLI)', () => {
  it('refuses an unknown product or version, listing the known ones', async () => {
    const product = await runCli(['firmware', 'scaffold', '--product', 'warp-drive', '--out', path.join(tmp, 'x')]);
    expect(product.code).toBe(2);
    expect(product.stderr).toBe(
      'fleetbook: unknown product warp-drive: expected one of lorawan-gw, pump-ctl, rfid-station, soil-probe\n',
    );
    expect(() => scaffold({ product: 'pump-ctl', version: '9.9.9', siteDir: ROOT, out: path.join(tmp, 'x') })).toThrow(
      expect.objectContaining({ exitCode: 2, message: 'pump-ctl has no version 9.9.9: expected one of 1.4.2, 1.5.0' }),
    );
    expect(fs.existsSync(path.join(tmp, 'x'))).toBe(false);
  });

  it('refuses an existing output folder without --force, and keeps what it did not write with it', async () => {
    const out = path.join(tmp, 'existing');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    const refused = await runCli([
      'firmware',
      'scaffold',
      '--product',
      'pump-ctl',
      '--version',
      '1.5.0',
      '--out',
      out,
      '--no-docs',
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('exists and is not empty: pass --force');
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
    const forced = scaffold({ product: 'pump-ctl', version: '1.5.0', siteDir: ROOT, out, docs: false, force: true });
    expect(forced.files).toContain('core/fb_product.h');
    expect(fs.readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');
    expect(fs.existsSync(path.join(out, 'core', 'fb_product.h'))).toBe(true);
  });

  it('maps names that are not C identifiers, prints the mapping, and the project still builds and passes', async () => {
    const site = path.join(ROOT, 'tests', 'fixtures', 'firmware', 'odd-names-site');
    const out = path.join(tmp, 'odd');
    const res = await runCli([
      'firmware',
      'scaffold',
      '--product',
      'odd-probe',
      '--site-dir',
      site,
      '--out',
      out,
      '--no-docs',
    ]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('C names (the wire names are unchanged):');
    for (const line of [
      'metric register → register_ (a C keyword)',
      'action continue → continue_ (a C keyword)',
      'param dry-run.delay_s → dry_run_delay_s (not a C identifier)',
      'param int → int_ (a C keyword)',
      'param default → default_ (a C keyword)',
    ]) {
      expect(res.stdout).toContain(`  ${line}\n`);
    }
    // The wire keeps the catalog's names.
    expect(fs.readFileSync(path.join(out, 'core', 'fb_product.c'), 'utf8')).toContain(
      '{"dry-run.delay_s", FB_PARAM_INTEGER',
    );
    const fw = await buildFirmware('odd-probe', undefined, { siteDir: site });
    built.push(fw);
    const ctest = await run('ctest', ['--output-on-failure'], { cwd: fw.build });
    expect(ctest.stdout).toContain('100% tests passed');
  });

  it('the committed bring-up runbooks and prompt packs are what the catalog generates now', () => {
    for (const [product, version] of [
      ['pump-ctl', '1.5.0'],
      ['soil-probe', '1.4.2'],
    ] as const) {
      const pages = renderPages(loadModel({ product, version, siteDir: ROOT }), ROOT);
      expect([...pages.keys()]).toContain(`runbooks/${product}-${version}-bring-up.mdx`);
      for (const [rel, text] of pages) {
        expect(
          fs.readFileSync(path.join(ROOT, rel), 'utf8'),
          `${rel}: run fleetbook firmware scaffold --product ${product} --version ${version} --force`,
        ).toBe(text);
      }
    }
  });

  it('writes the runbook and the pack into the handbook, leaves identical pages alone and refuses to overwrite an edited one', () => {
    const site = path.join(tmp, 'site');
    fs.cpSync(path.join(ROOT, 'docs', 'products'), path.join(site, 'docs', 'products'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'docs', 'prompts'), path.join(site, 'docs', 'prompts'), {
      recursive: true,
      filter: (src) => !/prompts\/(pump-ctl|soil-probe)/.test(src),
    });
    const run = (out: string, force = false) =>
      scaffold({ product: 'pump-ctl', version: '1.5.0', siteDir: site, out: path.join(tmp, out), force });
    expect(run('site-fw').pages.map((p) => `${p.status} ${p.path}`)).toContain(
      'written runbooks/pump-ctl-1.5.0-bring-up.mdx',
    );
    expect(fs.readFileSync(path.join(site, 'runbooks', 'pump-ctl-1.5.0-bring-up.mdx'), 'utf8')).toContain(
      'id: rb-pump-ctl-1-5-0-bring-up',
    );
    expect(fs.readdirSync(path.join(site, 'docs', 'prompts', 'pump-ctl')).sort()).toEqual([
      '_category_.json',
      'bring-up-log-review.mdx',
      'command-handler.mdx',
      'dead-letter.mdx',
      'sensor-driver.mdx',
    ]);
    expect(run('site-fw', true).pages.every((p) => p.status === 'unchanged')).toBe(true);
    const runbook = path.join(site, 'runbooks', 'pump-ctl-1.5.0-bring-up.mdx');
    fs.appendFileSync(runbook, '\nA note by hand.\n');
    expect(() => run('site-fw-2')).toThrow(
      'runbooks/pump-ctl-1.5.0-bring-up.mdx differs from what the catalog generates',
    );
    expect(fs.readFileSync(runbook, 'utf8')).toContain('A note by hand.');
    expect(fs.existsSync(path.join(tmp, 'site-fw-2'))).toBe(false);
  });
});
