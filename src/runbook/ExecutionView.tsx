import React, { useEffect, useState, type ReactNode } from 'react';
import clsx from 'clsx';
import {
  activityListSchema,
  type Activity,
  type Execution,
  type ExecutionSummary,
  type ItemState,
  type Whoami,
} from '../../data-api/src/contracts/executions.ts';
import { useDataClient } from '../data/useResource.ts';
import type { Refusal } from './hooks.ts';
import { ItemRow } from './ItemRow.tsx';
import { finishHint, overlay, type ViewExecution, type ViewGate } from './model.ts';
import { Named, namesOf, type Names } from './names.tsx';
import type { ActionQueue, QueuedAction, QueueSnapshot } from './queue.ts';
import type { RunbookProp } from './runbook-prop.ts';
import styles from './styles.module.css';
import { Icon } from '../components/Icon/index.tsx';
import { RelativeTime } from '../widgets/shared/Time.tsx';

export interface ExecutionViewProps {
  execution: Execution;
  runbook: RunbookProp;
  queue: ActionQueue | null;
  snapshot: QueueSnapshot;
  refusals: Refusal[];
  dismiss(seq: number): void;
  who: Whoami | null;
  canWrite: boolean;
  onClose(): void;
  loadError: string | null;
  /** An answer that carries one item and the header (an auto_check's). */
  onItem(item: ItemState, summary: ExecutionSummary): void;
}

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

/** What a queued action does, to which item or gate, named as the checklist writes it. */
function Describe({ action: a, names }: { action: QueuedAction; names: Names }): ReactNode {
  switch (a.kind) {
    case 'tick':
    case 'untick':
    case 'note':
    case 'link':
      return (
        <>
          {a.kind} <Named text={names.item(a.itemId)} id={a.itemId} />
        </>
      );
    case 'value':
      return (
        <>
          value {String(a.body.value)} for <Named text={names.item(a.itemId)} id={a.itemId} />
        </>
      );
    case 'evidence':
      return (
        <>
          {a.evidenceKind} {a.filename} for <Named text={names.item(a.itemId)} id={a.itemId} />
        </>
      );
    case 'sign-off':
      return (
        <>
          sign off <Named text={names.gate(a.gateId)} id={a.gateId} />
        </>
      );
    default:
      return a.kind;
  }
}

/** May this person run auto_check probes? (operator_or_automation, and admins; the API decides.) */
const mayProbe = (who: Whoami | null) => !!who && ['operator', 'automation', 'admin'].includes(who.role);

/** May this person sign off a gate needing `role`? (The API decides; this only sets the button.) */
function maySignOff(who: Whoami | null, role: string): boolean {
  if (!who) return false;
  if (who.role === 'admin') return true;
  if (role === 'lead') return who.lead;
  if (role === 'viewer') return true;
  return who.role === role;
}

export function ExecutionView(props: ExecutionViewProps): ReactNode {
  const { execution, queue, snapshot, refusals, who, canWrite } = props;
  const view: ViewExecution = overlay(execution, snapshot.entries);
  const final = view.state === 'done' || view.state === 'abandoned';
  const enqueue = (action: QueuedAction) => void queue?.enqueue(action, who?.name ?? null);
  const mine = snapshot.entries.filter((e) => e.action.executionId === view.id);
  const general = refusals.filter((r) => !r.itemId && !r.gateId);
  const versionNote = view.runbook.version !== props.runbook.version;
  const names = namesOf(view);

  return (
    <div
      className={styles.execution}
      data-testid="runner-execution"
      data-execution-id={view.id}
      data-state={view.state}
      data-version={view.version}
    >
      <ExecutionHeader view={view} onClose={props.onClose} />

      {versionNote && (
        <p className={styles.notice} data-testid="runner-version-note">
          This execution follows version {view.runbook.version} of the checklist; this page is version{' '}
          {props.runbook.version}. The checklist below is the one it was started with.
        </p>
      )}
      {view.state === 'abandoned' && view.abandon_reason && (
        <p className={styles.notice} data-testid="runner-final">
          Abandoned: {view.abandon_reason}
        </p>
      )}
      {view.state === 'done' && (
        <p className={styles.success} data-testid="runner-final">
          Done. This record is linked from the deployment's page.
        </p>
      )}
      {props.loadError && <p className={styles.error}>Could not refresh: {props.loadError}</p>}

      <QueueBar entries={mine} names={names} waiting={snapshot.waiting} onDiscard={(seq) => void queue?.discard(seq)} />

      {general.map((r) => (
        <div key={r.seq} className={styles.problem} role="alert" data-testid="runner-refusal">
          Not applied ({r.kind}): {r.message}{' '}
          <button type="button" className={styles.linkButton} onClick={() => props.dismiss(r.seq)}>
            dismiss
          </button>
        </div>
      ))}

      <ol className={styles.gates}>
        {view.gates.map((g, index) => (
          <GateCard
            key={g.id}
            gate={g}
            index={index}
            view={view}
            final={final}
            canWrite={canWrite}
            who={who}
            refusals={refusals}
            dismiss={props.dismiss}
            enqueue={enqueue}
            onItem={props.onItem}
          />
        ))}
      </ol>

      <ExecutionFooter view={view} final={final} canWrite={canWrite} enqueue={enqueue} />
      <History executionId={view.id} version={view.version} names={names} />
    </div>
  );
}

