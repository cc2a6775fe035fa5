import React, { type ReactNode } from 'react';
import type { Silence } from '../../../data-api/src/contracts/notifications.ts';
import { shortDateTime } from '../shared/format.ts';
import { frameStyles as s, StatusBadge, scrollRegion } from '../shared/WidgetFrame.tsx';

export interface SilenceTableProps {
  items: Silence[];
  /** Operators get an "End now" button per silence. */
  operator: boolean;
  busy: boolean;
  onExpire: (id: string) => void;
  /** The region's name (the widget's title). */
  name: string;
}

/** The pending and active silences: matchers, state, until when, why and who. */
export function SilenceTable({ items, operator, busy, onExpire, name }: SilenceTableProps): ReactNode {
  return (
    <div className={s.tableWrap} {...scrollRegion(name)}>
      <table className={s.table}>
        <thead>
          <tr>
            <th>matchers</th>
            <th>state</th>
            <th>until</th>
            <th className={s.optional}>why</th>
            {operator && (
              <th>
                <span className={s.visuallyHidden}>actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((x) => (
            <tr key={x.id} data-testid={`silence-${x.id}`} data-state={x.state}>
              <td className={s.mono}>{x.matchers.join(', ')}</td>
              <td>
                <StatusBadge status={x.state} />
              </td>
              <td>{shortDateTime(x.ends_at)}</td>
              <td className={s.optional}>
                {x.comment} <span className={s.muted}>({x.created_by})</span>
              </td>
              {operator && (
                <td>
                  <button
                    type="button"
                    className={s.button}
                    disabled={busy}
                    onClick={() => onExpire(x.id)}
                    data-testid={`silence-expire-${x.id}`}
                  >
                    End now
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
