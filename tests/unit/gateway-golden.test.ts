// Golden tests against Semtech's own files (tests/fixtures/peers/semtech-*): every generated
// global_conf.json is diffed key by key with the reference for its chip and region, and every
// difference must be one of the intended ones below, each with its reason. An allow-list entry
// that no longer matches anything fails too, so the list stays the true list of differences.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  configureGatewayWithSchema,
  type GatewayRegion,
} from '../../data-api/src/contracts/actions/configure_gateway.ts';
import {
  channelFrequencies,
  renderGlobalConf,
  renderGlobalConfJson,
} from '../../data-api/src/automation/gateway/render.ts';
import { checkGlobalConf } from '../../data-api/src/automation/gateway/validate.ts';
import { diffConf, flatten, reference, type Difference } from '../helpers/conf-diff.ts';

type Chip = 'sx1302' | 'sx1301';
const SX1302_EU = 'semtech-sx1302_hal/global_conf.json.sx1250.EU868';
const SX1302_US = 'semtech-sx1302_hal/global_conf.json.sx1250.US915';
const SX1302_AS = 'semtech-sx1302_hal/global_conf.json.sx1250.AS923.USB';
const PF_EU = 'semtech-packet_forwarder/global_conf.json';
const PF_US = 'semtech-packet_forwarder/global_conf.json.US902.basic';

const CASES: Array<{ region: GatewayRegion; chip: Chip; ref: string }> = [
  { region: 'EU868', chip: 'sx1302', ref: SX1302_EU },
  { region: 'EU868', chip: 'sx1301', ref: PF_EU },
  { region: 'US915', chip: 'sx1302', ref: SX1302_US },
  { region: 'US915', chip: 'sx1301', ref: PF_US },
  ...(['AS923_1', 'AS923_2', 'AS923_3', 'AS923_4'] as const).flatMap((region) => [
    { region, chip: 'sx1302' as const, ref: SX1302_AS },
    // Semtech ships no SX1301 AS923 file: the EU868 default gives the structure and the gain table.
    { region, chip: 'sx1301' as const, ref: PF_EU },
  ]),
];

interface Allowed {
  kinds: Difference['kind'][];
  path: RegExp;
  when?: (c: { region: GatewayRegion; chip: Chip }) => boolean;
  reason: string;
}
const as923 = (c: { region: GatewayRegion }) => c.region.startsWith('AS923');

