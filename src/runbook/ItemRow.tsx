import React, { useState, type ReactNode } from 'react';
import clsx from 'clsx';
import {
  formatExpect,
  outOfRange,
  type Evidence,
  type ExecutionSummary,
  type ItemState,
} from '../../data-api/src/contracts/executions.ts';
import { AutoCheck } from './AutoCheck.tsx';
import { useBlobUrl, useObjectUrl, type Refusal } from './hooks.ts';
import { ifVersionFor, whoWhen, type QueuedEvidence, type ViewItem } from './model.ts';
import type { QueuedAction } from './queue.ts';
import { RaiseTicket } from './RaiseTicket.tsx';
import styles from './styles.module.css';
import { Icon } from '../components/Icon/index.tsx';

const EVIDENCE_LABEL: Record<string, string> = {
  none: 'tick',
  note: 'note',
  photo: 'photo',
  file: 'file',
  link: 'link',
  value: 'value',
};

function hasEvidence(item: ViewItem): boolean {
  switch (item.evidence) {
    case 'note':
      return !!item.note;
    case 'value':
      return item.value !== null;
    case 'photo':
    case 'file':
    case 'link':
      // A link or upload still in the offline queue counts: it is sent before the tick made after it.
      return (
        item.evidence_items.some((e) => e.kind === item.evidence) ||
        item.queued_evidence.some((e) => e.kind === item.evidence)
      );
    default:
      return true;
  }
}

export interface ItemRowProps {
  item: ViewItem;
  executionId: string;
  /** No changes (no token, locked gate, signed-off gate, finished execution). */
  disabled: boolean;
  /** A signed-off gate: only notes may still be added. */
  noteOnly: boolean;
  refusals: Refusal[];
  dismiss(seq: number): void;
  enqueue(a: QueuedAction): void;
  /** May run the item's auto_check (an operator or admin): the button is shown only then. */
  canProbe: boolean;
  /** The item and header an auto_check answered with. */
  onItem(item: ItemState, summary: ExecutionSummary): void;
}

export function ItemRow({
  item,
  executionId,
  disabled,
  noteOnly,
  refusals,
  dismiss,
  enqueue,
  canProbe,
  onItem,
}: ItemRowProps): ReactNode {
  return (
    <li
      className={clsx(
        styles.item,
        item.checked && styles.itemChecked,
        item.pending > 0 && styles.itemPending,
        item.flagged && styles.itemFlagged,
      )}
      data-testid={`runner-item-${item.id}`}
      data-checked={String(item.checked)}
      data-pending={item.pending}
      data-flagged={String(item.flagged)}
      data-version={item.version}
    >
      <ItemCheck item={item} executionId={executionId} disabled={disabled} enqueue={enqueue} />
      <ItemRecord item={item} />
      <AutoCheck item={item} executionId={executionId} canCheck={canProbe && !disabled} onItem={onItem} />

      <ItemInputs item={item} executionId={executionId} disabled={disabled} noteOnly={noteOnly} enqueue={enqueue} />

      {item.evidence_items.length + item.queued_evidence.length > 0 && (
        <ul className={styles.evidence}>
          {item.evidence_items.map((e) => (
            <EvidenceView key={e.id} evidence={e} />
          ))}
          {item.queued_evidence.map((q) => (
            <QueuedEvidenceView key={q.seq} itemId={item.id} queued={q} />
          ))}
        </ul>
      )}

      <ItemRefusals item={item} refusals={refusals} dismiss={dismiss} />
    </li>
  );
}

/** The checkbox (held back until the item's evidence is there), the item's text and what it needs. */
function ItemCheck({
  item,
  executionId,
  disabled,
  enqueue,
}: Pick<ItemRowProps, 'item' | 'executionId' | 'disabled' | 'enqueue'>): ReactNode {
  const evidenceReady = hasEvidence(item);
  const toggle = () => {
    const if_version = ifVersionFor(item);
    enqueue({
      kind: item.checked ? 'untick' : 'tick',
      executionId,
      itemId: item.id,
      body: if_version === undefined ? {} : { if_version },
    });
  };
  return (
    <div className={styles.itemMain}>
      <label className={styles.check}>
        <input
          type="checkbox"
          checked={item.checked}
          disabled={disabled || (!item.checked && !evidenceReady)}
          onChange={toggle}
          data-testid={`runner-check-${item.id}`}
          title={!item.checked && !evidenceReady ? `needs a ${EVIDENCE_LABEL[item.evidence]} first` : undefined}
        />
        <span className={styles.itemText}>{item.text}</span>
      </label>
      <span className={styles.chip}>
        {EVIDENCE_LABEL[item.evidence]}
        {item.expect ? ` ${formatExpect(item.expect)}` : ''}
      </span>
    </div>
  );
}

