import React, { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import {
  autoCheckResultSchema,
  type ExecutionSummary,
  type ItemState,
} from '../../data-api/src/contracts/executions.ts';
import { useConnection } from '../data/useLive.ts';
import { useDataClient } from '../data/useResource.ts';
import { ifVersionFor, type ViewItem } from './model.ts';
import { AutoCheckView, type CheckState } from './AutoCheckView.tsx';

const subscribeOnline = (notify: () => void) => {
  window.addEventListener('online', notify);
  window.addEventListener('offline', notify);
  return () => {
    window.removeEventListener('online', notify);
    window.removeEventListener('offline', notify);
  };
};

/** The browser has a network and the page's live connection is not lost. */
function useOnline(): boolean {
  const browser = useSyncExternalStore(
    subscribeOnline,
    () => navigator.onLine,
    () => true,
  );
  const live = useConnection();
  return browser && live.status !== 'offline';
}

/**
 * An item's `auto_check` (runbooks.md): what it probes, and a Check button that asks the API to
 * run the probe (POST …/items/:item_id/check). Sent at once, never queued: a probe says
 * something about now, so offline the button says it needs the connection.
 */
export function AutoCheck({
  item,
  executionId,
  canCheck,
  onItem,
}: {
  item: ViewItem;
  executionId: string;
  /** An operator (or admin) on an open item; others see what is probed, not the button. */
  canCheck: boolean;
  onItem(item: ItemState, summary: ExecutionSummary): void;
}): ReactNode {
  const client = useDataClient();
  const online = useOnline();
  const [state, setState] = useState<CheckState>({ status: 'idle' });
  // Another item version (someone ticked or unticked it): an old verdict no longer describes it.
  const version = item.version;
  useEffect(
    () => setState((s) => (s.status === 'done' && s.result.item.version !== version ? { status: 'idle' } : s)),
    [version],
  );

  const run = async () => {
    setState({ status: 'running' });
    const if_version = ifVersionFor(item);
    try {
      const result = await client.send(
        autoCheckResultSchema,
        'POST',
        `/runbook-executions/${encodeURIComponent(executionId)}/items/${encodeURIComponent(item.id)}/check`,
        if_version === undefined ? {} : { if_version },
      );
      onItem(result.item, result.execution);
      setState({ status: 'done', result });
    } catch (err) {
      setState({ status: 'error', message: (err as Error).message });
    }
  };
  return <AutoCheckView item={item} state={state} online={online} canCheck={canCheck} onCheck={() => void run()} />;
}