/** The intended differences from Semtech's references. The docs (docs/operating/lorawan-gateways.mdx) repeat them. */
export const INTENDED_DIFFERENCES: Allowed[] = [
  {
    kinds: ['changed'],
    path: /^gateway_conf\.(gateway_ID|server_address)$/,
    reason:
      'per gateway: its EUI and the site’s ChirpStack host (Semtech’s files hold placeholders AA555A0000000000 and localhost)',
  },
  {
    kinds: ['changed'],
    path: /^gateway_conf\.serv_port_(up|down)$/,
    reason: 'UDP 1700, where the ChirpStack gateway bridge listens (Semtech’s examples use 1680 and 1730)',
  },
  {
    kinds: ['missing'],
    path: /^gateway_conf\.(gps_tty_path|ref_(latitude|longitude|altitude)|beacon_\w+)$/,
    reason: 'no GPS and no class B beaconing by default: a gateway with a GPS adds them in local_conf.json',
  },
  {
    kinds: ['missing'],
    path: /^debug_conf\./,
    reason: 'sx1302_hal debug settings (reference payload ids, HAL log file) are for Semtech’s test benches',
  },
  {
    kinds: ['missing'],
    path: /^SX130x_conf\.sx1261_conf\./,
    reason:
      'the SX1261 companion radio (LBT, spectral scan) is not on every Corecell; without the section the HAL leaves it off',
  },
  {
    kinds: ['missing'],
    path: /^SX130x_conf\.chan_multiSF_All\./,
    reason: 'spreading_factor_enable: the HAL default (SF7–12) is LoRaWAN’s set; SF5/6 are not LoRaWAN data rates',
  },
  {
    kinds: ['missing'],
    path: /^SX1301_conf\.lbt_cfg\./,
    reason: 'listen-before-talk is off in Semtech’s file too (enable false), and needs an SX127x on the board',
  },
  {
    kinds: ['missing'],
    path: /^SX1301_conf\.radio_0\.tx_notch_freq$/,
    reason: 'Semtech’s value 129 kHz is the HAL default (LGW_DEFAULT_NOTCH_FREQ)',
  },
  {
    kinds: ['missing'],
    path: /^SX13\w+_conf\.chan_FSK\.(radio|if|bandwidth|datarate)$/,
    when: (c) => c.region === 'US915',
    reason: 'US915 has no FSK channel: the packet forwarder ignores the other keys of a disabled channel',
  },
  {
    kinds: ['changed'],
    path: /^SX1301_conf\.radio_[01]\.freq$/,
    when: (c) => c.region === 'US915' && c.chip === 'sx1301',
    reason:
      'sub-band 2 (903.9–905.3 MHz, ChirpStack’s us915_1) with Semtech’s sx1302 US915 radio layout (904.3 / 905.0 MHz); Semtech’s US902 SX1301 file is sub-band 1 (902.7 / 903.4 MHz)',
  },
  {
    kinds: ['changed'],
    path: /^SX1301_conf\.radio_0\.tx_freq_min$/,
    when: (c) => c.region === 'US915' && c.chip === 'sx1301',
    reason: 'TX from 923 MHz, where US915 downlinks start (Semtech’s US902 file opens the whole 902–928 MHz band)',
  },
  {
    kinds: ['extra'],
    path: /^SX1301_conf\.tx_lut@-?\d+\./,
    when: (c) => c.region === 'US915' && c.chip === 'sx1301',
    reason:
      'Semtech’s US902 file has no TX gain table (lora_gateway then uses its built-in one); we write the reference design’s table from global_conf.json, entry for entry',
  },
  {
    kinds: ['changed'],
    path: /^SX130x_conf\.com_(type|path)$/,
    when: as923,
    reason:
      'Semtech’s only AS923 file is for the USB Corecell (/dev/ttyACM0); our gateways use the SPI Corecell like Semtech’s EU868 and US915 files',
  },
  {
    kinds: ['missing'],
    path: /^SX130x_conf\.radio_0\.tx_gain_lut@(0|1[7-9]|2\d)\./,
    when: as923,
    reason:
      'the table stops at AS923’s 16 dBm EIRP (RP002 default MaxEIRP); Semtech’s USB file goes to 24 dBm and has a 0 dBm entry',
  },
  {
    kinds: ['missing'],
    path: /^SX1301_conf\.tx_lut@(2\d)\./,
    when: as923,
    reason: 'the table stops at AS923’s 16 dBm EIRP (RP002 default MaxEIRP)',
  },
  {
    kinds: ['changed'],
    path: /^SX13\w+_conf\.(radio_[01]\.(freq|tx_freq_min|tx_freq_max)|chan_\w+\.(radio|if|bandwidth|spread_factor|enable))$/,
    when: as923,
    reason:
      'RP002 AS923-1…4 plans (923.2/923.4 MHz minus the sub-plan’s offset, then six channels 200 kHz apart, LoRa std SF7BW250 and FSK above); Semtech’s AS923 file is a Japan plan (922.0–923.4 MHz, 500 kHz std channel) and its SX1301 stand-in is EU868. The absolute frequencies are checked against RP002 below',
  },
];

const used = new Set<Allowed>();
const render = (region: GatewayRegion, chip: Chip) =>
  renderGlobalConf(
    configureGatewayWithSchema.parse({
      region,
      concentrator: chip,
      server: 'cs-farm-north',
      gateway_eui: '0016c001ff10a235',
    }),
  );
