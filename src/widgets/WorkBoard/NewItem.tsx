import React, { useState, type ReactNode } from 'react';
import { WORK_ITEM_KINDS, workItemCreateSchema, workItemSchema } from '../../../data-api/src/contracts/work-items.ts';
import { useDataClient } from '../../data/useResource.ts';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';
import styles from './styles.module.css';

/** One line to add a ticket or task, linked to what the board is filtered to (its site or deployment). */
export function NewItemForm({
  links,
  owner,
}: {
  links: { site?: string; deployment?: string; customer?: string };
  owner?: string;
}): ReactNode {
  const client = useDataClient();
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<(typeof WORK_ITEM_KINDS)[number]>('task');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  const submit = async () => {
    const body = workItemCreateSchema.safeParse({
      title,
      kind,
      ...(owner ? { owner } : {}),
      links: {
        ...(links.deployment ? { deployment_id: links.deployment } : links.site ? { site_id: links.site } : {}),
        ...(links.customer && !links.site && !links.deployment ? { customer_id: links.customer } : {}),
      },
    });
    if (!body.success) {
      setMessage({ ok: false, text: body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    setBusy(true);
    setMessage(null);
    try {
      const item = await client.send(workItemSchema, 'POST', '/work-items', body.data);
      client.store.seed('work_item', [item]);
      setTitle('');
      setMessage({ ok: true, text: `${item.id} added` });
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className={styles.newForm}
      onSubmit={(ev) => {
        ev.preventDefault();
        void submit();
      }}
    >
      <input
        type="text"
        className={s.input}
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        placeholder="New ticket or task…"
        aria-label="title of a new work item"
        data-testid="work-board-new-title"
      />
      <select
        className={s.select}
        value={kind}
        onChange={(e) => setKind(e.target.value as typeof kind)}
        aria-label="kind"
        data-testid="work-board-new-kind"
      >
        {WORK_ITEM_KINDS.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <button type="submit" className={s.button} disabled={busy || !title.trim()} data-testid="work-board-new-submit">
        Add
      </button>
      {message && (
        <span
          className={message.ok ? s.muted : s.error}
          role={message.ok ? 'status' : 'alert'}
          data-testid="work-board-new-message"
        >
          {message.text}
        </span>
      )}
    </form>
  );
}
