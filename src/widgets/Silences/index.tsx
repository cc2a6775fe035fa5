import React, { useState, type FormEvent, type ReactNode } from 'react';
import {
  silenceCreateSchema,
  silenceList,
  silenceSchema,
  type Silence,
} from '../../../data-api/src/contracts/notifications.ts';
import { canOperate, useWhoami } from '../../data/useWhoami.ts';
import { useLiveResource } from '../../data/useLive.ts';
import { useDataClient } from '../../data/useResource.ts';
import { shortDateTime } from '../shared/format.ts';
import { frameStyles as s, StatusBadge, WidgetFrame, scrollRegion } from '../shared/WidgetFrame.tsx';

export interface SilencesProps {
  title?: ReactNode;
}

/**
 * Pending and active silences, and for operators a form to add one (label matchers, a duration,
 * why) and a button to end one. The form checks with the API's own schema before it sends.
 */
export function Silences({ title }: SilencesProps): ReactNode {
  const client = useDataClient();
  const who = useWhoami();
  const operator = canOperate(who.data?.role);
  const res = useLiveResource('/silences', silenceList, {
    topics: ['silence'],
    refetchOn: (e) => e.type.startsWith('silence.'),
    refreshMs: 30_000,
  });
  const [matchers, setMatchers] = useState('');
  const [duration, setDuration] = useState('2h');
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [extra, setExtra] = useState<Silence[]>([]);
  const items = [
    ...extra.filter((x) => !res.data?.items.some((i) => i.id === x.id)),
    ...(res.data?.items ?? []),
  ].filter((x) => x.state !== 'expired');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      matchers: matchers
        .split(/\n|,(?=\s*[a-zA-Z_]+\s*(?:=|!=|=~|!~))/)
        .map((m) => m.trim())
        .filter(Boolean),
      duration,
      comment,
    };
    const parsed = silenceCreateSchema.safeParse(body);
    if (!parsed.success) {
      setProblem(parsed.error.issues.map((i) => `${i.path.join('.') || 'silence'}: ${i.message}`).join('; '));
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      const created = await client.send(silenceSchema, 'POST', '/silences', parsed.data);
      setExtra((x) => [created, ...x]);
      setMatchers('');
      setComment('');
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
        <div className={s.tableWrap} {...scrollRegion('Silences')}>
          <table className={s.table}>
            <thead>
              <tr>
                <th>matchers</th>
                <th>state</th>
                <th>until</th>
                <th className={s.optional}>why</th>
                {operator && <th />}
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <tr key={x.id} data-testid={`silence-${x.id}`} data-state={x.state}>
                  <td className={s.mono}>{x.matchers.join(', ')}</td>
                  <td>
                    <StatusBadge status={x.state} />
                  </td>
                  <td>{shortDateTime(x.ends_at)}</td>
                  <td className={s.optional}>
                    {x.comment} <span className={s.muted}>({x.created_by})</span>
                  </td>
                  {operator && (
                    <td>
                      <button
                        type="button"
                        className={s.button}
                        disabled={busy}
                        onClick={() => expire(x.id)}
                        data-testid={`silence-expire-${x.id}`}
                      >
                        End now
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {operator && (
        <form
          onSubmit={submit}
          data-testid="silence-form"
          style={{ display: 'grid', gap: '0.4rem', marginTop: '0.75rem', maxWidth: '36rem' }}
        >
          <label>
            Matchers (one a line: <code>site="site_farm-north"</code>, <code>alertname=~"soil_.*"</code>)
            <textarea
              value={matchers}
              onChange={(e) => setMatchers(e.target.value)}
              rows={2}
              style={{ width: '100%' }}
              data-testid="silence-matchers"
            />
          </label>
          <label>
            For{' '}
            <input
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
              size={6}
              data-testid="silence-duration"
            />{' '}
            (30m, 2h, 1d)
          </label>
          <label>
            Why{' '}
            <input
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              style={{ width: '100%' }}
              data-testid="silence-comment"
            />
          </label>
          {problem && (
            <p className={s.error} role="alert" data-testid="silence-problem">
              {problem}
            </p>
          )}
          <div>
            <button type="submit" className={s.button} disabled={busy} data-testid="silence-submit">
              Silence
            </button>
          </div>
        </form>
      )}
    </WidgetFrame>
  );
}

export default Silences;
