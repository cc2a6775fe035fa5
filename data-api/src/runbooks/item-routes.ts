// The checklist items of an execution: tick, untick, a measured value, a note, a link.
import type { z } from 'zod';
import type { ItemActionResult } from '../contracts/executions.ts';
import type { Principal } from '../kernel/auth/roles.ts';
import {
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
import { itemAction } from './service.ts';

const ITEM_ACTION = { 200: itemActionResultSchema, ...RESPONSES } as const;

/** POST /runbook-executions/:id/items/:item_id/{tick,untick,value,note,link}. */
export function itemRoutes(app: RunbooksApp, { db }: RunbooksDeps): void {
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
}
