import React, { useState, type ReactNode } from 'react';
import {
  silenceList,
  silenceSchema,
  type Silence,
  type SilenceCreate,
} from '../../../data-api/src/contracts/notifications.ts';
import { canOperate, useWhoami } from '../../data/useWhoami.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { useDataClient } from '../../data/useResource.ts';
import { frameStyles as s, WidgetFrame, titleText } from '../shared/WidgetFrame.tsx';
import { SilenceForm } from './SilenceForm.tsx';
import { SilenceTable } from './SilenceTable.tsx';

export interface SilencesProps {
  title?: ReactNode;
}

/**
 * Adding and ending silences. What the API answered is kept in `extra` until the list itself has it
 * (the feed may lag the answer); one `busy` and one `problem` for both.
 */
function useSilenceWrites() {
  const client = useDataClient();
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [extra, setExtra] = useState<Silence[]>([]);

  const create = async (body: SilenceCreate, onCreated: () => void) => {
    setBusy(true);
    setProblem(null);
    try {
      const created = await client.send(silenceSchema, 'POST', '/silences', body);
      setExtra((x) => [created, ...x]);
      onCreated();
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const expire = async (id: string) => {
    setBusy(true);
    try {
      const after = await client.send(silenceSchema, 'DELETE', `/silences/${encodeURIComponent(id)}`);
      setExtra((x) => [after, ...x.filter((i) => i.id !== id)]);
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return { problem, setProblem, busy, extra, create, expire };
}

/**
 * Pending and active silences, and for operators a form to add one (label matchers, a duration,
 * why) and a button to end one. The form checks with the API's own schema before it sends.
 */
export function Silences({ title }: SilencesProps): ReactNode {
  const who = useWhoami();
  const operator = canOperate(who.data?.role);
  const res = useLiveResource('/silences', silenceList, {
    topics: ['silence'],
    refetchOn: (e) => e.type.startsWith('silence.'),
    refreshMs: 30_000,
  });
  const { problem, setProblem, busy, extra, create, expire } = useSilenceWrites();
  const items = [
    ...extra.filter((x) => !res.data?.items.some((i) => i.id === x.id)),
    ...(res.data?.items ?? []),
  ].filter((x) => x.state !== 'expired');

  return (
    <WidgetFrame
      name="Silences"
      testId="silences"
      title={title ?? 'Silences'}
      state={res}
      connection={res.connection}
      empty={false}
      data={{ silences: items.length }}
    >
      {items.length === 0 ? (
        <p className={s.muted}>No silence is pending or active: every alert that matches a policy is sent.</p>
      ) : (
        <SilenceTable
          items={items}
          operator={operator}
          busy={busy}
          onExpire={expire}
          name={titleText(title, 'Silences')}
        />
      )}
      {operator && <SilenceForm busy={busy} problem={problem} setProblem={setProblem} create={create} />}
    </WidgetFrame>
  );
}

export default Silences;
