import path from 'node:path';
import { Command } from 'commander';
import * as z from 'zod';
import { contactPointsFileSchema } from '../contracts/notification-channels.ts';
import { policiesFileSchema } from '../contracts/notification-policies.ts';
import { rulesFileSchema } from '../contracts/notification-rules.ts';
import { formatDiagnostic, loadNotificationConfig, readRuleCatalog } from '../notifications/rules.ts';
import { exitWithError } from './errors.ts';

const SCHEMAS = {
  rules: rulesFileSchema,
  policies: policiesFileSchema,
  'contact-points': contactPointsFileSchema,
} as const;

/** `fleetbook rules validate [dir]` and `fleetbook rules schema <file>`: notifications as code. */
export function rulesCommand(): Command {
  const rules = new Command('rules').description(
    'Alert rules, notification policies and contact points (notifications/*.yaml): validate them, export their JSON Schema',
  );

  rules
    .command('validate')
    .description(
      'Check notifications/rules.yaml, policies.yaml and contact-points.yaml as `fleetbook start` does; problems print as file:line:column  message  rule-id; exit 1 on any error',
    )
    .argument('[dir]', 'the folder of the three files', 'notifications')
    .option('--root <dir>', 'the repository whose docs/products and runbooks the rules name', '.')
    .action(async (dir: string, opts: { root: string }) => {
      try {
        const root = path.resolve(opts.root);
        const loaded = loadNotificationConfig(path.resolve(dir), await readRuleCatalog(root), process.cwd());
        for (const d of loaded.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
        const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
        const warnings = loaded.diagnostics.length - errors;
        if (loaded.ok) {
          const c = loaded.config;
          process.stdout.write(
            `${path.relative(process.cwd(), path.resolve(dir)) || '.'}: ${c.rules.rules.length} rules, ${c.contactPoints.size} contact points, ${c.policies.escalations.length} escalations, ${c.policies.inhibit_rules.length} inhibit rules\n`,
          );
        }
        process.stdout.write(
          `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
        );
        process.exitCode = errors > 0 ? 1 : 0;
      } catch (err) {
        exitWithError(err);
      }
    });

  rules
    .command('schema')
    .description(
      'Print the JSON Schema of one of the files (for editors: fleetbook rules schema rules > rules.schema.json)',
    )
    .argument('[file]', `which file: ${Object.keys(SCHEMAS).join(', ')}`, 'rules')
    .action((file: string) => {
      try {
        const schema = SCHEMAS[file as keyof typeof SCHEMAS];
        if (!schema)
          throw Object.assign(new Error(`unknown file ${file}: expected one of ${Object.keys(SCHEMAS).join(', ')}`), {
            exitCode: 2,
          });
        process.stdout.write(
          `${JSON.stringify(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`,
        );
      } catch (err) {
        exitWithError(err);
      }
    });

  return rules;
}
