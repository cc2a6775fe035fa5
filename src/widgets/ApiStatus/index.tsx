import React, { type ReactNode } from 'react';
import useIsBrowser from '@docusaurus/useIsBrowser';
import { healthSchema, type Health } from '../../../data-api/src/contracts/health.ts';
import { useResource } from '../../data/useResource.ts';
import styles from './styles.module.css';

type Part = 'up' | 'down' | 'building' | 'unknown';

/** Lagging shows amber, like a build in progress: working, not keeping up. */
const INGEST_STATE: Record<Health['ingest']['status'], Part> = {
  ok: 'up',
  down: 'down',
  lagging: 'building',
  off: 'unknown',
};

function Dot({ state, label, detail }: { state: Part; label: string; detail?: string }): ReactNode {
  return (
    <li className={styles.part} data-testid={`api-status-${label.toLowerCase()}`} data-state={state}>
      <span className={`${styles.dot} ${styles[state]}`} aria-hidden />
      <span className={styles.label}>{label}</span>
      <span className={styles.detail}>{detail ?? state}</span>
    </li>
  );
}

/** Live health of the data API, its database, its MQTT broker and ingest, and the site build. */
export function ApiStatus({ refreshMs = 5000 }: { refreshMs?: number }): ReactNode {
  const isBrowser = useIsBrowser();
  const health = useResource(isBrowser ? '/health' : null, healthSchema, refreshMs);

  if (!isBrowser || health.status === 'loading') {
    return (
      <div className={styles.box} data-testid="api-status" data-state="loading">
        ApiStatus: checking the data API…
      </div>
    );
  }
  if (health.status === 'error') {
    return (
      <div className={styles.box} data-testid="api-status" data-state="unreachable">
        <Dot state="down" label="API" detail={`unreachable (${health.error.message})`} />
      </div>
    );
  }
  const h = health.data;
  const buildState: Part = h.build.status === 'ready' ? 'up' : h.build.status === 'building' ? 'building' : 'unknown';
  return (
    <div className={styles.box} data-testid="api-status" data-state={health.status === 'stale' ? 'stale' : h.status}>
      <ul className={styles.parts}>
        <Dot state={health.status === 'stale' ? 'down' : 'up'} label="API" detail={`v${h.version}`} />
        <Dot
          state={h.database.status}
          label="Database"
          detail={`${h.database.kind === 'pglite' ? 'embedded PGlite' : 'PostgreSQL'} · ${h.database.status}`}
        />
        <Dot
          state={h.broker.status}
          label="Broker"
          detail={`${h.broker.kind === 'aedes' ? 'embedded MQTT' : 'MQTT'} · ${h.broker.status}`}
        />
        <Dot
          state={INGEST_STATE[h.ingest.status]}
          label="Ingest"
          detail={h.ingest.reason ? `${h.ingest.status}: ${h.ingest.reason}` : h.ingest.status}
        />
        <Dot state={buildState} label="Site" detail={`build ${h.build.status}`} />
      </ul>
      {health.status === 'stale' && (
        <p className={styles.stale} data-testid="api-status-stale">
          data API unreachable — showing data from {health.updatedAt.toLocaleTimeString()}
        </p>
      )}
    </div>
  );
}

export default ApiStatus;
