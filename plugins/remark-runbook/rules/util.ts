// Small helpers the rules share: reading raw frontmatter data tolerantly, quoting values.
import { likelyMeant } from '../../../data-api/src/contracts/edit-distance.ts';
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

/** " (did you mean `x`?)" when a candidate is a likely typo of `value` (the contracts' one rule), else "". */
export function didYouMean(value: string, candidates: Iterable<string>): string {
  const best = likelyMeant(value, candidates);
  return best === undefined ? '' : ` (did you mean ${q(best)}?)`;
}
