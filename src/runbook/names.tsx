// The checklist's words for its ids. The API and the offline queue speak of items and gates by id
// (`station-up`, `g1-power`); a person reads the item's text and the gate's title, with the id in
// small type beside it to match a log or a colleague's message. One way of naming, used by the
// history, the pending-changes bar and the sign-off's flagged values.
import React, { type ReactNode } from 'react';
import type { ViewExecution } from './model.ts';
import styles from './styles.module.css';

/** Item text and gate titles by id, from the runbook version the execution follows (the id itself when unknown). */
export interface Names {
  item(id: string): string;
  gate(id: string): string;
}

export function namesOf(view: Pick<ViewExecution, 'gates'>): Names {
  const items = new Map(view.gates.flatMap((g) => g.items.map((i) => [i.id, i.text] as const)));
  const gates = new Map(view.gates.map((g) => [g.id, g.title] as const));
  return { item: (id) => items.get(id) ?? id, gate: (id) => gates.get(id) ?? id };
}

/** “PSU output voltage” `psu`: the words, then the id in small code. */
export function Named({ text, id }: { text: string; id: string }): ReactNode {
  return (
    <>
      “{text}” <code className={styles.historyId}>{id}</code>
    </>
  );
}
