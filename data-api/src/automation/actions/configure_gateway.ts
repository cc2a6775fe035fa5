// configure_gateway: render global_conf.json for the region plan (gateway/render.ts), check it
// as the HAL would (gateway/validate.ts: a plan the concentrator refuses never leaves here),
// keep it as a run artifact and, with `output`, write it where the forwarder (or a sync job)
// reads it. The log says which ChirpStack extra_channels the plan needs.
import fs from 'node:fs';
import path from 'node:path';
import { chirpstackRegionAdvice } from '../gateway/chirpstack-region.ts';
import { channelFrequencies, renderGlobalConf } from '../gateway/render.ts';
import { checkGlobalConf, formatProblems } from '../gateway/validate.ts';
import { configureGatewayDefinition, type ConfigureGatewayWith } from '../../contracts/actions/configure_gateway.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

const mhz = (hz: number) => (hz / 1e6).toFixed(1);

async function execute(ctx: ActionContext<ConfigureGatewayWith>) {
  const w = ctx.with;
  const conf = renderGlobalConf(w);
  const check = checkGlobalConf(conf, { region: w.region, port: w.port });
  for (const line of formatProblems(check.problems)) ctx.log(line);
  if (!check.ok)
    throw new ActionError(
      `global_conf.json for ${w.region} on ${w.concentrator} would be refused: ${check.problems.find((p) => p.severity === 'error')!.message}`,
    );
  const json = `${JSON.stringify(conf, null, 2)}\n`;
  const f = channelFrequencies(w.region);
  ctx.log(
    `region ${w.region}, ${w.concentrator}: multi-SF ${f.multiSF.map(mhz).join(' ')} MHz; LoRa std ${mhz(f.loraStd)} MHz; FSK ${f.fsk ? `${mhz(f.fsk)} MHz` : 'off'}`,
  );
  ctx.log(`gateway_conf: gateway_ID ${w.gateway_eui.toUpperCase()}, server ${w.server}, UDP ports up/down ${w.port}`);
  const advice = chirpstackRegionAdvice(w.region);
  ctx.log(
    advice.extraChannels.length
      ? `ChirpStack region ${advice.regionId} needs extra_channels ${advice.extraChannels.map(mhz).join(' ')} MHz (fleetbook gateway conf --region ${w.region} --chirpstack prints the TOML)`
      : `ChirpStack region ${advice.regionId}: ${advice.toml
          .split('\n')
          .filter((l) => l && !l.startsWith('# ChirpStack'))
          .join(' ')}`,
  );
  const artifact = await ctx.artifact('global_conf.json', json, 'application/json');
  ctx.log(`kept global_conf.json (${Buffer.byteLength(json)} bytes) as a run artifact`);
  if (w.output) {
    fs.mkdirSync(path.dirname(path.resolve(w.output)), { recursive: true });
    fs.writeFileSync(w.output, json);
    ctx.log(`wrote ${w.output}`);
  }
  return {
    outputs: { region: w.region, file: artifact, ...(w.output ? { output: w.output } : {}) },
    summary: `global_conf.json for ${w.region} → ${w.server}:${w.port}`,
  };
}

export const configureGateway: ActionModule<ConfigureGatewayWith> = {
  definition: configureGatewayDefinition,
  execute,
  plan: (w) => [
    `render global_conf.json (${w.concentrator}, ${w.region}) for ${w.server}:${w.port}, check it as the HAL would${w.output ? `, write ${w.output}` : ''}`,
  ],
};
