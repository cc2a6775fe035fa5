import React, { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import BrowserOnly from '@docusaurus/BrowserOnly';
import { changePayloadOf } from '../../data-api/src/contracts/change-events.ts';
import { a2uiMessagesSchema, surfaceResponseSchema, type A2uiMessage } from '../../data-api/src/contracts/surfaces.ts';
import { useLiveResource, useLiveTopics } from '../data/useLive.ts';
import { useDataClient } from '../data/useResource.ts';
import { canOperate, useWhoami } from '../data/useWhoami.ts';
import { CodeRetry, LoadedOr, Placeholder } from '../widgets/island.tsx';
import { retryingImport } from '../widgets/lazy-retry.ts';
import { frameStyles as fs, WidgetFrame } from '../widgets/shared/WidgetFrame.tsx';
import { useSiteRead } from '../widgets/shared/useSiteRead.ts';
import styles from './styles.module.css';

// The A2UI renderer, its own chunk: retried when it fails to load (../widgets/lazy-retry.ts).
const a2uiView = retryingImport(() => import('./A2uiView.tsx'));

export interface SurfaceProps {
  /** A surface the API defines, e.g. `fleet-overview`. */
  name: string;
  /** Its parameters, e.g. `{ site: 'site_farm-north' }`. */
  params?: Record<string, string>;
  /** Shorthand for `params={{ site }}`. */
  site?: string;
}

/**
 * An A2UI v0.9 surface drawn from `GET /api/v1/surfaces/:name`: the API decides what it
 * shows, so it changes without a site rebuild; `updateDataModel` arrives over SSE.
 */
export function Surface(props: SurfaceProps): ReactNode {
  const testId = `surface-${props.name}`;
  return (
    <BrowserOnly fallback={<Placeholder name="Surface" label={`Surface ${props.name}`} testId={testId} />}>
      {() => <LiveSurface {...props} testId={testId} />}
    </BrowserOnly>
  );
}

function LiveSurface({ name, params, site, testId }: SurfaceProps & { testId: string }): ReactNode {
  const client = useDataClient();
  const all = { ...(params ?? {}), ...(site ? { site } : {}) };
  const query = new URLSearchParams(all).toString();
  const res = useLiveResource(
    `/surfaces/${encodeURIComponent(name)}${query ? `?${query}` : ''}`,
    surfaceResponseSchema,
    {
      missingIsUnavailable: true,
    },
  );
  const checked = useSiteRead(`Surface ${name}`, all.site, res);
  const who = useWhoami();
  const [actionError, setActionError] = useState<string | null>(null);
  const listeners = useRef(new Set<(m: A2uiMessage[]) => void>());
  const pending = useRef<A2uiMessage[]>([]);
  const [applied, setApplied] = useState(0);
  const response = res.data;

  // What the view draws, its data aside: a re-read that draws the same (a resync, a recovery)
  // hands its data model to the view already mounted; only a new drawing (a republished
  // definition) mounts a new view, which would show "[Loading root...]" for a moment.
  const drawing = useMemo(
    () => (response ? JSON.stringify(response.messages.filter((m) => !('updateDataModel' in m))) : null),
    [response],
  );
  const drawn = useRef<string | null>(null);
  useEffect(() => {
    if (!response) return;
    const same = drawn.current === drawing;
    drawn.current = drawing;
    // A view mounting now draws this response: what was waiting for it is older.
    if (!same || listeners.current.size === 0) {
      pending.current = [];
      return;
    }
    const data = response.messages.filter((m) => 'updateDataModel' in m);
    for (const l of listeners.current) l(data);
  }, [response, drawing]);

  // The topics are in the answer, so they are subscribed only after the read: `since` (where
  // the page stood as the read began) makes the connection re-read the surface (onResync) when
  // a change may have been committed in between, instead of missing it.
  useLiveTopics(response ? response.topics : null, {
    since: res.since,
    onResync: res.reload,
    onChange: (e) => {
      // Parsed by the connection (contracts/change-events.ts): one of another shape never comes
      // here, the connection refuses it and this surface re-reads (onResync).
      const payload = changePayloadOf(e, 'surface.updated');
      if (!payload) return;
      if (payload.kind === 'definition') {
        res.reload();
        return;
      }
      if (listeners.current.size === 0) pending.current.push(...payload.messages);
      for (const l of listeners.current) l(payload.messages);
      setApplied((n) => n + 1);
    },
  });

  const subscribe = useCallback((listener: (m: A2uiMessage[]) => void) => {
    if (pending.current.length) listener(pending.current.splice(0));
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  const onAction = useCallback(
    async (action: {
      name: string;
      surfaceId: string;
      sourceComponentId: string;
      timestamp: string;
      context: Record<string, unknown>;
    }) => {
      setActionError(null);
      const answer = await client.send(
        a2uiMessagesSchema,
        'POST',
        `/surfaces/${encodeURIComponent(name)}/actions${query ? `?${query}` : ''}`,
        { version: 'v0.9', action },
      );
      return answer.messages;
    },
    [client, name, query],
  );

  return (
    <WidgetFrame
      name="Surface"
      testId={testId}
      title={response?.title}
      state={checked.state}
      connection={res.connection}
      refused={checked.refused}
      // 404: the API says what it does not know, the surface or what a parameter names ("deployment dep_x
      // not found"); an unknown site is told by the site's own read (useSiteRead), in the shared words.
      unavailableText={`Surface ${name}: ${res.status === 'unavailable' ? res.error.message : 'not found'}.`}
      className={styles.surface}
      data={{ surface: name, 'surface-id': response?.surfaceId ?? '', updates: applied }}
    >
      {actionError && (
        <p className={fs.error} role="alert">
          {actionError}
        </p>
      )}
      {/* No boundary of its own: a view that throws crashes the Surface island, which says so (Retry). */}
      {response && (
        <LoadedOr
          key={drawing}
          code={a2uiView}
          props={{
            surfaceId: response.surfaceId,
            messages: response.messages,
            subscribe,
            onAction,
            onError: setActionError,
            canOperate: canOperate(who.data?.role),
          }}
          fallback={(code) =>
            code.state.status === 'loading' ? (
              <p className={fs.note}>Drawing the surface…</p>
            ) : (
              <CodeRetry what={`Surface ${name}: the surface renderer's code`} testId={testId} {...code} />
            )
          }
        />
      )}
    </WidgetFrame>
  );
}

export default Surface;
