// `fleetbook gateway conf|check` as a field engineer runs them, and configure_gateway writing the
// same bytes: one renderer, one validator.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { runSpec } from '../../data-api/src/automation/runner.ts';
import { makeSpec, tempDir } from '../helpers/automation.ts';
import { runCli } from '../helpers/cli.ts';
import { PEERS } from '../helpers/conf-diff.ts';

const tmp = tempDir('gateway');
afterAll(tmp.cleanup);
const golden = (name: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/gateway', name), 'utf8');

describe('fleetbook gateway', () => {
  it('conf prints what configure_gateway writes, byte for byte (AS923-3 on an SX1301)', async () => {
    const cli = await runCli([
      'gateway',
      'conf',
      '--region',
      'AS923-3',
      '--chip',
      'sx1301',
      '--gateway-id',
      '0016c001ff10a235',
      '--server',
      'cs-farm-north',
    ]);
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(golden('as923_3-sx1301.json'));

    const output = path.join(tmp.dir, 'gw', 'global_conf.json');
    const run = await runSpec({
      spec: makeSpec([
        {
          id: 'gw',
          type: 'configure_gateway',
          with: {
            region: 'AS923_3',
            concentrator: 'sx1301',
            server: 'cs-farm-north',
            gateway_eui: '0016c001ff10a235',
            output,
          },
        },
      ]),
      reporter: new MemoryRunReporter(),
      env: process.env,
      retryDelayScale: 0,
      artifactsDir: () => path.join(tmp.dir, 'artifacts'), // not the runner's default under the system's tmp
    });
    expect(run.state).toBe('succeeded');
    expect(fs.readFileSync(output, 'utf8')).toBe(cli.stdout);
    expect(run.actions[0]!.log).toContain(
      'ChirpStack region as923_3 needs extra_channels 917.0 917.2 917.4 917.6 917.8 918.0 MHz (fleetbook gateway conf --region AS923_3 --chirpstack prints the TOML)',
    );
  });

  it('conf --chirpstack prints the extra_channels ChirpStack’s region file needs', async () => {
    const cli = await runCli(['gateway', 'conf', '--region', 'AS923-4', '--chirpstack']);
    expect(cli.code).toBe(0);
    expect(cli.stdout.split('\n')[0]).toBe(
      '# ChirpStack v4, region_as923_4.toml ([[regions]] id="as923_4"), under [regions.network]:',
    );
    expect(cli.stdout.match(/^frequency=(\d+)$/gm)).toEqual(
      [917_700_000, 917_900_000, 918_100_000, 918_300_000, 918_500_000, 918_700_000].map((f) => `frequency=${f}`),
    );
  });

  it('check refuses the old US915 plan with the HAL’s reason and the line, exit 1', async () => {
    const file = path.resolve(__dirname, '../fixtures/gateway/us915-sx1301-before-fix.json');
    const cli = await runCli(['gateway', 'check', file]);
    expect(cli.code).toBe(1);
    const lines = cli.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      `error ${file}:65 SX1301_conf.chan_Lora_std.if: IF FREQUENCY 400000 TOO HIGH (lora_gateway refuses it and lora_pkt_fwd exits): ` +
        "|if| + bandwidth/2 = 650 kHz is beyond 550 kHz, half the radio's 1,100 kHz RX window for 500 kHz channels; keep |if| ≤ 300 kHz",
    );
    expect(lines.at(-1)).toBe(
      `${file}: sx1301, US915 (inferred); channels 903.9 904.1 904.3 904.5 904.7 904.9 905.1 905.3 904.6/500k MHz; 1 error(s), 0 warning(s)`,
    );
  });

  it('check accepts Semtech’s own file (C comments included) with warnings only, exit 0; --json for scripts', async () => {
    const file = path.join(PEERS, 'semtech-sx1302_hal/global_conf.json.sx1250.US915');
    const cli = await runCli(['gateway', 'check', file, '--region', 'US915', '--json']);
    expect(cli.code).toBe(0);
    const result = JSON.parse(cli.stdout);
    expect(result).toMatchObject({ chip: 'sx1302', region: 'US915', regionInferred: false, ok: true });
    expect(result.problems.map((p: { path: string; line: number }) => `${p.path}@${p.line}`)).toEqual([
      'gateway_conf.serv_port_up@81',
      'gateway_conf.serv_port_down@82',
    ]);
  });

  it('bad input: not JSON (with the line), an unknown region, a bad EUI', async () => {
    const broken = path.join(tmp.dir, 'broken.json');
    fs.writeFileSync(broken, '{\n  "SX130x_conf": {\n    "radio_0": { "enable": true, }\n  }\n}\n');
    const notJson = await runCli(['gateway', 'check', broken]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toBe(
      `fleetbook: ${broken}:3: not JSON: line 3, column 34: expected a "key" in SX130x_conf.radio_0, found "}"\n`,
    );
    const region = await runCli(['gateway', 'conf', '--region', 'AU915']);
    expect(region.code).toBe(2);
    expect(region.stderr).toBe(
      'fleetbook: --region: expected one of EU868, US915, AS923_1, AS923_2, AS923_3, AS923_4 (AS923-1 … AS923-4 also accepted)\n',
    );
    const eui = await runCli(['gateway', 'conf', '--region', 'EU868', '--gateway-id', 'zz']);
    expect(eui.code).toBe(2);
    expect(eui.stderr).toBe('fleetbook: --gateway-id: expected 16 hex digits (the gateway EUI)\n');
  });
});