/** What is recorded: who ticked it when (or that it is queued), the value, a flag, the note. */
function ItemRecord({ item }: { item: ViewItem }): ReactNode {
  const when = whoWhen(item);
  return (
    <>
      <div className={styles.itemMeta} data-testid={`runner-item-meta-${item.id}`}>
        {item.pending > 0 ? (
          <span className={styles.pendingText}>queued · waiting to be sent</span>
        ) : when ? (
          <span>
            {item.checked ? <Icon name="check" /> : <Icon name="clock" />} {when}
          </span>
        ) : null}
        {item.value !== null && (
          <span data-testid={`runner-value-shown-${item.id}`}>
            {' '}
            · {item.value}
            {item.expect?.unit ? ` ${item.expect.unit}` : ''}
          </span>
        )}
      </div>
      {item.flagged && (
        <p className={styles.flag} data-testid={`runner-flag-${item.id}`}>
          <Icon name="flag" /> {item.value}
          {item.expect?.unit ? ` ${item.expect.unit}` : ''} is outside {formatExpect(item.expect)}
          {item.note ? ` — “${item.note}”` : ''}
        </p>
      )}
      {item.note && !item.flagged && (
        <p className={styles.noteText} data-testid={`runner-note-shown-${item.id}`}>
          Note: {item.note}
        </p>
      )}
    </>
  );
}

/** The input the item's evidence asks for, a note, and a ticket; a signed-off gate keeps only note and ticket. */
function ItemInputs({
  item,
  executionId,
  disabled,
  noteOnly,
  enqueue,
}: Pick<ItemRowProps, 'item' | 'executionId' | 'disabled' | 'noteOnly' | 'enqueue'>): ReactNode {
  const base = { executionId, itemId: item.id };
  return (
    <>
      {!disabled && item.evidence === 'value' && (
        <ValueInput
          item={item}
          onSave={(value, note) =>
            enqueue({ kind: 'value', ...base, body: { value, ...(note ? { note } : {}), ...versionOf(item) } })
          }
        />
      )}
      {!disabled && item.evidence === 'note' && !item.checked && (
        <NoteInput
          id={item.id}
          label="Save and tick"
          initial={item.note ?? ''}
          onSave={(note) => enqueue({ kind: 'tick', ...base, body: { note, ...versionOf(item) } })}
        />
      )}
      {!disabled && (item.evidence === 'photo' || item.evidence === 'file') && (
        <Upload
          item={item}
          onFiles={(files) => {
            for (const file of files)
              enqueue({
                kind: 'evidence',
                ...base,
                file,
                filename: file.name || `${item.id}.jpg`,
                evidenceKind: item.evidence === 'photo' ? 'photo' : 'file',
              });
            // The evidence makes the item: tick it after the upload (queued behind it, in order).
            if (!item.checked && files.length > 0) enqueue({ kind: 'tick', ...base, body: {} });
          }}
        />
      )}
      {!disabled && item.evidence === 'link' && (
        <LinkInput id={item.id} onSave={(url) => enqueue({ kind: 'link', ...base, body: { url } })} />
      )}
      {(noteOnly || (!disabled && item.evidence !== 'note')) && (
        <details className={styles.addNote}>
          <summary>add a note</summary>
          <NoteInput
            id={item.id}
            label="Save note"
            initial=""
            onSave={(note) => enqueue({ kind: 'note', ...base, body: { note } })}
          />
        </details>
      )}
      {(noteOnly || !disabled) && <RaiseTicket executionId={executionId} itemId={item.id} itemText={item.text} />}
    </>
  );
}

