import React, { useState, type FormEvent, type ReactNode } from 'react';
import { silenceCreateSchema, type SilenceCreate } from '../../../data-api/src/contracts/notifications.ts';
import { frameStyles as s } from '../shared/WidgetFrame.tsx';

export interface SilenceFormProps {
  busy: boolean;
  problem: string | null;
  setProblem: (problem: string | null) => void;
  /** Sends a checked silence; calls `onCreated` once the API has it. */
  create: (body: SilenceCreate, onCreated: () => void) => Promise<void>;
}

/** Matchers split on new lines, or on commas that start another `label=` matcher (regexes may hold commas). */
function splitMatchers(text: string): string[] {
  return text
    .split(/\n|,(?=\s*[a-zA-Z_]+\s*(?:=|!=|=~|!~))/)
    .map((m) => m.trim())
    .filter(Boolean);
}

/** An operator's new silence: label matchers, a duration, why; checked with the API's own schema before it is sent. */
export function SilenceForm({ busy, problem, setProblem, create }: SilenceFormProps): ReactNode {
  const [matchers, setMatchers] = useState('');
  const [duration, setDuration] = useState('2h');
  const [comment, setComment] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = silenceCreateSchema.safeParse({ matchers: splitMatchers(matchers), duration, comment });
    if (!parsed.success) {
      setProblem(parsed.error.issues.map((i) => `${i.path.join('.') || 'silence'}: ${i.message}`).join('; '));
      return;
    }
    await create(parsed.data, () => {
      setMatchers('');
      setComment('');
    });
  };

  return (
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
        <input value={duration} onChange={(e) => setDuration(e.target.value)} size={6} data-testid="silence-duration" />{' '}
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
  );
}
