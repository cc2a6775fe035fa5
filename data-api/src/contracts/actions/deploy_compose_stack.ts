import { z } from 'zod';
import { hostSchema, portSchema, type ActionDefinition } from './shared.ts';

export const deployComposeStackWithSchema = z
  .strictObject({
    stack: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
        message: 'expected a compose project name (lowercase letters, digits, "-", "_")',
      })
      .describe('compose project name (docker compose -p)'),
    host: hostSchema.optional().describe('run over ssh on this host; absent: run locally'),
    user: z
      .string()
      .regex(/^[a-z_][a-z0-9_.-]{0,31}$/, { message: 'expected a user name' })
      .optional()
      .describe('ssh user'),
    port: portSchema.optional().describe('ssh port'),
    identity_file: z
      .string()
      .min(1)
      .optional()
      .describe('ssh private key file (a path; the key itself never goes in a spec)'),
    files: z
      .array(z.string().min(1))
      .optional()
      .describe('compose files (docker compose -f …); default: compose.yaml in project_dir'),
    project_dir: z
      .string()
      .min(1)
      .optional()
      .describe('directory to run in (locally the working directory, remotely cd into it)'),
    pull: z.boolean().default(false).describe('pull images first (up --pull always)'),
    wait: z.boolean().default(false).describe('wait until services are running/healthy (up --wait)'),
  })
  .meta({ id: 'DeployComposeStackWith' });

export type DeployComposeStackWith = z.output<typeof deployComposeStackWithSchema>;

export const deployComposeStackDefinition = {
  type: 'deploy_compose_stack',
  summary: 'docker compose up -d, locally or over ssh',
  withSchema: deployComposeStackWithSchema,
  // `up -d` converges to the same state when repeated.
  idempotent: true,
  defaultTimeoutS: 600,
} as const satisfies ActionDefinition<'deploy_compose_stack'>;
