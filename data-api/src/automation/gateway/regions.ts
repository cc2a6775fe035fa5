// Region plans of the gateways we deploy: 8 multi-SF channels, one LoRa standard channel and
// one FSK channel on the two radios of a Semtech concentrator, following the LoRaWAN Regional
// Parameters (RP002-1.0.3) and the layouts Semtech ships in its reference global_conf.json files.
//   EU868    868.1 868.3 868.5 (default) + 867.1 … 867.9; LoRa std 868.3 SF7BW250; FSK 868.8
//   US915    sub-band 2: channels 8–15 = 903.9 … 905.3 (125 kHz) + channel 65 = 904.6 (500 kHz,
//            SF8) on radio 0 at IF +300 kHz, Semtech's sx1302 US915 layout (radio 0 at 904.3 MHz):
//            +400 kHz is beyond an SX1301 radio's window for a 500 kHz channel and the HAL refuses it
//   AS923_n  two default channels (RP002: 923.2 and 923.4 MHz minus AS923_FREQ_OFFSET) + six more
//            at 200 kHz spacing; LoRa std SF7BW250 and FSK above them. The offsets are
//            0 (AS923-1), −1.8 MHz (AS923-2), −6.6 MHz (AS923-3) and −5.9 MHz (AS923-4).
// A channel is (radio, IF offset from the radio's centre); validate.ts holds the HAL's windows.
import type { GatewayRegion } from '../../contracts/actions/configure_gateway.ts';

export interface ChannelSlot {
  radio: 0 | 1;
  if: number;
}

/** What a regulator and RP002 allow in a region (shared by the AS923 sub-plans). */
export interface RegionLimits {
  name: 'EU868' | 'US915' | 'AS923';
  /** Every receive channel, edge to edge, lies in this band (Hz). */
  band: { min: number; max: number };
  /** The transmit band (tx_freq_min / tx_freq_max must lie inside). */
  txBand: { min: number; max: number };
  /** Highest EIRP a downlink may use in any sub-band of the region (dBm). */
  maxEirpDbm: number;
  why: string;
}

export interface RegionPlan {
  region: GatewayRegion;
  limits: RegionLimits;
  radios: [number, number];
  txFreq: { min: number; max: number };
  multiSF: ChannelSlot[];
  loraStd: ChannelSlot & { bandwidth: number; spread_factor: number };
  fsk: (ChannelSlot & { bandwidth: number; datarate: number }) | null;
  chirpstack: ChirpstackRegion;
}

/** How ChirpStack v4 must be configured for the same plan (its region_<id>.toml). */
export interface ChirpstackRegion {
  /** `[[regions]] id` of ChirpStack's example region file. */
  id: string;
  /** Uplink channels ChirpStack's region file declares by default (Hz). */
  defaultChannels: number[];
  /** US915/AU915 style: `enabled_uplink_channels` (channel indices). */
  enabledUplinkChannels?: number[];
}

const kHz = 1000;
const MHz = 1_000_000;

export const REGION_LIMITS: Record<RegionLimits['name'], RegionLimits> = {
  EU868: {
    name: 'EU868',
    band: { min: 863 * MHz, max: 870 * MHz },
    txBand: { min: 863 * MHz, max: 870 * MHz },
    maxEirpDbm: 27,
    why: 'ETSI EN 300 220: 27 dBm (500 mW ERP) only in 869.4–869.65 MHz (RX2), 14–16 dBm elsewhere',
  },
  US915: {
    name: 'US915',
    band: { min: 902 * MHz, max: 928 * MHz },
    // Downlinks use 923.3–927.5 MHz, but the ISM band is what a TX range may span (Semtech's US902 file: 902–928).
    txBand: { min: 902 * MHz, max: 928 * MHz },
    maxEirpDbm: 30,
    why: 'FCC part 15.247: 30 dBm (1 W) conducted',
  },
  AS923: {
    name: 'AS923',
    band: { min: 915 * MHz, max: 928 * MHz },
    txBand: { min: 915 * MHz, max: 928 * MHz },
    maxEirpDbm: 16,
    why: 'RP002 AS923 default MaxEIRP 16 dBm (some countries allow more; raise it per site, not here)',
  },
};