/** Which execution, for which deployment, its state and who started (and finished) it. */
function ExecutionHeader({ view, onClose }: { view: ViewExecution; onClose(): void }): ReactNode {
  return (
    <div className={styles.execHeader}>
      <div>
        <div>
          <code data-testid="runner-execution-id">{view.id}</code> for{' '}
          <strong data-testid="runner-deployment">{view.deployment_id}</strong>{' '}
          <span
            className={clsx(styles.badge, styles[`state_${view.state}`])}
            data-testid="runner-state"
            data-state={view.state}
          >
            {view.state.replace('_', ' ')}
          </span>
        </div>
        <div className={styles.muted}>
          started by {view.started_by} · {time(view.started_at)}
          {view.finished_at
            ? ` · ${view.state === 'done' ? 'finished' : 'abandoned'} by ${view.finished_by} · ${time(view.finished_at)}`
            : ''}
        </div>
      </div>
      <div className={styles.execActions}>
        <Progress checked={view.progress.checked} total={view.progress.total} testId="runner-progress" />
        <button type="button" className={styles.linkButton} onClick={onClose} data-testid="runner-close">
          other executions
        </button>
      </div>
    </div>
  );
}

/** Finish, or abandon with a reason. Always mounted, empty once final: its state lives as long as the view's. */
function ExecutionFooter({
  view,
  final,
  canWrite,
  enqueue,
}: {
  view: ViewExecution;
  final: boolean;
  canWrite: boolean;
  enqueue(action: QueuedAction): void;
}): ReactNode {
  const [abandoning, setAbandoning] = useState(false);
  const [reason, setReason] = useState('');
  if (final) return null;
  const hint = canWrite ? finishHint(view.gates) : null;
  return (
    <div className={styles.footer}>
      {hint && (
        <p className={clsx(styles.muted, styles.finishHint)} data-testid="runner-finish-hint">
          {hint}
        </p>
      )}
      <button
        type="button"
        className={clsx(styles.button, styles.primary)}
        disabled={!canWrite || view.gates.some((g) => g.status !== 'complete')}
        onClick={() => enqueue({ kind: 'finish', executionId: view.id, body: {} })}
        data-testid="runner-finish"
      >
        Finish
      </button>
      {!abandoning ? (
        <button
          type="button"
          className={styles.button}
          disabled={!canWrite}
          onClick={() => setAbandoning(true)}
          data-testid="runner-abandon"
        >
          Abandon…
        </button>
      ) : (
        <form
          className={styles.row}
          onSubmit={(ev) => {
            ev.preventDefault();
            if (!reason.trim()) return;
            enqueue({ kind: 'abandon', executionId: view.id, body: { reason: reason.trim() } });
            setAbandoning(false);
          }}
        >
          <input
            className={styles.input}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="why (weather, no access…)"
            data-testid="runner-abandon-reason"
          />
          <button type="submit" className={styles.button} data-testid="runner-abandon-confirm">
            Abandon
          </button>
        </form>
      )}
    </div>
  );
}

export function Progress({ checked, total, testId }: { checked: number; total: number; testId?: string }): ReactNode {
  const pct = total ? Math.round((checked / total) * 100) : 0;
  return (
    <span className={styles.progress} data-testid={testId} data-checked={checked} data-total={total} title={`${pct} %`}>
      <span className={styles.progressBar} aria-hidden>
        <span className={styles.progressFill} style={{ width: `${pct}%` }} />
      </span>
      <span className={styles.progressText}>
        {checked}/{total}
      </span>
    </span>
  );
}