const fileName = (region: GatewayRegion, chip: Chip) => `${region.toLowerCase()}-${chip}.json`;
const golden = (name: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/gateway', name), 'utf8');

describe('global_conf.json against Semtech’s reference files, key by key', () => {
  it.each(CASES)('$region on $chip differs from $ref only as intended', ({ region, chip, ref }) => {
    const diffs = diffConf(render(region, chip), reference(ref));
    const unexplained = diffs.filter((d) => {
      const rule = INTENDED_DIFFERENCES.find(
        (a) => a.kinds.includes(d.kind) && a.path.test(d.path) && (!a.when || a.when({ region, chip })),
      );
      if (rule) used.add(rule);
      return !rule;
    });
    expect(unexplained).toEqual([]);
    // Everything not in the allow-list is identical: the keys Semtech sets are set, with Semtech's values.
    const same = [...flatten(render(region, chip)).keys()].filter((k) => !diffs.some((d) => d.path === k));
    expect(same.length).toBeGreaterThan(20);
  });

  it('every intended difference is still a difference (no stale allow-list entry)', () => {
    expect(INTENDED_DIFFERENCES.filter((a) => !used.has(a)).map((a) => a.reason)).toEqual([]);
  });

  it.each(CASES)('$region on $chip renders exactly the golden file and passes the HAL check', ({ region, chip }) => {
    const opts = configureGatewayWithSchema.parse({
      region,
      concentrator: chip,
      server: 'cs-farm-north',
      gateway_eui: '0016c001ff10a235',
    });
    expect(renderGlobalConfJson(opts)).toBe(golden(fileName(region, chip)));
    const check = checkGlobalConf(render(region, chip), { region, port: 1700 });
    expect(check.problems).toEqual([]);
    expect(check.chip).toBe(chip);
  });

  it('every TX gain entry is Semtech’s entry for the same power (SX1250: sx1302_hal EU868; SX1257: packet_forwarder)', () => {
    const sx1250 = flatten(reference(SX1302_EU));
    const sx1257 = flatten(reference(PF_EU));
    let compared = 0;
    for (const { region, chip } of CASES) {
      for (const [key, value] of flatten(render(region, chip))) {
        const m = /(tx_gain_lut|tx_lut)@(-?\d+)\.(\w+)$/.exec(key);
        if (!m) continue;
        const refKey =
          chip === 'sx1302' ? `SX130x_conf.radio_0.tx_gain_lut@${m[2]}.${m[3]}` : `SX1301_conf.tx_lut@${m[2]}.${m[3]}`;
        expect([key, (chip === 'sx1302' ? sx1250 : sx1257).get(refKey)]).toEqual([key, value]);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(300);
  });

  it('the SX1250 14 dBm entry is pa_gain 0 / pwr_idx 17, as in Semtech’s table (not pa_gain 1 / pwr_idx 6, which is 23 dBm)', () => {
    const lut = (render('EU868', 'sx1302').SX130x_conf as Record<string, Record<string, unknown>>).radio_0!
      .tx_gain_lut as Array<Record<string, number>>;
    expect(lut.find((e) => e.rf_power === 14)).toEqual({ rf_power: 14, pa_gain: 0, pwr_idx: 17 });
    expect(lut.map((e) => e.rf_power)).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]);
    const as = (render('AS923_3', 'sx1302').SX130x_conf as Record<string, Record<string, unknown>>).radio_0!
      .tx_gain_lut as Array<Record<string, number>>;
    expect(as.map((e) => e.rf_power)).toEqual([12, 13, 14, 15, 16]);
  });
});

describe('channel plans against the LoRaWAN Regional Parameters (RP002)', () => {
  // RP002: AS923-n = AS923-1's channels minus AS923_FREQ_OFFSET (0, 1.8, 6.6, 5.9 MHz).
  it.each([
    ['EU868', [868.1, 868.3, 868.5, 867.1, 867.3, 867.5, 867.7, 867.9], 868.3, 868.8],
    ['US915', [903.9, 904.1, 904.3, 904.5, 904.7, 904.9, 905.1, 905.3], 904.6, null],
    ['AS923_1', [923.2, 923.4, 923.6, 923.8, 924.0, 924.2, 924.4, 924.6], 924.5, 924.8],
    ['AS923_2', [921.4, 921.6, 921.8, 922.0, 922.2, 922.4, 922.6, 922.8], 922.7, 923.0],
    ['AS923_3', [916.6, 916.8, 917.0, 917.2, 917.4, 917.6, 917.8, 918.0], 917.9, 918.2],
    ['AS923_4', [917.3, 917.5, 917.7, 917.9, 918.1, 918.3, 918.5, 918.7], 918.6, 918.9],
  ] as const)('%s puts its channels on the regional plan frequencies', (region, multiSF, loraStd, fsk) => {
    const f = channelFrequencies(region);
    expect(f.multiSF.map((hz) => hz / 1e6)).toEqual(multiSF);
    expect(f.loraStd / 1e6).toBe(loraStd);
    expect(f.fsk === null ? null : f.fsk / 1e6).toBe(fsk);
  });

  it('US915 sub-band 2 is channels 8–15 (902.3 + 0.2 n MHz) plus channel 65 (903.0 + 1.6 MHz, 500 kHz, SF8) at IF +300 kHz on radio 0', () => {
    const f = channelFrequencies('US915');
    expect(f.multiSF).toEqual([8, 9, 10, 11, 12, 13, 14, 15].map((n) => Math.round((902.3 + 0.2 * n) * 1e6)));
    expect(f.loraStd).toBe(Math.round((903.0 + 1.6 * 1) * 1e6));
    for (const chip of ['sx1301', 'sx1302'] as const) {
      const conf = render('US915', chip);
      const sx = (conf.SX1301_conf ?? conf.SX130x_conf) as Record<string, Record<string, unknown>>;
      expect(sx.chan_Lora_std).toMatchObject({ radio: 0, if: 300_000, bandwidth: 500_000, spread_factor: 8 });
      expect(sx.radio_0!.freq).toBe(904_300_000);
      expect(sx.chan_FSK).toEqual({ enable: false });
    }
  });
});

afterAll(() => used.clear());
