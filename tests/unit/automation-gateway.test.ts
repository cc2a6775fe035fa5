import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureGatewayWithSchema } from '../../data-api/src/contracts/actions/configure_gateway.ts';
import { chirpstackRegionAdvice } from '../../data-api/src/automation/gateway/chirpstack-region.ts';
import { JsoncError, parseJsonc } from '../../data-api/src/automation/gateway/jsonc.ts';
import { renderGlobalConf } from '../../data-api/src/automation/gateway/render.ts';
import { checkGlobalConf } from '../../data-api/src/automation/gateway/validate.ts';
import { PEERS } from '../helpers/conf-diff.ts';

const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/gateway', name), 'utf8');
const checkText = (text: string, opts: Parameters<typeof checkGlobalConf>[1] = {}) => {
  const parsed = parseJsonc(text);
  return checkGlobalConf(parsed.value, { ...opts, lines: parsed.lines });
};
const errors = (c: ReturnType<typeof checkGlobalConf>) => c.problems.filter((p) => p.severity === 'error');
const conf = (region: string, concentrator = 'sx1302') =>
  renderGlobalConf(
    configureGatewayWithSchema.parse({
      region,
      concentrator,
      server: 'cs-farm-north',
      gateway_eui: '0016c001ff10a235',
    }),
  ) as Record<string, Record<string, any>>;

