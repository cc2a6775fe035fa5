// The runbook catalog: runbooks, SOPs and tutorial steps as the API reads them.
import { runbookInfoSchema, runbookListQuery, runbookListSchema, runbookParams } from '../contracts/executions.ts';
import { notFound } from '../kernel/errors/index.ts';
import { tags, type RunbooksApp, type RunbooksDeps } from './route-deps.ts';
import { RESPONSES } from './schemas.ts';

/** GET /runbooks, GET /runbooks/:runbook_id. */
export function catalogRoutes(app: RunbooksApp, { catalog }: RunbooksDeps): void {
  app.get(
    '/runbooks',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'The runbook catalog',
        description:
          'Runbooks, SOPs and tutorial steps read from runbooks/ and docs/ (frontmatter v1); pages that fail the schema are left out (fleetbook lint names them).',
        tags,
        querystring: runbookListQuery,
        response: { 200: runbookListSchema, ...RESPONSES },
      },
    },
    async (request) => ({
      items: catalog
        .list()
        .filter(
          (r) =>
            (!request.query.kind || r.kind === request.query.kind) &&
            (!request.query.product_code || r.product_code === request.query.product_code),
        ),
    }),
  );

  app.get(
    '/runbooks/:runbook_id',
    {
      config: { auth: 'viewer' },
      schema: {
        summary: 'One runbook as the API reads it',
        tags,
        params: runbookParams,
        response: { 200: runbookInfoSchema, ...RESPONSES },
      },
    },
    async (request) => {
      const r = catalog.get(request.params.runbook_id);
      if (!r) throw notFound('runbook', request.params.runbook_id);
      return r;
    },
  );
}