function QueueBar({
  entries,
  names,
  waiting,
  onDiscard,
}: {
  entries: QueueSnapshot['entries'];
  names: Names;
  waiting: string | null;
  onDiscard(seq: number): void;
}): ReactNode {
  return (
    <div
      className={clsx(styles.queue, entries.length > 0 && styles.queueActive)}
      data-testid="runner-queue"
      data-pending={entries.length}
      role="status"
      aria-live="polite"
    >
      {entries.length === 0 ? (
        <span className={styles.muted}>All changes saved.</span>
      ) : (
        <details open>
          <summary>
            {entries.length} change{entries.length === 1 ? '' : 's'} waiting to be sent{waiting ? ` (${waiting})` : '…'}{' '}
            — they go in this order when the network is back.
          </summary>
          <ol className={styles.queueList}>
            {entries.map((e) => (
              <li key={e.seq} data-testid={`runner-queued-${e.seq}`}>
                <Describe action={e.action} names={names} />{' '}
                <span className={styles.muted}>· {new Date(e.created_at).toLocaleTimeString()}</span>{' '}
                {e.attempts > 2 && (
                  <button type="button" className={styles.linkButton} onClick={() => onDiscard(e.seq)}>
                    drop
                  </button>
                )}
              </li>
            ))}
          </ol>
        </details>
      )}
    </div>
  );
}

function GateCard(props: {
  gate: ViewGate;
  index: number;
  view: ViewExecution;
  final: boolean;
  canWrite: boolean;
  who: Whoami | null;
  refusals: Refusal[];
  dismiss(seq: number): void;
  enqueue(a: QueuedAction): void;
  onItem(item: ItemState, summary: ExecutionSummary): void;
}): ReactNode {
  const { gate: g, view, final, canWrite, who } = props;
  const locked = g.status === 'locked';
  const blocker = locked ? view.gates.slice(0, props.index).find((x) => x.sign_off && !x.signed_off) : undefined;
  const frozen = final || !!g.signed_off;
  const gateRefusals = props.refusals.filter((r) => r.gateId === g.id);
  const allowed = g.sign_off ? maySignOff(who, g.sign_off) : false;
  return (
    <li
      className={clsx(styles.gate, styles[`gate_${g.status}`])}
      data-testid={`runner-gate-${g.id}`}
      data-status={g.status}
    >
      <header className={styles.gateHeader}>
        <h3 className={styles.gateTitle}>
          {props.index + 1}. {g.title}
        </h3>
        <span className={clsx(styles.badge, styles[`gs_${g.status}`])} data-testid={`runner-gate-status-${g.id}`}>
          {g.status.replace(/_/g, ' ')}
        </span>
        <Progress checked={g.progress.checked} total={g.progress.total} testId={`runner-gate-progress-${g.id}`} />
      </header>
      {locked && blocker && (
        <p className={styles.notice} data-testid={`runner-gate-locked-${g.id}`}>
          Locked: gate “{blocker.title}” awaits sign-off by {blocker.sign_off === 'admin' ? 'an' : 'a'}{' '}
          {blocker.sign_off}.
        </p>
      )}
      <ul className={styles.items}>
        {g.items.map((item) => (
          <ItemRow
            key={item.id}
            item={item}
            executionId={view.id}
            disabled={!canWrite || locked || frozen}
            noteOnly={!!g.signed_off && !final && canWrite}
            refusals={props.refusals.filter((r) => r.itemId === item.id)}
            dismiss={props.dismiss}
            enqueue={props.enqueue}
            canProbe={canWrite && mayProbe(who)}
            onItem={props.onItem}
          />
        ))}
      </ul>
      {g.sign_off && (
        <div className={styles.signOff}>
          {g.signed_off ? (
            <p className={styles.success} data-testid={`runner-signed-${g.id}`}>
              <Icon name="check" /> Signed off by <strong>{g.signed_off.by}</strong> ({g.signed_off.role}) ·{' '}
              <RelativeTime iso={g.signed_off.at} />
              {g.signed_off.note ? ` — “${g.signed_off.note}”` : ''}
            </p>
          ) : (
            <SignOffForm
              gate={g}
              allowed={allowed}
              disabled={!canWrite || final || g.status !== 'awaiting_sign_off' || g.pendingSignOff}
              onSignOff={(note) =>
                props.enqueue({ kind: 'sign-off', executionId: view.id, gateId: g.id, body: note ? { note } : {} })
              }
            />
          )}
          {gateRefusals.map((r) => (
            <div key={r.seq} className={styles.problem} role="alert" data-testid={`runner-gate-error-${g.id}`}>
              Sign-off refused: {r.message}{' '}
              <button type="button" className={styles.linkButton} onClick={() => props.dismiss(r.seq)}>
                dismiss
              </button>
            </div>
          ))}
        </div>
      )}
    </li>
  );
}