describe('the HAL-equivalent check of global_conf.json', () => {
  it('refuses the US915 plan fleetbook generated before (500 kHz channel at IF +400 kHz on an SX1301) with the HAL’s reason', () => {
    const check = checkText(fixture('us915-sx1301-before-fix.json'));
    expect(check.ok).toBe(false);
    expect(errors(check)).toEqual([
      {
        severity: 'error',
        path: 'SX1301_conf.chan_Lora_std.if',
        line: 65,
        message:
          'IF FREQUENCY 400000 TOO HIGH (lora_gateway refuses it and lora_pkt_fwd exits): |if| + bandwidth/2 = 650 kHz is beyond 550 kHz, ' +
          "half the radio's 1,100 kHz RX window for 500 kHz channels; keep |if| ≤ 300 kHz",
      },
    ]);
  });

  it('refuses the SX1250 table fleetbook generated before: its "14 dBm" entry is 23 dBm by Semtech’s table', () => {
    const check = checkText(fixture('eu868-sx1302-before-fix.json'), { region: 'EU868' });
    const e14 = errors(check).find((p) => p.path === 'SX130x_conf.radio_0.tx_gain_lut[2].rf_power');
    expect(e14?.message).toBe(
      "claims 14 dBm, but Semtech's SX1250 table gives 23 dBm for pa_gain 1 / pwr_idx 6: the radio would send 9 dB more than the network server asked for",
    );
    // pwr_idx 15 … 20 with pa_gain 1 are not in Semtech's table: no claim to compare, but idx > 22 would be refused.
    expect(errors(check).length).toBe(7);
  });

  it.each([
    ['semtech-packet_forwarder/global_conf.json', 'EU868', 10],
    ['semtech-packet_forwarder/global_conf.json.PCB_E336.EU868.basic', 'EU868', 10],
    ['semtech-packet_forwarder/global_conf.json.US902.basic', 'US915', 9],
    ['semtech-sx1302_hal/global_conf.json.sx1250.EU868', 'EU868', 10],
    ['semtech-sx1302_hal/global_conf.json.sx1250.US915', 'US915', 9],
    ['semtech-sx1302_hal/global_conf.json.sx1250.AS923.USB', 'AS923', 9],
  ])('accepts Semtech’s own %s (comments and all): %s, %i channels', (file, region, channels) => {
    const check = checkText(fs.readFileSync(path.join(PEERS, file), 'utf8'));
    expect(errors(check)).toEqual([]);
    expect(check.region).toBe(region);
    expect(check.channels.length).toBe(channels);
  });

  it('says why an AS923 table above 16 dBm is unusual, without refusing Semtech’s USB file', () => {
    const check = checkText(
      fs.readFileSync(path.join(PEERS, 'semtech-sx1302_hal/global_conf.json.sx1250.AS923.USB'), 'utf8'),
    );
    expect(check.region).toBe('AS923');
    expect(check.problems.filter((p) => p.message.includes("AS923's 16 dBm EIRP")).map((p) => p.line)).toEqual([
      54, 55, 56, 57, 58, 59, 60, 61,
    ]);
  });

  it('refuses what lgw_txgain_setconf refuses, and a table that does not rise', () => {
    const c = conf('EU868');
    const lut = c.SX130x_conf!.radio_0.tx_gain_lut as Array<Record<string, number>>;
    lut[3] = { rf_power: 15, pa_gain: 0, pwr_idx: 23 };
    lut[5] = { rf_power: 14, pa_gain: 0, pwr_idx: 17 };
    lut[6]!.dig_gain = 4;
    const msgs = errors(checkGlobalConf(c)).map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toEqual([
      'SX130x_conf.radio_0.tx_gain_lut[3].pwr_idx: TX gain LUT: SX1250 power index must not exceed 22 (got 23)',
      'SX130x_conf.radio_0.tx_gain_lut[5].rf_power: rf_power 14 dBm after 16 dBm: the table must rise monotonically (the packet forwarder picks the highest entry not above the requested power)',
      'SX130x_conf.radio_0.tx_gain_lut[6].dig_gain: TX gain LUT: SX1302 digital gain must be between 0 and 3 (got 4)',
    ]);
    lut.push(...lut.slice(0, 2));
    expect(errors(checkGlobalConf(c)).map((p) => p.message)).toContain(
      'TX gain LUT must have at least one entry and maximum 16 entries (sx1302_hal; this one has 18)',
    );
  });

  it('refuses an SX1301 mixer gain outside 5–15 and a missing table on an SX1250 TX radio', () => {
    const old = conf('EU868', 'sx1301');
    old.SX1301_conf!.tx_lut_3.mix_gain = 4;
    expect(errors(checkGlobalConf(old)).map((p) => p.message)).toEqual([
      'TX gain LUT: SX1257 mixer gain must be between [5..15] (got 4)',
    ]);
    const c = conf('US915');
    delete c.SX130x_conf!.radio_0.tx_gain_lut;
    expect(errors(checkGlobalConf(c)).map((p) => p.message)).toEqual([
      'a TX radio needs a tx_gain_lut: without one lgw_txgain_setconf fails and the packet forwarder exits',
    ]);
  });

  it('keeps channels inside their radio window: the SX1302’s is wider (1,600 kHz) than the SX1301’s', () => {
    const c = conf('EU868');
    c.SX130x_conf!.chan_multiSF_7.if = 700_000; // 700 + 62.5 = 762.5 ≤ 800: fine on the sx1302
    expect(errors(checkGlobalConf(c, { region: 'EU868' }))).toEqual([]);
    c.SX130x_conf!.chan_multiSF_7.if = -750_000;
    expect(errors(checkGlobalConf(c, { region: 'EU868' })).map((p) => p.message)[0]).toMatch(
      /^IF FREQUENCY -750000 TOO LOW \(sx1302_hal refuses it/,
    );
    const old = conf('EU868', 'sx1301');
    old.SX1301_conf!.chan_multiSF_7.if = 450_000;
    expect(errors(checkGlobalConf(old)).map((p) => p.message)[0]).toMatch(
      /^IF FREQUENCY 450000 TOO HIGH .*925 kHz RX window for 125 kHz channels; keep \|if\| ≤ 400 kHz$/,
    );
  });

  it('checks radios and channels against the region, and a channel on a disabled radio', () => {
    const us = conf('US915');
    const wrongRegion = errors(checkGlobalConf(us, { region: 'EU868' })).map((p) => p.path);
    expect(wrongRegion).toContain('SX130x_conf.radio_0.freq');
    expect(wrongRegion).toContain('SX130x_conf.chan_multiSF_0.if');
    const off = conf('AS923_2');
    off.SX130x_conf!.radio_1.enable = false;
    expect(errors(checkGlobalConf(off)).map((p) => p.message)).toEqual([
      'chan_multiSF_5 is on radio 1, which is disabled: the HAL cannot attach an IF chain to a disabled RF chain',
      'chan_multiSF_6 is on radio 1, which is disabled: the HAL cannot attach an IF chain to a disabled RF chain',
      'chan_multiSF_7 is on radio 1, which is disabled: the HAL cannot attach an IF chain to a disabled RF chain',
      'chan_Lora_std is on radio 1, which is disabled: the HAL cannot attach an IF chain to a disabled RF chain',
      'chan_FSK is on radio 1, which is disabled: the HAL cannot attach an IF chain to a disabled RF chain',
    ]);
  });

  it('ports: 1700 expected; a different port is an error when configure_gateway asked for 1700', () => {
    const c = conf('EU868');
    c.gateway_conf!.serv_port_up = 1680;
    expect(checkGlobalConf(c).problems.map((p) => p.severity)).toEqual(['warning']);
    expect(errors(checkGlobalConf(c, { port: 1700 })).map((p) => p.message)).toEqual([
      'UDP port 1680, but the ChirpStack gateway bridge listens on 1700: uplinks would go nowhere',
    ]);
  });

  it('parses Semtech’s C comments and says where a file is broken', () => {
    const parsed = parseJsonc('{\n  /* a comment */ "a": 1, // another\n  "b": [1, 2]\n}');
    expect(parsed.value).toEqual({ a: 1, b: [1, 2] });
    expect(parsed.lines.get('b')).toBe(3);
    expect(() => parseJsonc('{\n  "a": 1,\n  "b": 2\n  "c": 3\n}')).toThrow(
      new JsoncError('expected "," or "}" after "b", found "\\""', 4, 3),
    );
  });
});

describe('configure_gateway schema and ChirpStack advice', () => {
  it('accepts AS923-2 as well as AS923_2, refuses an unknown region and a malformed EUI', () => {
    expect(configureGatewayWithSchema.parse({ region: 'AS923-2', server: 'x' }).region).toBe('AS923_2');
    const bad = configureGatewayWithSchema.safeParse({ region: 'AU915', server: 'x' });
    expect(bad.success || bad.error.issues[0]!.message).toBe(
      'expected one of EU868, US915, AS923_1, AS923_2, AS923_3, AS923_4 (AS923-1 … AS923-4 also accepted)',
    );
    expect(configureGatewayWithSchema.safeParse({ region: 'EU868', server: 'x', gateway_eui: 'xyz' }).success).toBe(
      false,
    );
  });

  it('lists the six channels ChirpStack’s AS923 files lack as extra_channels, and US915 sub-band 2 as enabled_uplink_channels', () => {
    expect(chirpstackRegionAdvice('AS923_1').extraChannels).toEqual([
      923_600_000, 923_800_000, 924_000_000, 924_200_000, 924_400_000, 924_600_000,
    ]);
    const as3 = chirpstackRegionAdvice('AS923_3');
    expect(as3.regionId).toBe('as923_3');
    expect(as3.toml).toContain('[[regions.network.extra_channels]]\nfrequency=917000000\nmin_dr=0\nmax_dr=5\n');
    expect(as3.toml.match(/extra_channels/g)).toHaveLength(6);
    expect(chirpstackRegionAdvice('EU868').extraChannels).toEqual([]);
    expect(chirpstackRegionAdvice('US915').toml).toContain(
      'enabled_uplink_channels=[8, 9, 10, 11, 12, 13, 14, 15, 65]',
    );
  });
});