/** The regional parameters' AS923_FREQ_OFFSET of each AS923 sub-plan (Hz). */
export const AS923_OFFSETS = { AS923_1: 0, AS923_2: -1_800_000, AS923_3: -6_600_000, AS923_4: -5_900_000 } as const;

function as923(region: keyof typeof AS923_OFFSETS, chirpstackId: string): RegionPlan {
  const o = AS923_OFFSETS[region];
  return {
    region,
    limits: REGION_LIMITS.AS923,
    radios: [923_600_000 + o, 924_600_000 + o],
    txFreq: { min: 923_000_000 + o, max: 925_000_000 + o },
    multiSF: [
      { radio: 0, if: -400 * kHz }, // 923.2 + offset (default)
      { radio: 0, if: -200 * kHz }, // 923.4 + offset (default)
      { radio: 0, if: 0 }, // 923.6
      { radio: 0, if: 200 * kHz }, // 923.8
      { radio: 0, if: 400 * kHz }, // 924.0
      { radio: 1, if: -400 * kHz }, // 924.2
      { radio: 1, if: -200 * kHz }, // 924.4
      { radio: 1, if: 0 }, // 924.6
    ],
    loraStd: { radio: 1, if: -100 * kHz, bandwidth: 250_000, spread_factor: 7 }, // 924.5
    fsk: { radio: 1, if: 200 * kHz, bandwidth: 125_000, datarate: 50_000 }, // 924.8
    chirpstack: { id: chirpstackId, defaultChannels: [923_200_000 + o, 923_400_000 + o] },
  };
}

export const REGION_PLANS: Record<GatewayRegion, RegionPlan> = {
  EU868: {
    region: 'EU868',
    limits: REGION_LIMITS.EU868,
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
    // ChirpStack's region_eu868.toml already lists 867.1 … 867.9 as extra channels.
    chirpstack: {
      id: 'eu868',
      defaultChannels: [
        868_100_000, 868_300_000, 868_500_000, 867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000,
      ],
    },
  },
  US915: {
    region: 'US915',
    limits: REGION_LIMITS.US915,
    radios: [904_300_000, 905_000_000],
    txFreq: { min: 923_000_000, max: 928_000_000 },
    multiSF: [
      { radio: 0, if: -400 * kHz }, // 903.9 (channel 8)
      { radio: 0, if: -200 * kHz }, // 904.1
      { radio: 0, if: 0 }, // 904.3
      { radio: 0, if: 200 * kHz }, // 904.5
      { radio: 1, if: -300 * kHz }, // 904.7
      { radio: 1, if: -100 * kHz }, // 904.9
      { radio: 1, if: 100 * kHz }, // 905.1
      { radio: 1, if: 300 * kHz }, // 905.3 (channel 15)
    ],
    loraStd: { radio: 0, if: 300 * kHz, bandwidth: 500_000, spread_factor: 8 }, // 904.6 (channel 65)
    fsk: null,
    chirpstack: { id: 'us915_1', defaultChannels: [], enabledUplinkChannels: [8, 9, 10, 11, 12, 13, 14, 15, 65] },
  },
  AS923_1: as923('AS923_1', 'as923'),
  AS923_2: as923('AS923_2', 'as923_2'),
  AS923_3: as923('AS923_3', 'as923_3'),
  AS923_4: as923('AS923_4', 'as923_4'),
};

/** Absolute frequencies (Hz) of a plan's channels. */
export function channelFrequencies(region: GatewayRegion): { multiSF: number[]; loraStd: number; fsk: number | null } {
  const plan = REGION_PLANS[region];
  return {
    multiSF: plan.multiSF.map((c) => plan.radios[c.radio] + c.if),
    loraStd: plan.radios[plan.loraStd.radio] + plan.loraStd.if,
    fsk: plan.fsk ? plan.radios[plan.fsk.radio] + plan.fsk.if : null,
  };
}