/** The server's refusals of this item's changes: a conflict (changed by someone else) or another refusal. */
function ItemRefusals({ item, refusals, dismiss }: Pick<ItemRowProps, 'item' | 'refusals' | 'dismiss'>): ReactNode {
  return refusals.map((r) =>
    r.current ? (
      <div key={r.seq} className={styles.problem} role="alert" data-testid={`runner-conflict-${item.id}`}>
        Your {r.kind} was not applied: this item was changed by <strong>{r.current.by ?? 'someone'}</strong>
        {r.current.at ? ` at ${new Date(r.current.at).toLocaleTimeString()}` : ''} (it is now{' '}
        {r.current.checked ? 'ticked' : 'not ticked'}). Check it and decide again.{' '}
        <button type="button" className={styles.linkButton} onClick={() => dismiss(r.seq)}>
          OK
        </button>
      </div>
    ) : (
      <div key={r.seq} className={styles.problem} role="alert" data-testid={`runner-refusal-${item.id}`}>
        Not applied ({r.kind}): {r.message}{' '}
        <button type="button" className={styles.linkButton} onClick={() => dismiss(r.seq)}>
          OK
        </button>
      </div>
    ),
  );
}

const versionOf = (item: ViewItem) => {
  const v = ifVersionFor(item);
  return v === undefined ? {} : { if_version: v };
};

function ValueInput({ item, onSave }: { item: ViewItem; onSave(value: number, note: string | null): void }): ReactNode {
  const [text, setText] = useState('');
  const [note, setNote] = useState('');
  const value = text.trim() === '' ? null : Number(text.replace(',', '.'));
  const valid = value !== null && Number.isFinite(value);
  const out = valid && outOfRange(value, item.expect);
  return (
    <form
      className={styles.valueForm}
      onSubmit={(ev) => {
        ev.preventDefault();
        if (!valid || (out && !note.trim())) return;
        onSave(value, note.trim() || null);
        setText('');
        setNote('');
      }}
    >
      <div className={styles.row}>
        <input
          className={clsx(styles.input, styles.number)}
          inputMode="decimal"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={item.expect ? formatExpect(item.expect) : 'value'}
          aria-label={`value for ${item.text}`}
          data-testid={`runner-value-${item.id}`}
        />
        {item.expect?.unit && <span className={styles.unit}>{item.expect.unit}</span>}
        <button
          type="submit"
          className={styles.button}
          disabled={!valid || (out && !note.trim())}
          data-testid={`runner-value-save-${item.id}`}
        >
          Record
        </button>
      </div>
      {out && (
        <div className={styles.outOfRange} data-testid={`runner-value-warning-${item.id}`}>
          <span>
            <Icon name="flag" /> {value} is outside {formatExpect(item.expect)}. Measure again, or say why it is
            acceptable — it will be flagged for the lead.
          </span>
          <input
            className={styles.input}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            placeholder="why this value is acceptable"
            data-testid={`runner-value-note-${item.id}`}
          />
        </div>
      )}
      {text.trim() !== '' && !valid && <span className={styles.error}>expected a number</span>}
    </form>
  );
}

function NoteInput({
  id,
  label,
  initial,
  onSave,
}: {
  id: string;
  label: string;
  initial: string;
  onSave(note: string): void;
}): ReactNode {
  const [note, setNote] = useState(initial);
  return (
    <form
      className={styles.noteForm}
      onSubmit={(ev) => {
        ev.preventDefault();
        if (!note.trim()) return;
        onSave(note.trim());
        setNote('');
      }}
    >
      <textarea
        className={styles.textarea}
        rows={2}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder="what you found"
        data-testid={`runner-note-${id}`}
      />
      <button type="submit" className={styles.button} disabled={!note.trim()} data-testid={`runner-note-save-${id}`}>
        {label}
      </button>
    </form>
  );
}

