import React, { useState, type ReactNode } from 'react';
import clsx from 'clsx';
import {
  WORK_ITEM_STATES,
  workItemSchema,
  type WorkItem,
  type WorkItemState,
} from '../../../data-api/src/contracts/work-items.ts';
import { useDataClient } from '../../data/useResource.ts';
import { boardStyles } from '../shared/Board.tsx';
import { FleetLink } from '../shared/FleetLink.tsx';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';
import { isOverdue, localDay } from './model.ts';
import styles from './styles.module.css';

const LABEL: Record<WorkItemState, string> = {
  open: 'open',
  in_progress: 'in progress',
  blocked: 'blocked',
  done: 'done',
  cancelled: 'cancelled',
};

/** Chromium has no emoji font: a small SVG for "comments" and "attachments". */
function Icon({ d, label }: { d: string; label: string }): ReactNode {
  return (
    <svg className={styles.icon} viewBox="0 0 16 16" aria-label={label} role="img">
      <path d={d} fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinejoin="round" />
    </svg>
  );
}
const COMMENT = 'M2 3h12v8H7l-3 3v-3H2z';
const CLIP = 'M10 4 5.5 8.5a1.5 1.5 0 0 0 2 2L12 6a3 3 0 0 0-4-4L3.5 6.5a4.5 4.5 0 0 0 6 6L13 9';

/**
 * One work item: title, priority, owner, due, links (its site, deployment and device each to its
 * page); operators move it between states and take it.
 */
export function WorkCard({
  item,
  writer,
  me,
  showSite,
}: {
  item: WorkItem;
  writer: boolean;
  me: string | undefined;
  showSite: boolean;
}): ReactNode {
  const client = useDataClient();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const overdue = isOverdue(item, localDay(new Date()));

  const change = async (body: Record<string, unknown>) => {
    setBusy(true);
    setFailure(null);
    try {
      // if_version: a card moved by someone else meanwhile is refused (409), not overwritten.
      const after = await client.send(workItemSchema, 'PATCH', `/work-items/${encodeURIComponent(item.id)}`, {
        ...body,
        if_version: item.version,
      });
      client.store.seed('work_item', [after]);
    } catch (err) {
      setFailure((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article
      className={clsx(boardStyles.card, boardStyles.accent, styles[`p_${item.priority}`])}
      data-testid={`work-card-${item.id}`}
      data-state={item.state}
      data-priority={item.priority}
      data-owner={item.owner ?? ''}
      data-version={item.version}
    >
      <div className={boardStyles.cardTitle}>{item.title}</div>
      <div className={styles.meta}>
        <span className={styles.chip}>{item.kind}</span>
        <span>{item.priority}</span>
        <span data-testid={`work-card-owner-${item.id}`}>{item.owner ?? 'unassigned'}</span>
        {item.due && (
          <span className={overdue ? styles.overdue : undefined}>
            {overdue ? `overdue ${item.due}` : `due ${item.due}`}
          </span>
        )}
      </div>
      <div className={styles.meta}>
        <span className={styles.id}>{item.id}</span>
        {showSite && item.links.site_id && <FleetLink kind="site" id={item.links.site_id} />}
        {item.links.deployment_id && <FleetLink kind="deployment" id={item.links.deployment_id} />}
        {item.links.device_id && <FleetLink kind="device" id={item.links.device_id} />}
        {item.links.automation_run_id && <span>run {item.links.automation_run_id}</span>}
        {item.links.runbook_execution_id && (
          <span>
            execution {item.links.runbook_execution_id}
            {item.links.runbook_item_id ? ` · ${item.links.runbook_item_id}` : ''}
          </span>
        )}
        {item.external_ref?.url ? (
          <a href={item.external_ref.url} target="_blank" rel="noreferrer noopener">
            {item.external_ref.key ?? item.external_ref.system}
          </a>
        ) : item.external_ref?.key ? (
          <span>{item.external_ref.key}</span>
        ) : null}
        {item.comment_count > 0 && (
          <span>
            <Icon d={COMMENT} label="comments" /> {item.comment_count}
          </span>
        )}
        {item.attachment_count > 0 && (
          <span>
            <Icon d={CLIP} label="attachments" /> {item.attachment_count}
          </span>
        )}
      </div>
      {writer && (
        <div className={styles.actions}>
          <select
            className={s.select}
            value={item.state}
            disabled={busy}
            onChange={(e) => change({ state: e.target.value })}
            aria-label={`state of ${item.title}`}
            data-testid={`work-card-move-${item.id}`}
          >
            {WORK_ITEM_STATES.map((st) => (
              <option key={st} value={st}>
                {LABEL[st]}
              </option>
            ))}
          </select>
          {me && item.owner !== me && (
            <button
              type="button"
              className={s.button}
              disabled={busy}
              onClick={() => change({ owner: me })}
              data-testid={`work-card-take-${item.id}`}
            >
              Take it
            </button>
          )}
        </div>
      )}
      {failure && (
        <p className={s.error} role="alert">
          {failure}
        </p>
      )}
    </article>
  );
}
