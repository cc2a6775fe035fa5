// The specs of the repository: the dry-run plan of one, and the list "Run spec" offers.
import type { Kysely } from 'kysely';
import {
  automationPlanBodySchema,
  automationPlanSchema,
  specListQuery,
  specListSchema,
} from '../../contracts/automation-runs.ts';
import type { Database } from '../../kernel/db/index.ts';
import { ERROR_RESPONSES as RESPONSES } from '../../kernel/errors/responses.ts';
import { planSpecFile } from './plan.ts';
import { tags, type RunsApp } from './route-deps.ts';
import { listSpecFiles } from './specs.ts';

/** POST /automation-plans, GET /automation-specs. */
export function specRoutes(app: RunsApp, db: () => Kysely<Database>, root: () => string): void {
  app.post(
    '/automation-plans',
    {
      config: { auth: 'operator_or_automation', scope: 'tenant' },
      schema: {
        summary: 'The dry-run plan of a spec file: its step tree, what the conditions skip, which secrets are missing',
        description:
          'Nothing runs and nothing is stored. Conditions are decided over the registry now (those that read outputs of earlier actions: at run time). ' +
          "Secret references are checked against this server's environment. 400 for an invalid spec (each problem with its line), 404 for its unknown deployment.",
        tags,
        body: automationPlanBodySchema,
        response: { 200: automationPlanSchema, ...RESPONSES },
      },
    },
    async (request) => planSpecFile(db(), request.principal!, root(), request.body.spec_path),
  );

  app.get(
    '/automation-specs',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'Execution specs under automation/specs/ (what "Run spec" can queue)',
        description: 'Valid and invalid files; deployment_id filters to the specs written for one deployment.',
        tags,
        querystring: specListQuery,
        response: { 200: specListSchema, ...RESPONSES },
      },
    },
    async (request) => ({ items: listSpecFiles(root(), request.query.deployment_id) }),
  );
}