function LinkInput({ id, onSave }: { id: string; onSave(url: string): void }): ReactNode {
  const [url, setUrl] = useState('');
  const valid = /^https?:\/\/\S+$/.test(url.trim());
  return (
    <form
      className={styles.row}
      onSubmit={(ev) => {
        ev.preventDefault();
        if (!valid) return;
        onSave(url.trim());
        setUrl('');
      }}
    >
      <input
        className={styles.input}
        type="url"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        placeholder="https://…"
        data-testid={`runner-link-${id}`}
      />
      <button type="submit" className={styles.button} disabled={!valid} data-testid={`runner-link-save-${id}`}>
        Add link
      </button>
    </form>
  );
}

function Upload({ item, onFiles }: { item: ViewItem; onFiles(files: File[]): void }): ReactNode {
  const photo = item.evidence === 'photo';
  return (
    <div className={styles.upload}>
      <label className={clsx(styles.button, styles.uploadButton)}>
        {photo ? 'Take or choose a photo' : 'Attach a file'}
        <input
          type="file"
          className={styles.fileInput}
          {...(photo ? { accept: 'image/*', capture: 'environment' as const } : {})}
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            e.target.value = '';
            onFiles(files);
          }}
          data-testid={photo ? `runner-photo-${item.id}` : `runner-file-${item.id}`}
        />
      </label>
      <span className={styles.muted}>
        {photo ? 'JPEG, PNG, WebP or HEIC, up to 10 MB' : 'PDF, CSV, text, KML, ZIP or a photo, up to 10 MB'}
      </span>
    </div>
  );
}

function EvidenceView({ evidence: e }: { evidence: Evidence }): ReactNode {
  const isImage = e.kind === 'photo' || (e.content_type?.startsWith('image/') ?? false);
  const url = useBlobUrl(e.kind === 'link' ? null : e.url);
  return (
    <li
      className={styles.evidenceItem}
      data-testid={`runner-evidence-${e.id}`}
      data-kind={e.kind}
      data-sha256={e.sha256 ?? ''}
    >
      {e.kind === 'link' ? (
        <a href={e.url} target="_blank" rel="noreferrer noopener">
          {e.url}
        </a>
      ) : (
        <>
          {isImage && url ? (
            <a href={url} target="_blank" rel="noreferrer">
              <img
                className={styles.thumb}
                src={url}
                alt={`${e.filename ?? 'photo'} by ${e.by}`}
                data-testid={`runner-evidence-img-${e.id}`}
              />
            </a>
          ) : url ? (
            <a href={url} download={e.filename ?? e.id}>
              {e.filename ?? e.id} (download)
            </a>
          ) : (
            <span>{e.filename ?? e.id}</span>
          )}
          <span className={styles.evidenceMeta}>
            {e.by} · {new Date(e.at).toLocaleTimeString()} · {e.size !== null ? `${Math.ceil(e.size / 1024)} KB` : ''}
            <br />
            sha-256{' '}
            <code className={styles.hash} data-testid={`runner-evidence-hash-${e.id}`}>
              {e.sha256}
            </code>
          </span>
        </>
      )}
    </li>
  );
}

/** A link or upload still in the offline queue: the picked photo itself (from the phone), or the link, marked as not sent. */
function QueuedEvidenceView({ itemId, queued: q }: { itemId: string; queued: QueuedEvidence }): ReactNode {
  const image = q.kind !== 'link' && (q.kind === 'photo' || q.file.type.startsWith('image/'));
  const url = useObjectUrl(image ? q.file : null, q.seq);
  return (
    <li
      className={clsx(styles.evidenceItem, styles.evidenceQueued)}
      data-testid={`runner-queued-${q.kind}-${itemId}`}
      data-kind={q.kind}
      data-seq={q.seq}
    >
      {q.kind === 'link' ? (
        <span className={styles.evidenceMeta}>
          <span className={styles.queuedUrl}>{q.url}</span>
          <br />
          <span className={styles.pendingText}>link waiting to be sent</span>
        </span>
      ) : (
        <>
          {url && <img className={styles.thumb} src={url} alt={`${q.filename}, not uploaded yet`} />}
          <span className={styles.evidenceMeta}>
            <span className={styles.queuedUrl}>{q.filename}</span> · {Math.ceil(q.file.size / 1024)} KB
            <br />
            <span className={styles.pendingText}>waiting to upload</span>
          </span>
        </>
      )}
    </li>
  );
}
