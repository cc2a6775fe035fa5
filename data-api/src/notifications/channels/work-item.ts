// A contact point of type work_item opens a ticket on fleetbook's own work board for each alert
// of a firing message (issue 16: "an alert can open one"), linked to the alert and to what it is
// about (device → deployment, site, customer). Once per alert: the item's id is derived from the
// alert's, so a retry after a crash, a second replica or a later escalation step finds it there.
// A resolved message comments on the item once (or nothing, on_resolve: none); the item stays
// open: whether the cause is fixed is a person's call, not the metric's.
import { createHash } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Principal } from '../../kernel/auth/roles.ts';
import { WORK_ITEM_PRIORITY_BY_SEVERITY, type WorkItemConfig } from '../../contracts/notification-channels.ts';
import type { WorkItemLinksInput } from '../../contracts/work-items.ts';
import type { AlertsTable, Database } from '../../kernel/db/schema.ts';
import { addComment, createWorkItem } from '../../work-items/service.ts';
import { alertUrl } from '../labels.ts';
import type { Channel, DeliveryResult } from './types.ts';

const RESOLVED_MARK = 'Alert resolved';

/** The work item of an alert: `wi_alert-<the alert id's body>` (hashed when that is too long). */
export function workItemIdOf(alertId: string): string {
  const body = alertId.replace(/^alr_/, '');
  return body.length <= 58
    ? `wi_alert-${body}`
    : `wi_alert-${createHash('sha256').update(alertId).digest('hex').slice(0, 40)}`;
}

function linksOf(a: Selectable<AlertsTable>): WorkItemLinksInput {
  const links: WorkItemLinksInput = { alert_id: a.id };
  if (a.subject_type === 'device') links.device_id = a.subject_id;
  else if (a.subject_type === 'deployment') links.deployment_id = a.subject_id;
  else if (a.site_id) links.site_id = a.site_id;
  return links;
}

const isConflict = (err: unknown) => (err as { statusCode?: number }).statusCode === 409;

export const workItemChannel: Channel<WorkItemConfig> = {
  type: 'work_item',
  async send(config, n, ctx): Promise<DeliveryResult> {
    const db = ctx.db as Kysely<Database> | undefined;
    if (!db)
      return {
        ok: false,
        retryable: false,
        detail: "a work_item contact point writes to fleetbook's database: only the running engine sends to it",
      };
    const ids = (
      await db
        .selectFrom('notification_alerts')
        .select('alert_id')
        .where('notification_id', '=', n.fleetbook.notificationId)
        .execute()
    ).map((r) => r.alert_id);
    if (!ids.length) return { ok: true, detail: 'no alert in this message: nothing to open' };
    const alerts = await db.selectFrom('alerts').selectAll().where('id', 'in', ids).orderBy('id').execute();
    const who: Principal = {
      kind: 'token',
      name: `notifications:${n.receiver}`,
      role: 'operator',
      customerId: null,
      stationId: null,
    };
    const opened: string[] = [];
    const had: string[] = [];
    const commented: string[] = [];
    for (const a of alerts) {
      const id = workItemIdOf(a.id);
      const exists = await db.selectFrom('work_items').select('id').where('id', '=', id).executeTakeFirst();
      if (n.status === 'firing') {
        if (exists) {
          had.push(id);
          continue;
        }
        const severity = a.severity as keyof typeof WORK_ITEM_PRIORITY_BY_SEVERITY;
        const lines = [
          a.title,
          '',
          `Alert ${a.id} (${a.rule_id ?? 'built-in'}, ${a.severity}) opened ${new Date(a.opened_at).toISOString()}: ${alertUrl(n.externalURL, a.id)}`,
          ...(n.fleetbook.runbookUrl ? [`Runbook: ${n.fleetbook.runbookUrl}`] : []),
          `Labels: ${Object.entries(a.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')}`,
        ];
        try {
          await createWorkItem(
            db,
            who,
            {
              id,
              kind: config.kind ?? 'ticket',
              title: a.title.length > 300 ? `${a.title.slice(0, 299)}…` : a.title,
              description: lines.join('\n'),
              state: 'open',
              priority: config.priority?.[severity] ?? WORK_ITEM_PRIORITY_BY_SEVERITY[severity] ?? 'normal',
              ...(config.owner ? { owner: config.owner } : {}),
              links: linksOf(a),
            },
            { origin: 'alert' },
          );
          opened.push(id);
        } catch (err) {
          // Another replica, or an earlier attempt that died after its commit: it is there.
          if (!isConflict(err)) throw err;
          had.push(id);
        }
      } else {
        if ((config.on_resolve ?? 'comment') === 'none' || !exists) continue;
        const said = await db
          .selectFrom('work_item_comments')
          .select('id')
          .where('work_item_id', '=', id)
          .where('author', '=', who.name)
          .where('body', 'like', `${RESOLVED_MARK}%`)
          .executeTakeFirst();
        if (said) continue;
        await addComment(
          db,
          who,
          id,
          `${RESOLVED_MARK} ${a.resolved_at ? new Date(a.resolved_at).toISOString() : 'now'}: ${a.title}. Close this item once the cause is dealt with.`,
        );
        commented.push(id);
      }
    }
    const parts = [
      opened.length ? `opened ${opened.join(', ')}` : '',
      had.length ? `already open ${had.join(', ')}` : '',
      commented.length ? `commented on ${commented.join(', ')}` : '',
    ].filter(Boolean);
    return { ok: true, detail: parts.join('; ') || 'nothing to do' };
  },
};
