import React, { useState, type ReactNode } from 'react';
import { workItemCreateSchema, workItemSchema, type WorkItem } from '../../data-api/src/contracts/work-items.ts';
import { useDataClient } from '../data/useResource.ts';
import styles from './styles.module.css';

/**
 * A checklist item can raise a ticket (a work item linked to the execution and this item; the
 * API adds the deployment, site and customer). Sent at once, not queued: a ticket is not a tick.
 */
export function RaiseTicket({
  executionId,
  itemId,
  itemText,
}: {
  executionId: string;
  itemId: string;
  itemText: string;
}): ReactNode {
  const client = useDataClient();
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [raised, setRaised] = useState<WorkItem[]>([]);
  const [failure, setFailure] = useState<string | null>(null);

  const submit = async () => {
    const body = workItemCreateSchema.safeParse({
      kind: 'ticket',
      title: title.trim() || `${itemText}: needs follow-up`.slice(0, 300),
      links: { runbook_execution_id: executionId, runbook_item_id: itemId },
    });
    if (!body.success) return setFailure(body.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    setBusy(true);
    setFailure(null);
    try {
      const item = await client.send(workItemSchema, 'POST', '/work-items', body.data);
      setRaised((r) => [...r, item]);
      setTitle('');
    } catch (err) {
      setFailure((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <details className={styles.addNote}>
      <summary data-testid={`runner-raise-${itemId}`}>raise a ticket</summary>
      <form
        className={styles.noteForm}
        onSubmit={(ev) => {
          ev.preventDefault();
          void submit();
        }}
      >
        <input
          className={styles.input}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="what needs doing (e.g. PSU reads 10.9 V: order a spare)"
          data-testid={`runner-raise-title-${itemId}`}
        />
        <button type="submit" className={styles.button} disabled={busy} data-testid={`runner-raise-save-${itemId}`}>
          Raise ticket
        </button>
      </form>
      {raised.map((t) => (
        <p key={t.id} className={styles.muted} role="status" data-testid={`runner-raised-${itemId}`}>
          Ticket <code>{t.id}</code> raised: it is on the work board of {t.links.deployment_id ?? 'the deployment'}.
        </p>
      ))}
      {failure && (
        <p className={styles.problem} role="alert">
          {failure}
        </p>
      )}
    </details>
  );
}
