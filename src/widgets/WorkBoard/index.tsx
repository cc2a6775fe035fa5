import React, { useMemo, useRef, useState, type ReactNode } from 'react';
import {
  WORK_ITEM_STATES,
  workItemPageSchema,
  type WorkItem,
  type WorkItemState,
} from '../../../data-api/src/contracts/work-items.ts';
import { TOKEN_KEY } from '../../data/client.ts';
import { useLiveResource, useLiveRows } from '../../data/useLive.ts';
import { useWhoami } from '../../data/useWhoami.ts';
import { Board } from '../shared/Board.tsx';
import { frameStyles as s, WidgetFrame } from '../shared/WidgetFrame.tsx';
import { useSiteRead } from '../shared/useSiteRead.ts';
import { WorkCard } from './Card.tsx';
import { columnsOf, distinct, matches, type BoardFilter } from './model.ts';
import { NewItemForm } from './NewItem.tsx';
import { ANY, BoardToolbar, UNOWNED } from './Toolbar.tsx';
import styles from './styles.module.css';

export interface WorkBoardProps {
  /** Only this site's work (`site_…`). */
  site?: string;
  /** Only this deployment's work (`dep_…`). */
  deployment?: string;
  customer?: string;
  /** A person, or `me` for whoever is signed in. */
  owner?: string;
  /** "My work": the signed-in person's items (same as owner="me"). */
  mine?: boolean;
  kind?: 'ticket' | 'task';
  /** Columns to show (default: every state). */
  states?: WorkItemState[];
  /** Done and cancelled items stay on the board this many days after they closed (default 14). */
  closedDays?: number;
  /** Show the "new item" line to people who may write (default true). */
  create?: boolean;
  title?: ReactNode;
}

const canWrite = (role: string | undefined) => role === 'operator' || role === 'automation' || role === 'admin';

/** The API query: the board's fixed selection, and closed items only since `closedSince`. */
function workQuery(f: Omit<BoardFilter, 'unowned'>, closedSince: string): URLSearchParams {
  const q = new URLSearchParams({ limit: '500', closed_since: closedSince });
  if (f.site) q.set('site_id', f.site);
  if (f.deployment) q.set('deployment_id', f.deployment);
  if (f.customer) q.set('customer_id', f.customer);
  if (f.kind) q.set('kind', f.kind);
  if (f.owner) q.set('owner', f.owner);
  return q;
}

