// What ChirpStack v4 needs to agree with a gateway plan. ChirpStack's region files
// (region_<id>.toml) declare only the region's default channels; every other channel the
// gateway listens on must be listed as `[[regions.network.extra_channels]]`, or ChirpStack never
// tells the devices about it (they keep to the defaults). US915 selects its sub-band with
// `enabled_uplink_channels` instead.
import type { GatewayRegion } from '../../contracts/actions/configure_gateway.ts';
import { channelFrequencies, REGION_PLANS } from './regions.ts';

export interface ChirpstackRegionAdvice {
  regionId: string;
  /** Frequencies (Hz) to add as extra channels. */
  extraChannels: number[];
  /** The TOML lines to put in region_<id>.toml under [regions.network]. */
  toml: string;
}

/** Data rates of a 125 kHz multi-SF channel: DR0 (SF12) … DR5 (SF7) in EU868 and AS923. */
const MIN_DR = 0;
const MAX_DR = 5;

export function chirpstackRegionAdvice(region: GatewayRegion): ChirpstackRegionAdvice {
  const plan = REGION_PLANS[region];
  const cs = plan.chirpstack;
  const head = `# ChirpStack v4, region_${cs.id}.toml ([[regions]] id="${cs.id}"), under [regions.network]:`;
  if (cs.enabledUplinkChannels) {
    return {
      regionId: cs.id,
      extraChannels: [],
      toml: `${head}\n# sub-band 2 (channels 8–15 and 65), the channels this gateway listens on\nenabled_uplink_channels=[${cs.enabledUplinkChannels.join(', ')}]\n`,
    };
  }
  const extra = channelFrequencies(region).multiSF.filter((f) => !cs.defaultChannels.includes(f));
  if (!extra.length) {
    return {
      regionId: cs.id,
      extraChannels: [],
      toml: `${head}\n# nothing to add: ChirpStack's file already declares all ${plan.multiSF.length} channels of this plan\n`,
    };
  }
  const blocks = extra.map(
    (f) => `[[regions.network.extra_channels]]\nfrequency=${f}\nmin_dr=${MIN_DR}\nmax_dr=${MAX_DR}\n`,
  );
  return { regionId: cs.id, extraChannels: extra, toml: `${head}\n${blocks.join('\n')}` };
}
