// configure_gateway: render global_conf.json for the region plan (see gateway-conf.ts), keep
// it as a run artifact and, with `output`, write it where the forwarder (or a sync job) reads it.
import fs from 'node:fs';
import path from 'node:path';
import { channelFrequencies, renderGlobalConfJson } from '../gateway-conf.ts';
import { configureGatewayDefinition, type ConfigureGatewayWith } from './configure_gateway.schema.ts';
import type { ActionContext, ActionModule } from './types.ts';

const mhz = (hz: number) => (hz / 1e6).toFixed(1);

async function execute(ctx: ActionContext<ConfigureGatewayWith>) {
  const w = ctx.with;
  const json = renderGlobalConfJson(w);
  const f = channelFrequencies(w.region);
  ctx.log(`region ${w.region}, ${w.concentrator}: multi-SF ${f.multiSF.map(mhz).join(' ')} MHz; LoRa std ${mhz(f.loraStd)} MHz; FSK ${f.fsk ? `${mhz(f.fsk)} MHz` : 'off'}`);
  ctx.log(`gateway_conf: gateway_ID ${w.gateway_eui.toUpperCase()}, server ${w.server}, UDP ports up/down ${w.port}`);
  const artifact = await ctx.artifact('global_conf.json', json, 'application/json');
  ctx.log(`kept global_conf.json (${Buffer.byteLength(json)} bytes) as a run artifact`);
  if (w.output) {
    fs.mkdirSync(path.dirname(path.resolve(w.output)), { recursive: true });
    fs.writeFileSync(w.output, json);
    ctx.log(`wrote ${w.output}`);
  }
  return { outputs: { region: w.region, file: artifact, ...(w.output ? { output: w.output } : {}) }, summary: `global_conf.json for ${w.region} → ${w.server}:${w.port}` };
}

export const configureGateway: ActionModule<ConfigureGatewayWith> = {
  definition: configureGatewayDefinition,
  execute,
  plan: (w) => [`render global_conf.json (${w.concentrator}, ${w.region}) for ${w.server}:${w.port}${w.output ? `, write ${w.output}` : ''}`],
};
