import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { gatewayRegions } from '../../data-api/src/contracts/actions/configure_gateway.ts';
import {
  chirpstackRegionFile,
  chirpstackRegionFileName,
} from '../../data-api/src/automation/gateway/chirpstack-region-file.ts';
import { channelFrequencies, REGION_PLANS } from '../../data-api/src/automation/gateway/regions.ts';
import { PROJECT_ROOT } from '../../data-api/src/kernel/paths.ts';
import { checkComposeText, formatComposeProblem } from '../helpers/compose-spec.ts';

// Every stack fleetbook ships (automation/stacks/<name>/compose.yaml) is checked against the
// Compose Specification's own JSON Schema (vendored, tests/fixtures/peers/compose-spec), and the
// ChirpStack stack's configuration is read the way ChirpStack reads it.

interface RegionToml {
  id: string;
  gateway: { backend: { mqtt: Record<string, unknown> }; channels: Array<{ frequency: number }> };
  network: { enabled_uplink_channels?: number[]; extra_channels?: Array<{ frequency: number }> };
}
interface ChirpstackToml {
  network: { enabled_regions: string[] };
  api: { secret: string };
  integration: { mqtt: Record<string, unknown> };
  regions: RegionToml[];
}
interface ComposeDoc {
  services: Record<string, { environment: Record<string, string>; ports?: unknown[] }>;
}
interface BridgeToml {
  backend: { semtech_udp: { udp_bind: string } };
  integration: { mqtt: { auth: { generic: { servers: string[] } } } };
}

const STACKS = path.join(PROJECT_ROOT, 'automation', 'stacks');
const stackNames = fs.readdirSync(STACKS).filter((d) => fs.statSync(path.join(STACKS, d)).isDirectory());
const composeFile = (stack: string) =>
  ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml']
    .map((f) => path.join(STACKS, stack, f))
    .find((f) => fs.existsSync(f));

describe('compose stacks against the compose-spec JSON schema', () => {
  it('ships the ChirpStack stack', () => {
    expect(stackNames).toContain('chirpstack');
  });

  it.each(stackNames)(
    '%s: compose file valid, every bind mount present, every required variable in .env.example',
    (stack) => {
      const file = composeFile(stack);
      expect(file, `automation/stacks/${stack} has no compose.yaml`).toBeDefined();
      const text = fs.readFileSync(file!, 'utf8');
      const { value, problems } = checkComposeText(text);
      expect(problems.map((p) => formatComposeProblem(path.relative(PROJECT_ROOT, file!), p))).toEqual([]);
      const services = (
        value as { services: Record<string, { volumes?: Array<string | { type?: string; source?: string }> }> }
      ).services;
      for (const [name, service] of Object.entries(services)) {
        for (const v of service.volumes ?? []) {
          const source = typeof v === 'string' ? v.split(':')[0]! : v.type === 'bind' ? v.source! : '';
          if (!source.startsWith('.')) continue; // a named volume
          expect(
            fs.existsSync(path.join(STACKS, stack, source)),
            `${stack}/${name}: bind mount ${source} is missing`,
          ).toBe(true);
        }
      }
      const required = [...text.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!);
      const example = path.join(STACKS, stack, '.env.example');
      const documented = fs.existsSync(example) ? fs.readFileSync(example, 'utf8') : '';
      for (const name of new Set(required))
        expect(documented, `${stack}: ${name} is required but not in .env.example`).toMatch(
          new RegExp(`^${name}=`, 'm'),
        );
    },
  );

  it('refuses what the schema refuses, naming the line, the path and the reason (negative controls)', () => {
    const text = fs.readFileSync(composeFile('chirpstack')!, 'utf8');
    const broken = text
      .replace(
        '    image: chirpstack/chirpstack:4\n',
        '    image: chirpstack/chirpstack:4\n    image_name: chirpstack\n',
      )
      .replace(
        '    restart: unless-stopped\n    command: redis-server',
        '    restart: sometimes\n    command: redis-server',
      )
      .replace('\nvolumes:\n', '\nvolume:\n');
    const lineOf = (needle: string) => broken.split('\n').findIndex((l) => l.includes(needle)) + 1;
    const { problems } = checkComposeText(broken);
    expect(problems.map((p) => formatComposeProblem('compose.yaml', p))).toEqual([
      `compose.yaml:${lineOf('volume:')} (root): unknown key "volume"`,
      `compose.yaml:${lineOf('image_name:')} services.chirpstack: unknown key "image_name"`,
    ]);
    // restart is a free string in the schema (docker checks it later): `docker compose config`
    // is what refuses it on the host, which is why deploy_compose_stack runs it before `up`.
    expect(checkComposeText('services:\n  a:\n    image: x\n    ports: 1700\n').problems).toEqual([
      { line: 4, path: 'services.a.ports', message: 'must be array' },
    ]);
    expect(checkComposeText('services:\n  a:\n    image: x\n   bad: 1\n').problems[0]).toMatchObject({
      line: 4,
      message: expect.stringMatching(/^All mapping items must start at the same column/),
    });
  });
});

