// Pure (no DOM): which SSE topics one shared connection must ask for.
//
// Topic grammar (data-api/src/contracts/stream.ts): a family (`device`, `alert`, …) takes
// all its events; `family:<id>` one subject; `site:<site_id>` everything at a site.

const TOPIC = /^[a-z_]+(:[A-Za-z0-9._~-]+)?$/;

export function isValidTopic(topic: string): boolean {
  return TOPIC.test(topic);
}

/**
 * The union of every subscriber's topics, canonical (sorted, no duplicates): a family
 * subsumes its `family:<id>` topics, except `site`, whose `site:<id>` means "everything at
 * the site" and is wider than the site family.
 */
export function topicUnion(subscriptions: Iterable<readonly string[]>): string[] {
  const all = new Set<string>();
  for (const topics of subscriptions) for (const t of topics) if (isValidTopic(t)) all.add(t);
  const out: string[] = [];
  for (const t of all) {
    const [family, id] = t.split(':', 2) as [string, string | undefined];
    if (id !== undefined && family !== 'site' && all.has(family)) continue;
    out.push(t);
  }
  return out.sort();
}

/** Ref-counted topic subscriptions; `onChange` fires when the union changes. */
export class TopicSet {
  private subs = new Map<number, readonly string[]>();
  private next = 1;
  private key = '';

  constructor(private readonly onChange: (topics: string[]) => void) {}

  add(topics: readonly string[]): () => void {
    const id = this.next++;
    this.subs.set(id, [...topics]);
    this.changed();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.subs.delete(id);
      this.changed();
    };
  }

  current(): string[] {
    return topicUnion(this.subs.values());
  }

  size(): number {
    return this.subs.size;
  }

  private changed(): void {
    const union = this.current();
    const key = union.join(',');
    if (key === this.key) return;
    this.key = key;
    this.onChange(union);
  }
}
