import React, { type ReactNode } from 'react';
import type { Command } from '../../../data-api/src/contracts/commands.ts';
import { RelativeTime } from '../shared/Time.tsx';
import { frameStyles as s, StatusBadge } from '../shared/WidgetFrame.tsx';
import styles from './styles.module.css';

const params = (p: Record<string, unknown>) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');

/** The device's recent commands, newest first: status, who sent it when, and why it failed or expired. */
export function RecentCommands({
  items,
  state,
  refused,
  now,
}: {
  items: readonly Command[];
  state: string;
  /** What the API answered when it refused the read (`refusalText`), or null. */
  refused: string | null;
  now: number;
}): ReactNode {
  return (
    <>
      <h4 style={{ margin: '0.75rem 0 0.25rem' }}>Recent commands</h4>
      {refused ? (
        <p className={s.note}>{refused}</p>
      ) : items.length === 0 ? (
        <p className={s.note} data-testid="device-commands-recent-empty">
          {state === 'loading' ? 'Loading…' : 'No command sent to this device yet.'}
        </p>
      ) : (
        <ul className={styles.recent} data-testid="device-commands-recent">
          {items.map((c) => (
            <li key={c.cmd_id} data-testid={`device-commands-recent-${c.cmd_id}`} data-status={c.status}>
              <StatusBadge status={c.status} /> <code>{c.action}</code>{' '}
              {Object.keys(c.params).length > 0 && <span className={styles.params}>{params(c.params)}</span>}
              <br />
              <span className={s.muted}>
                by {c.created_by} · <RelativeTime iso={c.created_at} now={now} />
                {c.status === 'expired' ? (
                  <>
                    {' '}
                    · no final result by <RelativeTime iso={c.expires_at} now={now} />
                  </>
                ) : c.result_at ? (
                  <>
                    {' '}
                    · answered <RelativeTime iso={c.result_at} now={now} />
                  </>
                ) : null}
              </span>
              {c.detail && (
                <div
                  className={c.status === 'failed' || c.status === 'expired' ? s.error : s.muted}
                  data-testid={`device-commands-detail-${c.cmd_id}`}
                >
                  {c.detail}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
