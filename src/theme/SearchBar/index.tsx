// The search box: the handbook's local search (@easyops-cn/docusaurus-search-local, both docs
// instances) and, from the same box, the fleet: devices, sites and deployments whose id or name
// matches, from the data API (`?q=`), each a link to its live page. Enter on an exact id jumps there.
// The fleet panel sits above the handbook's results, which move down by its height (never under it),
// and it closes when the page changes, whichever list the reader picked from.
import React, { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import Link from '@docusaurus/Link';
import { useHistory, useLocation } from '@docusaurus/router';
import OriginalSearchBar from '@theme-original/SearchBar';
import { deploymentPage, devicePage, sitePage } from '../../../data-api/src/contracts/registry.ts';
import { useDataClient } from '../../data/useResource.ts';
import { Icon } from '../../components/Icon/index.tsx';
import { fleetHref, type FleetKind } from '../../widgets/shared/FleetLink.tsx';
import styles from './styles.module.css';

interface FleetMatch {
  kind: FleetKind;
  id: string;
  name: string | null;
}

const ID_LIKE = /^(dev|gw|site|dep)_[A-Za-z0-9._-]+$/;

function useFleetMatches(query: string): FleetMatch[] {
  const client = useDataClient();
  const [matches, setMatches] = useState<FleetMatch[]>([]);
  useEffect(() => {
    const q = query.trim();
    if (q.length < 3) {
      setMatches([]);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(async () => {
      const qs = `q=${encodeURIComponent(q)}&limit=5`;
      const get = async <T,>(path: string, parse: (v: unknown) => T): Promise<T | null> => {
        try {
          return parse(await client.get(path, abort.signal));
        } catch {
          return null; // no API (static hosting) or offline: the handbook search still works
        }
      };
      const [devices, sites, deployments] = await Promise.all([
        get(`/devices?${qs}`, (v) => devicePage.parse(v)),
        get(`/sites?${qs}`, (v) => sitePage.parse(v)),
        get(`/deployments?${qs}`, (v) => deploymentPage.parse(v)),
      ]);
      if (abort.signal.aborted) return;
      setMatches([
        ...(sites?.items ?? []).map((s) => ({ kind: 'site' as const, id: s.id, name: s.name })),
        ...(deployments?.items ?? []).map((d) => ({ kind: 'deployment' as const, id: d.id, name: d.name })),
        ...(devices?.items ?? []).map((d) => ({ kind: 'device' as const, id: d.id, name: d.name })),
      ]);
    }, 200);
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [client, query]);
  return matches;
}

export default function SearchBar(props: Record<string, unknown>): ReactNode {
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState(false);
  const matches = useFleetMatches(query);
  const history = useHistory();
  const box = useRef<HTMLDivElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const [panelHeight, setPanelHeight] = useState(0);
  const { pathname, search } = useLocation();
  const hrefOf = (m: FleetMatch) => fleetHref(m.kind, m.id);
  const shown = open && matches.length > 0;

  // A new page (a handbook result, a fleet link, Back): the panel was for the page just left.
  useEffect(() => setOpen(false), [pathname, search]);

  // How far the handbook's results move down: the panel's height (it scrolls past a cap).
  useLayoutEffect(() => {
    setPanelHeight(shown && panel.current ? panel.current.offsetHeight : 0);
  }, [shown, matches]);

  useEffect(() => {
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  return (
    <div
      ref={box}
      className={styles.wrap}
      data-testid="search-box"
      data-fleet-open={shown ? 'true' : undefined}
      style={{ '--fleet-panel-height': `${panelHeight}px` } as CSSProperties}
      // Bubble phase, not capture: the box's input is controlled by the search plugin, and a state
      // change flushed before its own onChange would re-render it with the old value (every key lost).
      onInput={(e) => {
        setQuery((e.target as HTMLInputElement).value ?? '');
        setOpen(true);
      }}
      onKeyDownCapture={(e) => {
        if (e.key === 'Escape') setOpen(false);
        if (e.key !== 'Enter') return;
        const q = query.trim();
        const exact = ID_LIKE.test(q) ? matches.find((m) => m.id === q) : undefined;
        if (exact) {
          e.preventDefault();
          e.stopPropagation();
          setOpen(false);
          history.push(hrefOf(exact));
        }
      }}
    >
      <OriginalSearchBar {...props} />
      {shown && (
        <div ref={panel} className={styles.fleet} role="region" aria-label="Fleet matches" data-testid="search-fleet">
          <div className={styles.heading}>In the fleet</div>
          <ul>
            {matches.map((m) => (
              <li key={`${m.kind}:${m.id}`}>
                <Link to={hrefOf(m)} onClick={() => setOpen(false)} data-testid={`search-fleet-${m.id}`}>
                  <Icon name={m.kind === 'device' ? 'device' : 'search'} />{' '}
                  <span className={styles.kind}>{m.kind}</span> <code>{m.id}</code>
                  {m.name && m.name !== m.id ? <span className={styles.name}> {m.name}</span> : null}
                </Link>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
