// open_ticket_on_failure: only after a failure (the runner decides). Opens a work item (kind
// ticket) linked to the run and its deployment through the reporter; the API also opens the
// "automation run failed" alert. The work item's id is chosen here, so an external tracker's
// webhook (optional) can name it before the write-back is delivered.
import { generateId } from '../../contracts/ids.ts';
import { PRIORITY_OF_SEVERITY, type ExternalRefInput } from '../../contracts/work-items.ts';
import { apiUrl } from '../../contracts/automation-write-back.ts';
import {
  openTicketOnFailureDefinition,
  type OpenTicketOnFailureWith,
} from '../../contracts/actions/open_ticket_on_failure.ts';
import { sendToTracker } from './tracker-webhook.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

async function execute(ctx: ActionContext<OpenTicketOnFailureWith>) {
  const failure = ctx.failure;
  if (!failure) throw new ActionError('open_ticket_on_failure ran without a failure (runner bug)');
  const summary =
    ctx.with.summary ??
    `${ctx.spec.project}: action "${failure.action_id}" (${failure.type}) failed: ${failure.error}`.slice(0, 500);
  const workItemId = generateId('workItem');
  let externalRef: ExternalRefInput | undefined;
  let trackerError: string | undefined;
  if (ctx.with.tracker) {
    const api = ctx.reporter.api;
    try {
      externalRef = await sendToTracker(
        ctx.with.tracker,
        {
          work_item: {
            id: workItemId,
            kind: 'ticket',
            title: summary.slice(0, 300),
            priority: PRIORITY_OF_SEVERITY[ctx.with.severity],
            owner: ctx.with.owner ?? null,
            state: 'open',
          },
          run: {
            id: ctx.runId,
            project: ctx.spec.project,
            deployment_id: ctx.spec.deployment_id,
            failed_action: { id: failure.action_id, type: failure.type, error: failure.error },
          },
          api_url: api ? apiUrl(api.base, `/api/v1/work-items/${workItemId}`) : null,
        },
        ctx.secrets,
        ctx.signal,
      );
      ctx.log(
        `tracker ${ctx.with.tracker.system} took the ticket${externalRef.key ? ` as ${externalRef.key}` : ''}${externalRef.url ? ` (${externalRef.url})` : ''}`,
      );
    } catch (err) {
      // The work item is the record; a tracker that is down must not lose it.
      trackerError = (err as Error).message;
      ctx.log(`tracker ${ctx.with.tracker.system} did not take the ticket: ${trackerError}`);
    }
  }
  await ctx.reporter.openTicket({
    run_id: ctx.runId,
    deployment_id: ctx.spec.deployment_id,
    action_id: failure.action_id,
    summary,
    severity: ctx.with.severity,
    work_item_id: workItemId,
    ...(ctx.with.owner ? { owner: ctx.with.owner } : {}),
    ...(externalRef ? { external_ref: externalRef } : {}),
  });
  ctx.log(`work item ${workItemId} opened (${ctx.with.severity}) for ${failure.action_id}: ${summary}`);
  return {
    outputs: {
      action_id: failure.action_id,
      summary,
      work_item_id: workItemId,
      ...(externalRef ? { external_ref: externalRef } : {}),
      ...(trackerError ? { tracker_error: trackerError } : {}),
    },
    summary: `work item ${workItemId} for ${failure.action_id}`,
  };
}

export const openTicketOnFailure: ActionModule<OpenTicketOnFailureWith> = {
  definition: openTicketOnFailureDefinition,
  execute,
  plan: (w) => [
    `only if an action fails: open a ${w.severity} work item (ticket) linked to the run and the deployment${w.summary ? ` "${w.summary}"` : ''}${w.owner ? ` for ${w.owner}` : ''}`,
    ...(w.tracker ? [`and send it to the ${w.tracker.system} webhook ${w.tracker.url}`] : []),
  ],
};