describe('the ChirpStack stack, read as ChirpStack reads it', () => {
  const dir = path.join(STACKS, 'chirpstack', 'configuration', 'chirpstack');

  it('ships a region file per gateway plan, each exactly what the plan generates', () => {
    for (const region of gatewayRegions) {
      const file = path.join(dir, chirpstackRegionFileName(region));
      expect(
        fs.existsSync(file),
        `${file} missing: node bin/fleetbook.mjs gateway conf --region ${region} --chirpstack-region-file`,
      ).toBe(true);
      expect(fs.readFileSync(file, 'utf8'), `${file} differs from the ${region} plan: regenerate it`).toBe(
        chirpstackRegionFile(region),
      );
    }
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('region_'))
        .sort(),
    ).toEqual(gatewayRegions.map(chirpstackRegionFileName).sort());
  });

  it.each(gatewayRegions)(
    '%s: the folder concatenated, with $VARs substituted, is one valid configuration for that region',
    (region) => {
      const id = REGION_PLANS[region].chirpstack.id;
      // ChirpStack's config::load: every *.toml of the folder, concatenated, then `$NAME` replaced.
      const env: Record<string, string> = {
        CHIRPSTACK_REGION: id,
        CHIRPSTACK_DB_PASSWORD: 'pw',
        CHIRPSTACK_API_SECRET: 'secret',
        POSTGRESQL_HOST: 'postgres',
        REDIS_HOST: 'redis',
        MQTT_BROKER_HOST: 'mosquitto',
        FLEETBOOK_MQTT_URL: 'tcp://fleetbook:1883',
        FLEETBOOK_MQTT_PASSWORD: 'mqtt-pw',
      };
      let content = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.toml'))
        .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
        .join('');
      for (const [k, v] of Object.entries(env)) content = content.replaceAll(`$${k}`, v);
      expect(content).not.toMatch(/\$[A-Z_]{3,}/);
      const conf = parseToml(content) as unknown as ChirpstackToml;
      expect(conf.network.enabled_regions).toEqual([id]);
      expect(conf.api.secret).toBe('secret');
      expect(conf.integration.mqtt).toMatchObject({
        server: 'tcp://fleetbook:1883',
        username: 'chirpstack',
        password: 'mqtt-pw',
      });
      const r = conf.regions.find((x) => x.id === id)!;
      expect(r.gateway.backend.mqtt).toMatchObject({ topic_prefix: id, server: 'tcp://mosquitto:1883' });
      // The network server listens on exactly the concentrator's channels.
      const f = channelFrequencies(region);
      expect(r.gateway.channels.map((c) => c.frequency)).toEqual([...f.multiSF, f.loraStd, ...(f.fsk ? [f.fsk] : [])]);
      if (region === 'US915') expect(r.network.enabled_uplink_channels).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 65]);
      else
        expect(r.network.extra_channels!.map((c) => c.frequency)).toEqual(f.multiSF.slice(region === 'EU868' ? 3 : 2));
    },
  );

  it("the gateway bridge publishes under the region's topic prefix, which the region file subscribes to", () => {
    const compose = checkComposeText(fs.readFileSync(composeFile('chirpstack')!, 'utf8')).value as ComposeDoc;
    const env = compose.services['chirpstack-gateway-bridge'].environment;
    expect(env.INTEGRATION__MQTT__EVENT_TOPIC_TEMPLATE).toBe(
      '${CHIRPSTACK_REGION:-eu868}/gateway/{{ .GatewayID }}/event/{{ .EventType }}',
    );
    expect(compose.services.chirpstack.environment.CHIRPSTACK_REGION).toBe('${CHIRPSTACK_REGION:-eu868}');
    expect(compose.services['chirpstack-gateway-bridge'].ports).toEqual(['1700:1700/udp']);
    const bridge = parseToml(
      fs.readFileSync(
        path.join(STACKS, 'chirpstack', 'configuration', 'chirpstack-gateway-bridge', 'chirpstack-gateway-bridge.toml'),
        'utf8',
      ),
    ) as unknown as BridgeToml;
    expect(bridge.backend.semtech_udp.udp_bind).toBe('0.0.0.0:1700');
    expect(bridge.integration.mqtt.auth.generic.servers).toEqual(['tcp://mosquitto:1883']);
  });
});
