import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configureGatewayWithSchema } from '../../data-api/src/automation/actions/configure_gateway.schema.ts';
import { channelFrequencies, REGION_PLANS, renderGlobalConf, renderGlobalConfJson } from '../../data-api/src/automation/gateway-conf.ts';

const golden = (name: string) => fs.readFileSync(path.resolve(__dirname, '../fixtures/gateway', name), 'utf8');
const opts = (region: string, concentrator = 'sx1302') =>
  configureGatewayWithSchema.parse({ region, concentrator, server: 'cs-farm-north', gateway_eui: '0016c001ff10a235' });

describe('configure_gateway: Semtech UDP packet forwarder global_conf.json', () => {
  it.each([
    ['AS923_1', 'sx1302', 'as923_1-sx1302.json'],
    ['EU868', 'sx1302', 'eu868-sx1302.json'],
    ['US915', 'sx1302', 'us915-sx1302.json'],
    ['EU868', 'sx1301', 'eu868-sx1301.json'],
  ])('%s on %s renders exactly the golden file %s', (region, concentrator, file) => {
    expect(renderGlobalConfJson(opts(region, concentrator))).toBe(golden(file));
  });

  // LoRaWAN Regional Parameters (RP002) and the 8-channel plans TTN and ChirpStack publish.
  it.each([
    ['EU868', [868.1, 868.3, 868.5, 867.1, 867.3, 867.5, 867.7, 867.9], 868.3, 868.8],
    ['US915', [903.9, 904.1, 904.3, 904.5, 904.7, 904.9, 905.1, 905.3], 904.6, null],
    ['AS923_1', [923.2, 923.4, 923.6, 923.8, 924.0, 924.2, 924.4, 924.6], 924.5, 924.8],
  ] as const)('%s puts its channels on the regional plan frequencies', (region, multiSF, loraStd, fsk) => {
    const f = channelFrequencies(region);
    expect(f.multiSF.map((hz) => hz / 1e6)).toEqual(multiSF);
    expect(f.loraStd / 1e6).toBe(loraStd);
    expect(f.fsk === null ? null : f.fsk / 1e6).toBe(fsk);
  });

  it('US915 sub-band 2 is channels 8–15 (902.3 + 0.2 n MHz) plus channel 65 (903.0 + 1.6 × 1 = 904.6 MHz, 500 kHz, SF8)', () => {
    const f = channelFrequencies('US915');
    // RP002: upstream 125 kHz channel n at 902.3 + 0.2 n MHz; 500 kHz channel 64 + k at 903.0 + 1.6 k MHz.
    expect(f.multiSF).toEqual([8, 9, 10, 11, 12, 13, 14, 15].map((n) => Math.round((902.3 + 0.2 * n) * 1e6)));
    expect(f.loraStd).toBe(Math.round((903.0 + 1.6 * 1) * 1e6));
    const conf = renderGlobalConf(opts('US915')) as { SX130x_conf: Record<string, { bandwidth?: number; spread_factor?: number; enable?: boolean }> };
    expect(conf.SX130x_conf.chan_Lora_std).toMatchObject({ bandwidth: 500_000, spread_factor: 8 });
    expect(conf.SX130x_conf.chan_FSK).toEqual({ enable: false });
  });

  it('every channel sits within ±400 kHz of its radio centre (what the concentrator can receive)', () => {
    for (const plan of Object.values(REGION_PLANS)) {
      for (const c of [...plan.multiSF, plan.loraStd, ...(plan.fsk ? [plan.fsk] : [])]) expect(Math.abs(c.if)).toBeLessThanOrEqual(400_000);
      const f = [...plan.multiSF.map((c) => plan.radios[c.radio] + c.if)];
      expect(new Set(f).size).toBe(8);
    }
  });

  it('gateway_conf: EUI upper-cased, server, and port 1700 up and down by default', () => {
    const conf = renderGlobalConf(opts('AS923_1')) as { gateway_conf: Record<string, unknown> };
    expect(conf.gateway_conf).toMatchObject({ gateway_ID: '0016C001FF10A235', server_address: 'cs-farm-north', serv_port_up: 1700, serv_port_down: 1700 });
    const other = renderGlobalConf({ ...opts('AS923_1'), port: 1701 }) as { gateway_conf: Record<string, unknown> };
    expect(other.gateway_conf).toMatchObject({ serv_port_up: 1701, serv_port_down: 1701 });
  });

  it('refuses an unknown region and a malformed EUI', () => {
    expect(configureGatewayWithSchema.safeParse({ region: 'AU915', server: 'x' }).success).toBe(false);
    expect(configureGatewayWithSchema.safeParse({ region: 'EU868', server: 'x', gateway_eui: 'xyz' }).success).toBe(false);
  });
});
