// The Semtech UDP packet forwarder's global_conf.json for a region plan (regions.ts), for an
// SX1302/SX1250 concentrator (sx1302_hal, `SX130x_conf`) or an SX1301/SX1257 one (lora_gateway,
// `SX1301_conf`). Same input, same output: `fleetbook gateway conf` and configure_gateway both
// print this, and the golden tests diff it against Semtech's own files key by key.
import type { ConfigureGatewayWith } from '../../contracts/actions/configure_gateway.ts';
import { REGION_PLANS } from './regions.ts';
import { gainTableFor, SX1250_TX_GAIN_LUT, SX1257_TX_LUT } from './tx-gain.ts';

export { channelFrequencies, REGION_PLANS } from './regions.ts';

const RSSI_TCOMP = { coeff_a: 0, coeff_b: 0, coeff_c: 20.41, coeff_d: 2162.56, coeff_e: 0 };

export type GlobalConfOptions = Pick<
  ConfigureGatewayWith,
  'region' | 'server' | 'port' | 'gateway_eui' | 'concentrator'
>;

/** The global_conf.json object. */
export function renderGlobalConf(opts: GlobalConfOptions): Record<string, unknown> {
  const plan = REGION_PLANS[opts.region];
  const sx1302 = opts.concentrator === 'sx1302';
  const channels: Record<string, unknown> = {};
  plan.multiSF.forEach((c, i) => {
    channels[`chan_multiSF_${i}`] = { enable: true, radio: c.radio, if: c.if };
  });
  channels.chan_Lora_std = {
    enable: true,
    radio: plan.loraStd.radio,
    if: plan.loraStd.if,
    bandwidth: plan.loraStd.bandwidth,
    spread_factor: plan.loraStd.spread_factor,
    ...(sx1302
      ? { implicit_hdr: false, implicit_payload_length: 17, implicit_crc_en: false, implicit_coderate: 1 }
      : {}),
  };
  channels.chan_FSK = plan.fsk ? { enable: true, ...plan.fsk } : { enable: false };

  const radio = (i: 0 | 1) => {
    const tx = i === 0;
    return {
      enable: true,
      type: sx1302 ? 'SX1250' : 'SX1257',
      freq: plan.radios[i],
      rssi_offset: sx1302 ? -215.4 : -166.0,
      ...(sx1302 ? { rssi_tcomp: { ...RSSI_TCOMP } } : {}),
      tx_enable: tx,
      ...(tx ? { tx_freq_min: plan.txFreq.min, tx_freq_max: plan.txFreq.max } : {}),
      ...(tx && sx1302
        ? { tx_gain_lut: gainTableFor(SX1250_TX_GAIN_LUT, plan.limits.maxEirpDbm).map((e) => ({ ...e })) }
        : {}),
    };
  };

  const concentrator = sx1302
    ? {
        SX130x_conf: {
          com_type: 'SPI',
          com_path: '/dev/spidev0.0',
          lorawan_public: true,
          clksrc: 0,
          antenna_gain: 0,
          full_duplex: false,
          fine_timestamp: { enable: false, mode: 'all_sf' },
          radio_0: radio(0),
          radio_1: radio(1),
          ...channels,
        },
      }
    : {
        SX1301_conf: {
          lorawan_public: true,
          clksrc: 1,
          antenna_gain: 0,
          radio_0: radio(0),
          radio_1: radio(1),
          ...channels,
          ...Object.fromEntries(
            gainTableFor(SX1257_TX_LUT, plan.limits.maxEirpDbm).map((e, i) => [`tx_lut_${i}`, { ...e }]),
          ),
        },
      };

  return {
    ...concentrator,
    gateway_conf: {
      gateway_ID: opts.gateway_eui.toUpperCase(),
      server_address: opts.server,
      serv_port_up: opts.port,
      serv_port_down: opts.port,
      keepalive_interval: 10,
      stat_interval: 30,
      push_timeout_ms: 100,
      forward_crc_valid: true,
      forward_crc_error: false,
      forward_crc_disabled: false,
    },
  };
}

export function renderGlobalConfJson(opts: GlobalConfOptions): string {
  return `${JSON.stringify(renderGlobalConf(opts), null, 2)}\n`;
}
