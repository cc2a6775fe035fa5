import React, { type CSSProperties, type ReactNode } from 'react';
import styles from './board.module.css';
import { frameStyles as s, StatusBadge } from './WidgetFrame.tsx';

/** The card classes: `card` (with `accent` for a coloured edge) and `cardTitle`. */
export { styles as boardStyles };

export interface BoardProps<C extends string, T> {
  columns: readonly C[];
  byColumn: ReadonlyMap<C, readonly T[]>;
  /** Each column is `data-testid="<testId>-<column>"` with its `data-count`. */
  testId: string;
  /** The narrowest a column gets before the columns wrap (default 11rem). */
  minColumn?: string;
  /** One card, keyed by the caller. */
  card: (item: T) => ReactNode;
}

/** One column per state, its badge and count in the heading, then its cards. */
export function Board<C extends string, T>({
  columns,
  byColumn,
  testId,
  minColumn,
  card,
}: BoardProps<C, T>): ReactNode {
  const style = minColumn ? ({ '--board-min-column': minColumn } as CSSProperties) : undefined;
  return (
    <div className={styles.board} style={style}>
      {columns.map((col) => (
        <div
          key={col}
          className={styles.column}
          data-testid={`${testId}-${col}`}
          data-count={byColumn.get(col)?.length ?? 0}
        >
          <h4 className={styles.columnTitle}>
            <StatusBadge status={col} /> <span className={s.muted}>{byColumn.get(col)?.length ?? 0}</span>
          </h4>
          {(byColumn.get(col) ?? []).map(card)}
        </div>
      ))}
    </div>
  );
}
