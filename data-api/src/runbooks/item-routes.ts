// The checklist items of an execution: tick, untick, a measured value, a note, a link.
import type { z } from 'zod';
import type { ItemActionResult } from '../contracts/executions.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import {
  autoCheckRequestSchema,
  autoCheckResultSchema,
  itemActionResultSchema,
  itemParams,
  linkSchema,
  noteSchema,
  tickSchema,
  untickSchema,
  valueSchema,
} from '../contracts/executions.ts';
import { tags, type RunbooksApp, type RunbooksDeps } from './route-deps.ts';
import { RESPONSES } from './schemas.ts';
import { checkItem, PROBE_TIMEOUT_MS } from './auto-check/check.ts';
import { itemAction } from './service.ts';

const ITEM_ACTION = { 200: itemActionResultSchema, ...RESPONSES } as const;

/** POST /runbook-executions/:id/items/:item_id/{tick,untick,value,note,link,check}. */
export function itemRoutes(app: RunbooksApp, { db, broker }: RunbooksDeps): void {
  const itemRoute = <S extends z.ZodType>(
    verb: string,
    summary: string,
    body: S,
    run: (request: {
      principal: Principal;
      params: { id: string; item_id: string };
      body: z.infer<S>;
    }) => Promise<ItemActionResult>,
  ) =>
    app.post(
      `/runbook-executions/:id/items/:item_id/${verb}`,
      {
        config: { auth: 'operator_or_automation', scope: 'tenant' },
        schema: {
          summary,
          description:
            'Pass if_version (the item version you saw) to refuse a change made on stale data: 409 with `current`, the item as it is now. action_id makes a retry apply once. Items behind an unsigned sign-off gate, of a signed-off gate, or of a finished execution are refused with 409.',
          tags,
          params: itemParams,
          body,
          response: ITEM_ACTION,
        },
      },
      async (request) => run(request as never),
    );

  itemRoute('tick', 'Tick an item', tickSchema, ({ principal, params, body }) =>
    itemAction(
      db(),
      principal,
      params.id,
      params.item_id,
      { kind: 'tick', ...(body.note !== undefined ? { note: body.note } : {}) },
      body,
    ),
  );
  itemRoute('untick', 'Untick an item', untickSchema, ({ principal, params, body }) =>
    itemAction(db(), principal, params.id, params.item_id, { kind: 'untick' }, body),
  );
  itemRoute('value', 'Record a measured value (ticks the item)', valueSchema, ({ principal, params, body }) =>
    itemAction(
      db(),
      principal,
      params.id,
      params.item_id,
      { kind: 'value', value: body.value, ...(body.note !== undefined ? { note: body.note } : {}) },
      body,
    ),
  );
  itemRoute('note', 'Write a note on an item', noteSchema, ({ principal, params, body }) =>
    itemAction(db(), principal, params.id, params.item_id, { kind: 'note', note: body.note }, body),
  );
  itemRoute('link', 'Attach a link as evidence', linkSchema, ({ principal, params, body }) =>
    itemAction(db(), principal, params.id, params.item_id, { kind: 'link', url: body.url }, body),
  );

  app.post(
    '/runbook-executions/:id/items/:item_id/check',
    {
      config: { auth: 'operator_or_automation', scope: 'tenant' },
      schema: {
        summary: "Run an item's auto_check probe",
        description: `Runs the item's \`auto_check\` from the server, on the target the runbook names (its templates filled in from the execution's site, deployment and device; nothing in the request names a target), within ${PROBE_TIMEOUT_MS / 1000} s. Passed: the item is checked with a note saying what answered (\`auto_check tcp 10.1.2.3:22: connected in 12 ms\`). Failed: 200 with \`passed: false\` and the reason; the item is unchanged and the attempt is in the activity log and the audit. 409 for a template the execution cannot fill in (\`{{vm.ip}} is not known for this execution\`), an item without auto_check, and the same rules as a tick (if_version, gates, finished executions).`,
        tags,
        params: itemParams,
        body: autoCheckRequestSchema,
        response: { 200: autoCheckResultSchema, ...RESPONSES },
      },
    },
    async (request) => {
      const { principal, params, body } = request as never as {
        principal: Principal;
        params: { id: string; item_id: string };
        body: { if_version?: number };
      };
      return checkItem({ db: db(), broker: broker() }, principal, params.id, params.item_id, body.if_version);
    },
  );
}
