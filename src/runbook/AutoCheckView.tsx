import React, { type ReactNode } from 'react';
import type { AutoCheckResult, ItemState } from '../../data-api/src/contracts/executions.ts';
import styles from './styles.module.css';

/** Where an item's auto_check stands in this browser (a verdict is not kept: it describes a moment). */
export type CheckState =
  | { status: 'idle' }
  | { status: 'running' }
  | { status: 'done'; result: AutoCheckResult }
  | { status: 'error'; message: string };

/** What the check shows, for each state: kept apart from the request so it can be rendered alone. */
export function AutoCheckView({
  item,
  state,
  online,
  canCheck,
  onCheck,
}: {
  item: Pick<ItemState, 'id' | 'auto_check'>;
  state: CheckState;
  online: boolean;
  canCheck: boolean;
  onCheck(): void;
}): ReactNode {
  if (!item.auto_check) return null;
  const { probe, target } = item.auto_check;
  const shown =
    state.status === 'done'
      ? state.result.passed
        ? 'passed'
        : 'failed'
      : state.status === 'error'
        ? 'error'
        : state.status;
  return (
    <div className={styles.autoCheck} data-testid={`runner-autocheck-${item.id}`} data-state={shown}>
      <div className={styles.row}>
        <span className={styles.muted}>
          Probe: {probe === 'device_up' ? 'device up' : probe} <code>{target}</code>
        </span>
        {canCheck && (
          <button
            type="button"
            className={styles.button}
            disabled={!online || state.status === 'running'}
            onClick={onCheck}
            title={online ? 'the API runs the probe now (5 s at most)' : 'needs the connection'}
            data-testid={`runner-autocheck-run-${item.id}`}
          >
            {state.status === 'running' ? 'Checking…' : 'Check'}
          </button>
        )}
      </div>
      {canCheck && !online && (
        <p className={styles.muted} data-testid={`runner-autocheck-offline-${item.id}`}>
          Checking needs the connection: probes are not queued offline. Tick by hand, or check when back online.
        </p>
      )}
      {state.status === 'done' && state.result.passed && (
        <p className={styles.success} role="status" data-testid={`runner-autocheck-result-${item.id}`}>
          Passed: <code>{state.result.target}</code> — {state.result.detail}
          {state.result.item.checked ? '' : '. The item still needs its evidence before it is ticked.'}
        </p>
      )}
      {state.status === 'done' && !state.result.passed && (
        <p className={styles.problem} role="alert" data-testid={`runner-autocheck-result-${item.id}`}>
          Failed: <code>{state.result.target}</code> — {state.result.detail}. Fix it and check again, or tick by hand.
        </p>
      )}
      {state.status === 'error' && (
        <p className={styles.problem} role="alert" data-testid={`runner-autocheck-result-${item.id}`}>
          Could not check: {state.message}
        </p>
      )}
    </div>
  );
}
