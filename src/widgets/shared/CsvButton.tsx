// "Download CSV" on a table widget: the same list from the data API as `Accept: text/csv` (every
// row the caller may see, filters kept, no paging), saved under a name that says what and when.
import React, { useState, type ReactNode } from 'react';
import { useDataClient } from '../../data/useResource.ts';
import { Icon } from '../../components/Icon/index.tsx';
import styles from './styles.module.css';

/** Drops paging from a list path: the CSV is the whole list. */
export function csvPath(path: string): string {
  const [p, query = ''] = path.split('?');
  const params = new URLSearchParams(query);
  params.delete('cursor');
  params.delete('limit');
  const rest = params.toString();
  return rest ? `${p}?${rest}` : p!;
}

export function CsvButton({ path, name, testId }: { path: string | null; name: string; testId: string }): ReactNode {
  const client = useDataClient();
  const [state, setState] = useState<'idle' | 'busy' | 'failed'>('idle');
  if (!path) return null;
  const download = async () => {
    setState('busy');
    try {
      const blob = await client.csv(csvPath(path));
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${name}-${new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState('idle');
    } catch {
      setState('failed');
    }
  };
  return (
    <button
      type="button"
      className={styles.csvButton}
      onClick={() => void download()}
      disabled={state === 'busy'}
      data-testid={`${testId}-csv`}
      title="Download every row as CSV"
    >
      <Icon name="download" /> {state === 'failed' ? 'CSV failed — retry' : 'CSV'}
    </button>
  );
}
