import React, { type ReactNode } from 'react';
import type { WorkItem, WorkItemState } from '../../../data-api/src/contracts/work-items.ts';
import { frameStyles as s, StatusBadge } from '../shared/WidgetFrame.tsx';
import { WorkCard } from './Card.tsx';
import styles from './styles.module.css';

export interface BoardColumnsProps {
  columns: WorkItemState[];
  byState: Map<WorkItemState, WorkItem[]>;
  writer: boolean;
  me: string | undefined;
  /** Cards name their site unless the board is one site's. */
  showSite: boolean;
}

/** One column per state, its count in the heading, its cards most urgent first. */
export function BoardColumns({ columns, byState, writer, me, showSite }: BoardColumnsProps): ReactNode {
  return (
    <div className={styles.board}>
      {columns.map((col) => (
        <div
          key={col}
          className={styles.column}
          data-testid={`work-column-${col}`}
          data-count={byState.get(col)?.length ?? 0}
        >
          <h4 className={styles.columnTitle}>
            <StatusBadge status={col} /> <span className={s.muted}>{byState.get(col)?.length ?? 0}</span>
          </h4>
          {(byState.get(col) ?? []).map((item) => (
            <WorkCard key={item.id} item={item} writer={writer} me={me} showSite={showSite} />
          ))}
        </div>
      ))}
    </div>
  );
}
