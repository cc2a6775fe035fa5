import React, { type ReactNode } from 'react';
import type { Alert } from '../../../data-api/src/contracts/alerts.ts';
import { FleetLink, isFleetKind } from '../shared/FleetLink.tsx';
import { frameStyles as s, StatusBadge } from '../shared/WidgetFrame.tsx';
import { RelativeTime, TextWithTimes } from '../shared/Time.tsx';
import own from './styles.module.css';

export type AlertAction = 'acknowledge' | 'resolve';

const DELIVERY_MARK: Record<string, string> = { sent: '✓', failed: '✗', pending: '…', sending: '…' };

/** Who was told, one mark per contact point: the latest message of each. */
function Deliveries({ alert: a }: { alert: Alert }): ReactNode {
  if (!a.deliveries || a.deliveries.length === 0) return null;
  return (
    <div
      className={s.muted}
      data-testid={`alert-deliveries-${a.id}`}
      title="latest message per contact point (GET /api/v1/alerts/:id/notifications has every attempt)"
    >
      told:{' '}
      {a.deliveries.map((d, i) => (
        <span key={d.contact_point} data-contact-point={d.contact_point} data-state={d.state} data-status={d.status}>
          {i > 0 && ' · '}
          {d.contact_point} {d.status === 'resolved' ? 'resolved ' : ''}
          {DELIVERY_MARK[d.state]} {d.state}
          {d.attempts > 1 ? ` (${d.attempts} attempts)` : ''}
        </span>
      ))}
    </div>
  );
}

/** Acknowledge (while open) and resolve (until resolved); every button waits while any action runs. */
function Actions({ alert: a, busy, onAct }: { alert: Alert; busy: boolean; onAct: (action: AlertAction) => void }) {
  return (
    <td className={own.actions}>
      {a.state === 'open' && (
        <button
          type="button"
          className={s.button}
          disabled={busy}
          onClick={() => onAct('acknowledge')}
          data-testid={`alert-ack-${a.id}`}
        >
          Acknowledge
        </button>
      )}{' '}
      {a.state !== 'resolved' && (
        <button
          type="button"
          className={s.button}
          disabled={busy}
          onClick={() => onAct('resolve')}
          data-testid={`alert-resolve-${a.id}`}
        >
          Resolve
        </button>
      )}
    </td>
  );
}

export interface AlertRowProps {
  alert: Alert;
  now: number;
  /** The alert a link pointed at (`?alert=`): outlined. */
  highlighted: boolean;
  /** Operators get the actions column. */
  operator: boolean;
  busy: boolean;
  onAct: (alert: Alert, action: AlertAction) => void;
}

/** One alert: severity, title with who acknowledged and who was told, state, subject, age, actions. */
export function AlertRow({ alert: a, now, highlighted, operator, busy, onAct }: AlertRowProps): ReactNode {
  return (
    <tr
      id={a.id}
      data-testid={`alert-row-${a.id}`}
      data-state={a.state}
      data-severity={a.severity}
      style={highlighted ? { outline: '2px solid var(--ifm-color-primary)' } : undefined}
    >
      <td>
        <StatusBadge status={a.severity} />
      </td>
      <td className={own.title}>
        <TextWithTimes text={a.title} now={now} />
        {a.acked_by && <div className={s.muted}>acknowledged by {a.acked_by}</div>}
        <Deliveries alert={a} />
      </td>
      <td className={own.meta}>
        <StatusBadge status={a.state} testId={`alert-state-${a.id}`} />
      </td>
      <td className={`${s.optional} ${own.subject}`}>
        <code className={s.mono}>
          {a.subject.type}:
          {isFleetKind(a.subject.type) ? <FleetLink kind={a.subject.type} id={a.subject.id} /> : a.subject.id}
        </code>
      </td>
      <td className={own.meta}>
        <RelativeTime iso={a.opened_at} now={now} />
      </td>
      {operator && <Actions alert={a} busy={busy} onAct={(action) => onAct(a, action)} />}
    </tr>
  );
}