/** Tickets and tasks in one column per state, live; filter by site and owner; operators move and take cards. */
export function WorkBoard(props: WorkBoardProps): ReactNode {
  const { site, deployment, customer, kind, states, closedDays = 14, create = true, title } = props;
  const mine = props.mine || props.owner === 'me';
  const who = useWhoami();
  const signedOut = mine && (who.status === 'error' || who.data?.kind === 'anonymous');
  const closedSince = useMemo(() => new Date(Date.now() - closedDays * 86_400_000).toISOString(), [closedDays]);
  const [siteFilter, setSiteFilter] = useState(ANY);
  const [ownerFilter, setOwnerFilter] = useState(ANY);

  const q = workQuery({ site, deployment, customer, kind, owner: mine ? 'me' : props.owner }, closedSince);

  const known = useRef(new Set<string>());
  // The browser parses what it fetched with the contract (useLiveResource), never guesses.
  const res = useLiveResource(signedOut ? null : `/work-items?${q.toString()}`, workItemPageSchema, {
    topics: ['work_item'],
    // Rows on the board follow the store; a new item, or one that now matches, needs a re-read.
    refetchOn: (e) =>
      e.type === 'work_item.created' || (e.type === 'work_item.updated' && !known.current.has(e.subject.id)),
    seed: (page) => ({ type: 'work_item', rows: page.items }),
    missingIsUnavailable: true,
  });
  // Signed out, the board is a sign-in form: no site to check.
  const checked = useSiteRead('WorkBoard', signedOut ? undefined : site, res);
  const page = res.data;
  const live = useLiveRows<WorkItem>('work_item', page?.items ?? null);
  known.current = new Set(live.map((i) => i.id));

  const me = who.data?.name;
  const base: BoardFilter = {
    site,
    deployment,
    customer,
    kind,
    ...(mine ? { owner: me } : props.owner ? { owner: props.owner } : {}),
  };
  const onBoard = live.filter((i) => matches(i, base) && (!mine || me !== undefined));
  const shown = onBoard.filter(
    (i) =>
      (siteFilter === ANY || i.links.site_id === siteFilter) &&
      (ownerFilter === ANY || (ownerFilter === UNOWNED ? i.owner === null : i.owner === ownerFilter)),
  );
  const columns = states?.length ? states : [...WORK_ITEM_STATES];
  const byState = columnsOf(shown, columns);
  const writer = canWrite(who.data?.role) && who.data?.kind !== 'anonymous';
  const sites = distinct(onBoard, (i) => i.links.site_id);
  const owners = distinct(onBoard, (i) => i.owner);

  const toolbar = (
    <BoardToolbar
      who={who.data}
      sites={sites}
      owners={owners}
      me={me}
      siteMenu={!site && !deployment}
      ownerMenu={!mine && !props.owner}
      siteFilter={siteFilter}
      setSiteFilter={setSiteFilter}
      ownerFilter={ownerFilter}
      setOwnerFilter={setOwnerFilter}
    />
  );

  if (signedOut) return <SignIn title={title ?? 'My work'} onSaved={() => who.reload()} />;

  return (
    <WidgetFrame
      name="WorkBoard"
      testId="work-board"
      title={title ?? (mine ? `My work${me ? ` — ${me}` : ''}` : 'Work items')}
      toolbar={toolbar}
      state={checked.state}
      connection={res.connection}
      refused={checked.refused}
      empty={!checked.siteRefused && res.status === 'ready' && onBoard.length === 0 && !(writer && create)}
      emptyText={mine ? 'Nothing assigned to you. ' : 'No open work for this selection.'}
      unavailableText="WorkBoard: this data API does not serve work items yet (GET /api/v1/work-items answered 404)."
      data={{
        ...Object.fromEntries(columns.map((c) => [`count-${c}`, byState.get(c)?.length ?? 0])),
        writer: writer ? 'yes' : 'no',
      }}
    >
      {writer && create && <NewItemForm links={{ site, deployment, customer }} owner={mine ? me : undefined} />}
      {/* Cards most urgent first (columnsOf); they name their site unless the board is one site's. */}
      <Board
        columns={columns}
        byColumn={byState}
        testId="work-column"
        minColumn="10.5rem"
        card={(item) => <WorkCard key={item.id} item={item} writer={writer} me={me} showSite={!site} />}
      />
    </WidgetFrame>
  );
}

/** "My work" needs to know who you are: the same token the runbook runner saves in this browser. */
function SignIn({ title, onSaved }: { title: ReactNode; onSaved(): void }): ReactNode {
  const [value, setValue] = useState('');
  return (
    <section className={s.frame} data-testid="work-board" data-state="signed-out" data-widget="WorkBoard">
      <header className={s.header}>
        <h3 className={s.title}>{title}</h3>
      </header>
      <form
        className={styles.newForm}
        onSubmit={(ev) => {
          ev.preventDefault();
          if (!value.trim()) return;
          localStorage.setItem(TOKEN_KEY, value.trim());
          window.dispatchEvent(new Event('fleetbook-token-changed'));
          onSaved();
        }}
      >
        <label className={s.muted} htmlFor="work-board-token">
          Sign in with your API token to see your work:
        </label>
        <input
          id="work-board-token"
          className={s.input}
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="fbk_…"
          data-testid="work-board-token"
        />
        <button type="submit" className={s.button} data-testid="work-board-token-save">
          Sign in
        </button>
      </form>
    </section>
  );
}

export default WorkBoard;
