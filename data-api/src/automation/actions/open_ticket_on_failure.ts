// open_ticket_on_failure: only after a failure (the runner decides). Records a ticket through
// the reporter; the API turns it into a ticket record and the "automation run failed" alert.
import { openTicketOnFailureDefinition, type OpenTicketOnFailureWith } from './open_ticket_on_failure.schema.ts';
import { ActionError, type ActionContext, type ActionModule } from './types.ts';

async function execute(ctx: ActionContext<OpenTicketOnFailureWith>) {
  const failure = ctx.failure;
  if (!failure) throw new ActionError('open_ticket_on_failure ran without a failure (runner bug)');
  const summary = ctx.with.summary ?? `${ctx.spec.project}: action "${failure.action_id}" (${failure.type}) failed: ${failure.error}`.slice(0, 500);
  await ctx.reporter.openTicket({
    run_id: ctx.runId,
    deployment_id: ctx.spec.deployment_id,
    action_id: failure.action_id,
    summary,
    severity: ctx.with.severity,
  });
  ctx.log(`ticket recorded (${ctx.with.severity}) for ${failure.action_id}: ${summary}`);
  return { outputs: { action_id: failure.action_id, summary }, summary: `ticket for ${failure.action_id}` };
}

export const openTicketOnFailure: ActionModule<OpenTicketOnFailureWith> = {
  definition: openTicketOnFailureDefinition,
  execute,
  plan: (w) => [`only if an action fails: record a ${w.severity} ticket${w.summary ? ` "${w.summary}"` : ''}`],
};
