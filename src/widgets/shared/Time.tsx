// Times as people read them: "12 min ago", with the exact local time on hover (and for screen
// readers and copy-paste, in the <time> element's datetime).
import type { ReactNode } from 'react';
import { timeAgo } from './format.ts';

const ISO = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})\b/g;

export const absoluteTime = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
};

export function RelativeTime({
  iso,
  now,
  never = 'never',
}: {
  iso: string | null | undefined;
  now?: number;
  never?: string;
}): ReactNode {
  if (!iso) return <span>{never}</span>;
  return (
    <time dateTime={iso} title={absoluteTime(iso)}>
      {timeAgo(iso, now)}
    </time>
  );
}

/** Text from the API (an alert title) with every ISO timestamp in it shown as a relative time. */
export function TextWithTimes({ text, now }: { text: string; now?: number }): ReactNode {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const m of text.matchAll(ISO)) {
    parts.push(text.slice(last, m.index));
    parts.push(<RelativeTime key={m.index} iso={m[0]} now={now} />);
    last = m.index! + m[0].length;
  }
  parts.push(text.slice(last));
  return <>{parts}</>;
}
