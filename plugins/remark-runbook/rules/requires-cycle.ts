import type { RunbookFile, SiteRule } from '../types.ts';
import { isObj } from './util.ts';

/** Strongly connected components (Tarjan, iterative enough for any sane site). */
function components(nodes: string[], edges: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      out.push(c);
    }
  };
  for (const v of nodes) if (!idx.has(v)) connect(v);
  return out;
}

/** Shortest path from `from` to `to` inside `within` (both included). */
function path(from: string, to: string, edges: Map<string, string[]>, within: Set<string>): string[] {
  const prev = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift()!;
    if (v === to) break;
    for (const w of edges.get(v) ?? []) if (within.has(w) && !prev.has(w)) (prev.set(w, v), queue.push(w));
  }
  const out: string[] = [];
  for (let v: string | null | undefined = to; v != null; v = prev.get(v)) out.unshift(v);
  return out;
}

export const requiresCycle: SiteRule = {
  id: 'runbook/requires-cycle',
  severity: 'error',
  scope: 'site',
  description: '`requires` does not loop (a runbook cannot, through others, require itself).',
  check({ files, report }) {
    const owner = new Map<string, RunbookFile>();
    const edges = new Map<string, string[]>();
    for (const file of files) {
      if (!isObj(file.data) || typeof file.data.id !== 'string' || owner.has(file.data.id)) continue;
      owner.set(file.data.id, file);
      const req = Array.isArray(file.data.requires) ? file.data.requires : [];
      edges.set(
        file.data.id,
        req.filter((r): r is string => typeof r === 'string'),
      );
    }
    for (const comp of components([...owner.keys()], edges)) {
      const set = new Set(comp);
      const looped = comp.length > 1 || (edges.get(comp[0]!) ?? []).includes(comp[0]!);
      if (!looped) continue;
      for (const id of comp) {
        const file = owner.get(id)!;
        const req = (file.data as { requires?: unknown }).requires;
        if (!Array.isArray(req)) continue;
        req.forEach((r, i) => {
          if (typeof r !== 'string' || !set.has(r)) return;
          const loop = [id, ...(r === id ? [id] : path(r, id, edges, set))];
          report(
            file,
            `Unexpected requires cycle ${loop.map((x) => `\`${x}\``).join(' → ')}, expected runbooks that do not require each other in a loop`,
            file.locate(['requires', i]),
          );
        });
      }
    }
  },
};
