// Inhibition (Alertmanager's inhibit_rules): while a source alert fires, target alerts with
// the same values of the `equal` labels are muted. A gateway down mutes the device_down and
// no-data alerts of the devices behind it (same site): one page, not 101.
import type { Kysely } from 'kysely';
import { matcherTest, parseMatcher, type InhibitRule, type Matcher } from '../contracts/notification-policies.ts';
import type { Database } from '../kernel/db/index.ts';

type Labels = Record<string, string>;

export interface CompiledInhibitRule {
  source: (l: Labels) => boolean;
  target: (l: Labels) => boolean;
  equal: string[];
}

const all = (matchers: string[]) => {
  const tests = matchers.map((m) => matcherTest(parseMatcher(m) as Matcher));
  return (l: Labels) => tests.every((t) => t(l));
};

export function compileInhibitRules(rules: InhibitRule[]): CompiledInhibitRule[] {
  return rules.map((r) => ({ source: all(r.source_matchers), target: all(r.target_matchers), equal: r.equal }));
}

export interface ActiveAlert {
  id: string;
  labels: Labels;
}

/** Indexes the firing alerts that can inhibit: per rule, the `equal` label values they cover. */
export class Inhibitor {
  private readonly sources: Array<Map<string, string[]>>;

  constructor(
    private readonly rules: CompiledInhibitRule[],
    active: ActiveAlert[],
  ) {
    this.sources = rules.map((rule) => {
      const index = new Map<string, string[]>();
      for (const a of active) {
        if (!rule.source(a.labels)) continue;
        const key = rule.equal.map((n) => a.labels[n] ?? '').join('\u0000');
        index.set(key, [...(index.get(key) ?? []), a.id]);
      }
      return index;
    });
  }

  /** The alert that mutes this one, if any (an alert never mutes itself). */
  inhibitedBy(target: ActiveAlert): string | null {
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!rule.target(target.labels)) continue;
      const ids = this.sources[i]!.get(rule.equal.map((n) => target.labels[n] ?? '').join('\u0000'));
      const source = ids?.find((id) => id !== target.id);
      if (source) return source;
    }
    return null;
  }

  static async load(db: Kysely<Database>, rules: CompiledInhibitRule[]): Promise<Inhibitor> {
    if (!rules.length) return new Inhibitor(rules, []);
    const rows = await db.selectFrom('alerts').select(['id', 'labels']).where('state', '<>', 'resolved').execute();
    return new Inhibitor(
      rules,
      rows.map((r) => ({ id: r.id, labels: r.labels ?? {} })),
    );
  }
}