function SignOffForm({
  gate,
  allowed,
  disabled,
  onSignOff,
}: {
  gate: ViewGate;
  allowed: boolean;
  disabled: boolean;
  onSignOff(note: string): void;
}): ReactNode {
  const [note, setNote] = useState('');
  const flagged = gate.items.filter((i) => i.flagged);
  return (
    <div className={styles.signOffForm}>
      <p className={styles.muted}>
        {gate.pendingSignOff
          ? 'Sign-off queued…'
          : `Needs sign-off by ${gate.sign_off === 'admin' ? 'an' : 'a'} ${gate.sign_off} before the next gate opens.`}
        {!allowed &&
          ` You are not ${gate.sign_off === 'admin' ? 'an' : 'a'} ${gate.sign_off}: ask one to sign off from their device.`}
      </p>
      {flagged.length > 0 && (
        <p className={styles.flag} data-testid={`runner-signoff-flagged-${gate.id}`}>
          <Icon name="flag" /> Flagged values:{' '}
          {flagged.map((i, n) => (
            <span key={i.id} data-testid={`runner-signoff-flagged-item-${i.id}`}>
              {n > 0 && '; '}
              <Named text={i.text} id={i.id} /> = {i.value}
              {i.expect?.unit ? ` ${i.expect.unit}` : ''} ({i.note ?? 'no note'})
            </span>
          ))}
        </p>
      )}
      <div className={styles.row}>
        <input
          className={styles.input}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder="note (optional)"
          disabled={disabled || !allowed}
          data-testid={`runner-signoff-note-${gate.id}`}
        />
        <button
          type="button"
          className={clsx(styles.button, styles.primary)}
          disabled={disabled || !allowed}
          onClick={() => onSignOff(note.trim())}
          data-testid={`runner-signoff-${gate.id}`}
        >
          Sign off
        </button>
      </div>
    </div>
  );
}

/** An auto_check row of the history: " — passed: connected in 12 ms". */
function probeText(v: unknown): string {
  if (!v || typeof v !== 'object') return '';
  const p = v as { passed?: unknown; detail?: unknown };
  return ` — ${p.passed ? 'passed' : 'failed'}: ${String(p.detail ?? '')}`;
}

/** What an activity row is about: the item's text (or the gate's title), its id in small code beside it. */
function Subject({ activity: a, names }: { activity: Activity; names: Names }): ReactNode {
  const id = a.item_id ?? a.gate_id;
  if (!id) return null;
  const kind = a.item_id ? 'item' : 'gate';
  return (
    <span data-testid={`runner-history-${kind}-${id}`} title={id}>
      <Named text={a.item_id ? names.item(a.item_id) : names.gate(id)} id={id} />
    </span>
  );
}

function History({ executionId, version, names }: { executionId: string; version: number; names: Names }): ReactNode {
  const client = useDataClient();
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Activity[] | null>(null);
  useEffect(() => {
    if (!open) return undefined;
    const controller = new AbortController();
    client
      .read(
        activityListSchema,
        `/runbook-executions/${encodeURIComponent(executionId)}/activity?limit=500`,
        controller.signal,
      )
      .then((r) => setItems(r.items))
      .catch(() => {});
    return () => controller.abort();
  }, [client, executionId, version, open]);
  return (
    <details
      className={styles.history}
      onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}
      data-testid="runner-history"
    >
      <summary>Who did what, when</summary>
      {items && (
        <ol className={styles.historyList}>
          {items.map((a) => (
            <li key={a.id}>
              <span className={styles.muted}>
                <RelativeTime iso={a.at} />
              </span>{' '}
              <strong>{a.by}</strong> {a.action.replace('_', ' ')} <Subject activity={a} names={names} />
              {probeText(a.detail.auto_check)}
              {typeof a.detail.value === 'number'
                ? ` = ${a.detail.value}${a.detail.unit ? ` ${String(a.detail.unit)}` : ''}`
                : ''}
              {typeof a.detail.value === 'number' && a.detail.flagged ? (
                <>
                  {' '}
                  <Icon name="flag" /> flagged
                </>
              ) : null}
              {a.client_at && Math.abs(Date.parse(a.client_at) - Date.parse(a.at)) > 5000 ? (
                <span className={styles.muted}> (done {new Date(a.client_at).toLocaleTimeString()} offline)</span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}
