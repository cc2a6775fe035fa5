// Small helpers the rules share: reading raw frontmatter data tolerantly, quoting values.
import type { Cause, DataPath, Place } from '../types.ts';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `code` span for a message; long values are cut. */
export function q(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return `\`${s.length > 60 ? `${s.slice(0, 57)}…` : s}\``;
}

export function list(values: readonly unknown[]): string {
  return values.map(q).join(', ');
}

/** "12:5": a place within the same file. */
export function at(place: Place): string {
  return `${place.start.line}:${place.start.column}`;
}

/**
 * Values of one frontmatter field that name a single page across the site: the first page to
 * claim a value (pages come sorted by path) keeps it, and every later claim is reported at its
 * field with the first as the cause; `reason` gets the value and where the first one stands.
 * Returns the page that keeps each value.
 */
export function firstClaims<P extends { path: string; locate(path: DataPath): Place }, V>(
  claims: Iterable<readonly [V, P]>,
  field: string,
  report: (page: P, reason: string, place: Place, extra: { cause: Cause }) => void,
  reason: (value: V, first: string) => string,
): Map<V, P> {
  const owners = new Map<V, P>();
  for (const [value, page] of claims) {
    const owner = owners.get(value);
    if (!owner) {
      owners.set(value, page);
      continue;
    }
    const first = owner.locate([field]);
    report(page, reason(value, `${owner.path}:${at(first)}`), page.locate([field]), {
      cause: { path: owner.path, place: first, reason: 'first defined here' },
    });
  }
  return owners;
}

/** The pages whose frontmatter has a string `id`, with it. */
export function idClaims<P extends { data: unknown }>(pages: readonly P[]): [string, P][] {
  return pages.flatMap((page) => (isObj(page.data) && typeof page.data.id === 'string' ? [[page.data.id, page]] : []));
}

export interface GateRef {
  gate: Obj;
  gi: number;
}
export interface ItemRef extends GateRef {
  item: Obj;
  ii: number;
}

/** Gates written as mappings, whatever else is wrong with the frontmatter. */
export function gatesOf(data: unknown): GateRef[] {
  if (!isObj(data) || !Array.isArray(data.gates)) return [];
  return data.gates.flatMap((gate, gi) => (isObj(gate) ? [{ gate, gi }] : []));
}

/** Checklist items written as mappings, in document order. */
export function itemsOf(data: unknown): ItemRef[] {
  return gatesOf(data).flatMap(({ gate, gi }) =>
    Array.isArray(gate.checklist)
      ? gate.checklist.flatMap((item, ii) => (isObj(item) ? [{ gate, gi, item, ii }] : []))
      : [],
  );
}

/** `gates[0].checklist[2].expect` */
export function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${String(seg)}` : String(seg)),
    '',
  );
}

function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  let prev2 = prev;
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      // A swap of two neighbours (`pus` for `psu`) is one edit.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        cur[j] = Math.min(cur[j]!, prev2[j - 2]! + 1);
    }
    [prev2, prev] = [prev, cur];
  }
  return prev[b.length]!;
}

/** " (did you mean `x`?)" when a candidate is a likely typo of `value`, else "". */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  // Two edits for long ids, one for short ones, none for tiny ones: `zz` is not a typo of `a`.
  const max = Math.min(2, Math.floor(value.length / 3));
  let best: string | null = null;
  let bestD = max + 1;
  for (const c of candidates) {
    const d = distance(value, c, max);
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best === null ? '' : ` (did you mean ${q(best)}?)`;
}
