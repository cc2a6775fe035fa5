import fs from 'node:fs';
import { Command, Option } from 'commander';
import { configureGatewayWithSchema, gatewayRegions } from '../contracts/actions/configure_gateway.ts';
import { chirpstackRegionAdvice } from '../automation/gateway/chirpstack-region.ts';
import { chirpstackRegionFile } from '../automation/gateway/chirpstack-region-file.ts';
import { parseJsonc, JsoncError } from '../automation/gateway/jsonc.ts';
import { renderGlobalConf } from '../automation/gateway/render.ts';
import { checkGlobalConf, formatProblems, regionBandOf } from '../automation/gateway/validate.ts';
import { exitWithError } from './errors.ts';

/** A zod failure as one line naming the option. */
function optionError(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): Error {
  const flag: Record<string, string> = {
    region: '--region',
    concentrator: '--chip',
    gateway_eui: '--gateway-id',
    server: '--server',
    port: '--port',
  };
  const e = new Error(
    error.issues.map((i) => `${flag[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`).join('; '),
  );
  (e as Error & { exitCode: number }).exitCode = 2;
  return e;
}

/**
 * `fleetbook gateway conf` prints the global_conf.json configure_gateway writes (the same code);
 * `fleetbook gateway check <file>` checks any global_conf.json as the HAL would.
 */
export function gatewayCommand(): Command {
  return new Command('gateway')
    .description('LoRaWAN gateway configuration: render and check packet forwarder files')
    .addCommand(confCommand())
    .addCommand(checkCommand());
}

function confCommand(): Command {
  return new Command('conf')
    .description(
      'Print the Semtech packet forwarder global_conf.json for a region plan (what configure_gateway writes), checked as the HAL would',
    )
    .requiredOption('--region <region>', `region plan: ${gatewayRegions.join(', ')} (AS923-1 … AS923-4 also accepted)`)
    .addOption(
      new Option(
        '--chip <chip>',
        'concentrator: sx1302 (SX130x_conf, sx1302_hal) or sx1301 (SX1301_conf, lora_gateway)',
      )
        .choices(['sx1302', 'sx1301'])
        .default('sx1302'),
    )
    .option('--gateway-id <eui>', 'gateway_ID (EUI-64, 16 hex digits)')
    .option('--server <host>', 'network server (ChirpStack gateway bridge) host', 'localhost')
    .option('--port <port>', 'UDP port up and down', (v) => Number(v), 1700)
    .option('--chirpstack', "print ChirpStack's region TOML lines (extra_channels) for the plan instead of the JSON")
    .option(
      '--chirpstack-region-file',
      "print a whole ChirpStack v4 region_<id>.toml for the plan (the compose stack's)",
    )
    .action(
      (opts: {
        region: string;
        chip: string;
        gatewayId?: string;
        server: string;
        port: number;
        chirpstack?: boolean;
        chirpstackRegionFile?: boolean;
      }) => {
        try {
          const parsed = configureGatewayWithSchema.safeParse({
            region: opts.region.toUpperCase(),
            concentrator: opts.chip,
            server: opts.server,
            port: opts.port,
            ...(opts.gatewayId ? { gateway_eui: opts.gatewayId } : {}),
          });
          if (!parsed.success) throw optionError(parsed.error);
          const w = parsed.data;
          if (opts.chirpstack) return void process.stdout.write(chirpstackRegionAdvice(w.region).toml);
          if (opts.chirpstackRegionFile) return void process.stdout.write(chirpstackRegionFile(w.region));
          const value = renderGlobalConf(w);
          const check = checkGlobalConf(value, { region: w.region, port: w.port });
          for (const line of formatProblems(check.problems)) process.stderr.write(`${line}\n`);
          if (!check.ok)
            throw Object.assign(new Error(`the ${w.region} plan for ${w.concentrator} would be refused`), {
              exitCode: 1,
            });
          process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
        } catch (err) {
          exitWithError(err);
        }
      },
    );
}

/** `--region` for check: any configure_gateway plan, or the AS923 family as a whole. */
function checkRegionOption(value: string | undefined): Parameters<typeof regionBandOf>[0] | undefined {
  if (!value) return undefined;
  const r = value.toUpperCase();
  if (r === 'AS923') return 'AS923';
  const parsed = configureGatewayWithSchema.shape.region.safeParse(r);
  if (!parsed.success)
    throw Object.assign(new Error(`--region: ${parsed.error.issues[0]!.message}, or AS923`), { exitCode: 2 });
  return parsed.data;
}

function checkCommand(): Command {
  return new Command('check')
    .description(
      'Check a global_conf.json (comments allowed, as Semtech writes them) as the concentrator HAL would: IF windows, radios, region bands, TX gain table, ports',
    )
    .argument('<file>', 'the global_conf.json (or - for standard input)')
    .option(
      '--region <region>',
      `the region it is meant for (default: inferred from the channels): ${gatewayRegions.join(', ')}, AS923`,
    )
    .option(
      '--port <port>',
      'the UDP port the network server listens on (default 1700, a warning when different)',
      (v) => Number(v),
    )
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { region?: string; port?: number; json?: boolean }) => {
      try {
        const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
        const region = checkRegionOption(opts.region);
        let parsed;
        try {
          parsed = parseJsonc(text);
        } catch (err) {
          if (err instanceof JsoncError)
            throw Object.assign(new Error(`${file}:${err.line}: not JSON: ${err.message}`), { exitCode: 1 });
          throw err;
        }
        const result = checkGlobalConf(parsed.value, { region, port: opts.port, lines: parsed.lines });
        if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...result }, null, 2)}\n`);
        else {
          const errors = result.problems.filter((p) => p.severity === 'error').length;
          const warnings = result.problems.length - errors;
          const lines = formatProblems(result.problems, file);
          const chans = result.channels
            .map(
              (c) => `${Number((c.freq / 1e6).toFixed(3))}${c.bandwidth !== 125_000 ? `/${c.bandwidth / 1000}k` : ''}`,
            )
            .join(' ');
          lines.push(
            `${file}: ${result.chip ?? 'unknown chip'}, ${result.region ? `${result.region}${result.regionInferred ? ' (inferred)' : ''}` : 'no region'}; ` +
              `channels ${chans || 'none'} MHz; ${errors} error(s), ${warnings} warning(s)`,
          );
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!result.ok) process.exitCode = 1;
      } catch (err) {
        exitWithError(err);
      }
    });
}
