// The Semtech UDP packet forwarder's global_conf.json for the region plans we deploy.
// Channel plans follow the LoRaWAN Regional Parameters (RP002) and the 8-channel layouts TTN
// and ChirpStack publish for 8-channel gateways:
//   EU868    868.1 868.3 868.5 (mandatory) + 867.1 867.3 867.5 867.7 867.9; LoRa std 868.3
//            SF7BW250; FSK 868.8 50 kbit/s
//   US915    sub-band 2: channels 8–15 = 903.9 … 905.3 (125 kHz) + channel 65 = 904.6
//            (500 kHz, SF8); no FSK
//   AS923_1  923.2 923.4 (default channels) + 923.6 … 924.6 (200 kHz spacing); LoRa std 924.5
//            SF7BW250; FSK 924.8 50 kbit/s
// Each radio covers ±400 kHz of its centre; a channel is (radio, IF offset from the centre).
import type { ConfigureGatewayWith, GatewayRegion } from './actions/configure_gateway.schema.ts';

interface MultiSfChannel {
  radio: 0 | 1;
  if: number;
}
interface RegionPlan {
  radios: [number, number];
  txFreq: { min: number; max: number };
  multiSF: MultiSfChannel[];
  loraStd: { radio: 0 | 1; if: number; bandwidth: number; spread_factor: number };
  fsk: { radio: 0 | 1; if: number; bandwidth: number; datarate: number } | null;
}

const kHz = 1000;

export const REGION_PLANS: Record<GatewayRegion, RegionPlan> = {
  EU868: {
    radios: [867_500_000, 868_500_000],
    txFreq: { min: 863_000_000, max: 870_000_000 },
    multiSF: [
      { radio: 1, if: -400 * kHz }, // 868.1
      { radio: 1, if: -200 * kHz }, // 868.3
      { radio: 1, if: 0 }, // 868.5
      { radio: 0, if: -400 * kHz }, // 867.1
      { radio: 0, if: -200 * kHz }, // 867.3
      { radio: 0, if: 0 }, // 867.5
      { radio: 0, if: 200 * kHz }, // 867.7
      { radio: 0, if: 400 * kHz }, // 867.9
    ],
    loraStd: { radio: 1, if: -200 * kHz, bandwidth: 250_000, spread_factor: 7 }, // 868.3
    fsk: { radio: 1, if: 300 * kHz, bandwidth: 125_000, datarate: 50_000 }, // 868.8
  },
  US915: {
    radios: [904_200_000, 905_000_000],
    txFreq: { min: 923_000_000, max: 928_000_000 },
    multiSF: [
      { radio: 0, if: -300 * kHz }, // 903.9 (channel 8)
      { radio: 0, if: -100 * kHz }, // 904.1
      { radio: 0, if: 100 * kHz }, // 904.3
      { radio: 0, if: 300 * kHz }, // 904.5
      { radio: 1, if: -300 * kHz }, // 904.7
      { radio: 1, if: -100 * kHz }, // 904.9
      { radio: 1, if: 100 * kHz }, // 905.1
      { radio: 1, if: 300 * kHz }, // 905.3 (channel 15)
    ],
    loraStd: { radio: 0, if: 400 * kHz, bandwidth: 500_000, spread_factor: 8 }, // 904.6 (channel 65)
    fsk: null,
  },
  AS923_1: {
    radios: [923_600_000, 924_600_000],
    txFreq: { min: 923_200_000, max: 925_000_000 },
    multiSF: [
      { radio: 0, if: -400 * kHz }, // 923.2
      { radio: 0, if: -200 * kHz }, // 923.4
      { radio: 0, if: 0 }, // 923.6
      { radio: 0, if: 200 * kHz }, // 923.8
      { radio: 0, if: 400 * kHz }, // 924.0
      { radio: 1, if: -400 * kHz }, // 924.2
      { radio: 1, if: -200 * kHz }, // 924.4
      { radio: 1, if: 0 }, // 924.6
    ],
    loraStd: { radio: 1, if: -100 * kHz, bandwidth: 250_000, spread_factor: 7 }, // 924.5
    fsk: { radio: 1, if: 200 * kHz, bandwidth: 125_000, datarate: 50_000 }, // 924.8
  },
};

/** Absolute frequencies (Hz) of a plan's channels: what a test compares with the regional parameters. */
export function channelFrequencies(region: GatewayRegion): { multiSF: number[]; loraStd: number; fsk: number | null } {
  const plan = REGION_PLANS[region];
  return {
    multiSF: plan.multiSF.map((c) => plan.radios[c.radio] + c.if),
    loraStd: plan.radios[plan.loraStd.radio] + plan.loraStd.if,
    fsk: plan.fsk ? plan.radios[plan.fsk.radio] + plan.fsk.if : null,
  };
}

// SX1250 reference-design TX gain table (sx1302_hal); calibrate per board in local_conf.json.
const SX1250_TX_GAIN_LUT = [
  [12, 4], [13, 5], [14, 6], [15, 7], [16, 8], [17, 9], [18, 10], [19, 11],
  [20, 12], [21, 13], [22, 14], [23, 15], [24, 16], [25, 17], [26, 19], [27, 20],
].map(([rf_power, pwr_idx]) => ({ rf_power, pa_gain: 1, pwr_idx }));

// SX1301 reference TX gain table (Semtech packet_forwarder / TTN configs), tx_lut_0 … tx_lut_15.
const SX1301_TX_LUT: Array<[pa_gain: number, mix_gain: number, rf_power: number]> = [
  [0, 8, -6], [0, 10, -3], [0, 12, 0], [1, 8, 3], [1, 10, 6], [1, 12, 10], [1, 13, 11], [2, 9, 12],
  [1, 15, 13], [2, 10, 14], [2, 11, 16], [3, 9, 20], [3, 10, 23], [3, 11, 25], [3, 12, 26], [3, 14, 27],
];

const RSSI_TCOMP = { coeff_a: 0, coeff_b: 0, coeff_c: 20.41, coeff_d: 2162.56, coeff_e: 0 };

type Options = Pick<ConfigureGatewayWith, 'region' | 'server' | 'port' | 'gateway_eui' | 'concentrator'>;

/** The global_conf.json object. Same input, same output (golden files hold it). */
export function renderGlobalConf(opts: Options): Record<string, unknown> {
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
    ...(sx1302 ? { implicit_hdr: false, implicit_payload_length: 17, implicit_crc_en: false, implicit_coderate: 1 } : {}),
  };
  channels.chan_FSK = plan.fsk ? { enable: true, ...plan.fsk } : { enable: false };

  const radio = (i: 0 | 1) => {
    const tx = i === 0;
    return {
      enable: true,
      type: sx1302 ? 'SX1250' : 'SX1257',
      freq: plan.radios[i],
      rssi_offset: sx1302 ? -215.4 : -166.0,
      ...(sx1302 ? { rssi_tcomp: RSSI_TCOMP } : {}),
      tx_enable: tx,
      ...(tx ? { tx_freq_min: plan.txFreq.min, tx_freq_max: plan.txFreq.max } : {}),
      ...(tx && sx1302 ? { tx_gain_lut: SX1250_TX_GAIN_LUT } : {}),
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
          ...Object.fromEntries(SX1301_TX_LUT.map(([pa_gain, mix_gain, rf_power], i) => [`tx_lut_${i}`, { pa_gain, mix_gain, rf_power, dig_gain: 0 }])),
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

export function renderGlobalConfJson(opts: Options): string {
  return `${JSON.stringify(renderGlobalConf(opts), null, 2)}\n`;
}
