import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Command } from 'commander';
import { withDatabase } from '../../cli/database.ts';
import { exitWithError } from '../../cli/errors.ts';
import { addRuntimeOptions } from '../../cli/options.ts';
import {
  API_MQTT_USER,
  CHIRPSTACK_MQTT_USER,
  devicePublishTopics,
  issueChirpstackToken,
  issueDeviceToken,
} from './credentials.ts';
import { loadTelemetryOptions } from './options.ts';
import { buildMosquittoExport, writeMosquittoExport } from './mosquitto-export.ts';

// Subcommands of the MQTT area. Like `migrate`, they open the database directly
// (DATABASE_URL, or the embedded PGlite in --data-dir while fleetbook is stopped; while it
// runs, use POST /api/v1/devices/:id/mqtt-token instead).

export function mosquittoCommand(): Command {
  const exportCmd = addRuntimeOptions(new Command('export'))
    .description('Write a Mosquitto password file, ACL file and tuned mosquitto.conf for the registry’s devices')
    .requiredOption('--out <dir>', 'folder to write fleetbook.passwd, fleetbook.acl and fleetbook.conf into')
    .option('--listener-port <port>', 'the devices’ listener (every client named by its username)', '1883')
    .option('--api-listener-port <port>', 'fleetbook’s own listener (MQTT_URL of the API)', '1884')
    .option(
      '--api-listener-bind <address>',
      'address of fleetbook’s listener: where only the API reaches it',
      '127.0.0.1',
    )
    .option(
      '--api-password <password>',
      `password of the API's MQTT user (${API_MQTT_USER}); default: the one in MQTT_URL, else a new one is generated and printed`,
    )
    .option('--persistence-dir <dir>', 'persistence_location written into fleetbook.conf', '/var/lib/mosquitto/')
    .option(
      '--chirpstack-user <name>',
      'a user for ChirpStack’s MQTT integration (default: the one `fleetbook device chirpstack-token` issued)',
    )
    .option('--chirpstack-password <password>', 'its password')
    .action(async (opts) => {
      try {
        const fromUrl = process.env.MQTT_URL ? decodeURIComponent(new URL(process.env.MQTT_URL).password) : '';
        const generated = !opts.apiPassword && !fromUrl;
        const apiPassword: string = opts.apiPassword ?? (fromUrl || randomBytes(18).toString('base64url'));
        const out = path.resolve(opts.out);
        const exported = await withDatabase(opts, (db) =>
          buildMosquittoExport(db, {
            apiPassword,
            dir: out,
            port: Number(opts.listenerPort),
            apiPort: Number(opts.apiListenerPort),
            apiBind: opts.apiListenerBind,
            persistenceDir: opts.persistenceDir,
            ...(opts.chirpstackUser
              ? { chirpstack: { username: opts.chirpstackUser, password: opts.chirpstackPassword ?? '' } }
              : {}),
          }),
        );
        const files = writeMosquittoExport(out, exported);
        const lines = [
          ...files.map((f) => `wrote ${f}`),
          `${exported.devices} devices exported; ${exported.skipped.length} without a token or site left out`,
          ...(generated ? [`${API_MQTT_USER} password (shown once): ${apiPassword}`] : []),
          `fleetbook connects on its own listener: MQTT_URL=mqtt://${API_MQTT_USER}:${generated ? apiPassword : '<password>'}@${opts.apiListenerBind}:${opts.apiListenerPort}`,
          'include fleetbook.conf from mosquitto.conf (or copy it to /etc/mosquitto/conf.d/), then reload mosquitto',
        ];
        process.stdout.write(lines.join('\n') + '\n');
      } catch (err) {
        exitWithError(err);
      }
    });
  return new Command('mosquitto')
    .description('Mosquitto configuration for fleetbook (users, ACLs, tuned settings)')
    .addCommand(exportCmd);
}

export function deviceCommand(): Command {
  const token = addRuntimeOptions(new Command('token'))
    .description('Issue (or rotate) the MQTT password of a device; prints it once')
    .argument('<device_id>', 'registry id of the device (dev_… or gw_…)')
    .action(async (deviceId: string, opts) => {
      try {
        const issued = await withDatabase(opts, async (db) => {
          const result = await issueDeviceToken(db, 'cli', deviceId);
          return {
            ...result,
            topics: result.site_id ? devicePublishTopics(result.site_id, deviceId, result.role) : [],
          };
        });
        process.stdout.write(
          [
            `username ${issued.username}`,
            `password ${issued.password}`,
            '(shown once; only its hash is kept. For Mosquitto, re-run `fleetbook mosquitto export`.)',
            ...issued.topics.map((t) => `may publish ${t}`),
          ].join('\n') + '\n',
        );
      } catch (err) {
        exitWithError(err);
      }
    });
  const chirpstack = addRuntimeOptions(new Command('chirpstack-token'))
    .description(
      "Issue (or rotate) the MQTT password of ChirpStack's integration user on fleetbook's broker (events in, downlink commands out); prints it once",
    )
    .option(
      '--username <name>',
      'the user ChirpStack logs in as ([integration.mqtt] username in chirpstack.toml)',
      CHIRPSTACK_MQTT_USER,
    )
    .action(async (opts) => {
      try {
        const issued = await withDatabase(opts, (db) => issueChirpstackToken(db, 'cli', opts.username));
        const topics = loadTelemetryOptions(process.env).chirpstackTopics;
        process.stdout.write(
          [
            `username ${issued.username}`,
            `password ${issued.password}`,
            '(shown once; only its hash is kept. For Mosquitto, re-run `fleetbook mosquitto export`.)',
            `may publish ${topics.eventFilter()}`,
            `may subscribe ${topics.commandFilter()}`,
            'in chirpstack.toml, [integration.mqtt]: username and password as above; run fleetbook with FLEETBOOK_CHIRPSTACK=on',
          ].join('\n') + '\n',
        );
      } catch (err) {
        exitWithError(err);
      }
    });
  return new Command('device').description('Device credentials').addCommand(token).addCommand(chirpstack);
}
