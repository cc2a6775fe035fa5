import { Command, Option } from 'commander';
import { tokenNameSchema } from '../contracts/auth.ts';
import { createToken, listTokens, revokeToken } from '../kernel/auth/service.ts';
import { withDatabaseOrInstance } from './instance-api.ts';
import { exitWithError } from './errors.ts';
import { addRuntimeOptions } from './options.ts';

const throughApi = (instance: { url: string; pid: number }) =>
  process.stderr.write(
    `(the database is in use by fleetbook pid ${instance.pid}: through its API at ${instance.url})\n`,
  );

interface TokenRow {
  id: string;
  name: string;
  role: string;
  customer_id: string | null;
  prefix: string;
  revoked_at: Date | string | null;
}

/**
 * `fleetbook token create|list|revoke`: tokens straight in the database (DATABASE_URL or
 * --data-dir), or through the API of the fleetbook that holds the embedded database (npm start).
 */
export function tokenCommand(): Command {
  const token = new Command('token').description(
    'Create, list and revoke API tokens (stored hashed; a secret is shown once)',
  );

  token.addCommand(
    addRuntimeOptions(new Command('create'))
      .description('Create a token and print it once')
      .requiredOption('--name <name>', 'who or what uses it (shown in the audit log)')
      .addOption(
        new Option('--role <role>', 'what it may do')
          .choices(['viewer', 'operator', 'automation', 'admin'])
          .makeOptionMandatory(),
      )
      .option('--customer <id>', 'limit it to one customer (tenant)')
      .action(async (opts) => {
        try {
          // The API's own check, also when the token goes straight into the database.
          const name = tokenNameSchema.safeParse(opts.name);
          if (!name.success)
            throw Object.assign(new Error(`--name: ${name.error.issues[0]!.message}`), { exitCode: 2 });
          opts.name = name.data;
          const created = await withDatabaseOrInstance(
            opts,
            async (db) => {
              if (opts.customer) {
                const found = await db
                  .selectFrom('customers')
                  .select('id')
                  .where('id', '=', opts.customer)
                  .executeTakeFirst();
                if (!found) throw new Error(`customer ${opts.customer} not found`);
              }
              return createToken(db, { name: opts.name, role: opts.role, customerId: opts.customer ?? null });
            },
            (api) =>
              api<{ id: string; role: string; customer_id: string | null; token: string }>('POST', '/tokens', {
                name: opts.name,
                role: opts.role,
                ...(opts.customer ? { customer_id: opts.customer } : {}),
              }),
            throughApi,
          );
          process.stdout.write(`${created.token}\n`);
          process.stderr.write(
            `token ${created.id} (${created.role}${created.customer_id ? `, customer ${created.customer_id}` : ''}): shown once, only its hash is stored\n`,
          );
        } catch (err) {
          exitWithError(err);
        }
      }),
  );

  token.addCommand(
    addRuntimeOptions(new Command('list'))
      .description('List tokens (never their secrets)')
      .action(async (opts) => {
        try {
          const rows: TokenRow[] = await withDatabaseOrInstance(
            opts,
            (db) => listTokens(db),
            async (api) => (await api<{ items: TokenRow[] }>('GET', '/tokens')).items,
            throughApi,
          );
          for (const t of rows) {
            process.stdout.write(
              `${t.id}  fbk_${t.prefix}_…  ${t.role.padEnd(10)} ${t.name}${t.customer_id ? `  customer=${t.customer_id}` : ''}${t.revoked_at ? '  (revoked)' : ''}\n`,
            );
          }
        } catch (err) {
          exitWithError(err);
        }
      }),
  );

  token.addCommand(
    addRuntimeOptions(new Command('revoke'))
      .description('Revoke a token by id')
      .argument('<id>', 'token id (tok_…)')
      .action(async (id, opts) => {
        try {
          const done = await withDatabaseOrInstance(
            opts,
            (db) => revokeToken(db, id),
            async (api) => {
              const current = (await api<{ items: TokenRow[] }>('GET', '/tokens')).items.find((t) => t.id === id);
              if (!current || current.revoked_at) return false;
              await api('DELETE', `/tokens/${encodeURIComponent(id)}`);
              return true;
            },
            throughApi,
          );
          if (!done) throw new Error(`token ${id} not found or already revoked`);
          process.stdout.write(`revoked ${id}\n`);
        } catch (err) {
          exitWithError(err);
        }
      }),
  );
  return token;
}
