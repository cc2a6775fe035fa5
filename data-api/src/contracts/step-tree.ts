// The step tree of an execution spec: which action waits for which. Pure (no I/O, no zod): the
// spec validator, the runner, the dry-run plan, the run page and the browser (RunTimeline, the
// live run page) all read the same graph and draw the same mermaid text.
//
// A spec where no action names `depends_on` is a sequence (each action waits for the one
// before it): that is what specs written before step trees meant. As soon as one action names
// `depends_on`, the spec is a tree: an action without `depends_on` starts at once.
// open_ticket_on_failure is never in the tree: it runs after every other action, only when one
// failed.

import { closest } from './edit-distance.ts';

export const TICKET_ACTION = 'open_ticket_on_failure';

export interface StepLike {
  id: string;
  type: string;
  depends_on?: readonly string[] | undefined;
  when?: unknown;
}

export interface StepNode {
  id: string;
  type: string;
  /** Effective dependencies (the previous action in a sequence). */
  needs: string[];
  conditional: boolean;
  ticket: boolean;
}

export interface StepTree {
  mode: 'sequence' | 'tree';
  nodes: StepNode[];
}

/** The effective graph of a (validated) spec's actions. */
export function stepTree(actions: readonly StepLike[]): StepTree {
  const tree = actions.some((a) => a.type !== TICKET_ACTION && a.depends_on !== undefined);
  let previous: string | undefined;
  const nodes = actions.map((a) => {
    const ticket = a.type === TICKET_ACTION;
    let needs: string[] = [];
    if (!ticket) {
      needs = tree ? [...(a.depends_on ?? [])] : previous ? [previous] : [];
      previous = a.id;
    }
    return { id: a.id, type: a.type, needs, conditional: a.when !== undefined, ticket };
  });
  return { mode: tree ? 'tree' : 'sequence', nodes };
}

export interface GraphProblem {
  kind: 'unknown' | 'self' | 'cycle' | 'ticket';
  /** Index of the action and of the depends_on entry the problem is reported at. */
  action: number;
  entry: number;
  message: string;
}

/** Unknown ids, self-dependencies, dependencies on a ticket action, cycles (each reported once, at the edge that closes it). */
export function graphProblems(actions: readonly StepLike[]): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const index = new Map<string, number>();
  actions.forEach((a, i) => {
    if (!index.has(a.id)) index.set(a.id, i);
  });
  const edges = new Map<string, Array<{ to: string; entry: number }>>();
  actions.forEach((a, i) => {
    const deps = a.depends_on ?? [];
    const usable: Array<{ to: string; entry: number }> = [];
    deps.forEach((dep, j) => {
      const target = index.get(dep);
      if (target === undefined) {
        const hint = closestId(
          dep,
          [...index.keys()].filter((k) => k !== a.id),
        );
        problems.push({
          kind: 'unknown',
          action: i,
          entry: j,
          message: `Unexpected depends_on "${dep}" in action "${a.id}", expected the id of another action${hint ? ` (did you mean "${hint}"?)` : ''}`,
        });
      } else if (dep === a.id) {
        problems.push({
          kind: 'self',
          action: i,
          entry: j,
          message: `Unexpected depends_on "${dep}": action "${a.id}" cannot wait for itself`,
        });
      } else if (actions[target]!.type === TICKET_ACTION) {
        problems.push({
          kind: 'ticket',
          action: i,
          entry: j,
          message: `Unexpected depends_on "${dep}": ${TICKET_ACTION} runs after every other action, nothing can wait for it`,
        });
      } else usable.push({ to: dep, entry: j });
    });
    if (a.type === TICKET_ACTION && deps.length > 0) {
      problems.push({
        kind: 'ticket',
        action: i,
        entry: 0,
        message: `Unexpected depends_on in ${TICKET_ACTION} "${a.id}": it runs after every other action, when one failed`,
      });
    }
    if (!edges.has(a.id)) edges.set(a.id, usable);
  });
  // Depth-first search; a back edge closes a cycle: report it at that depends_on entry.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    for (const { to, entry } of edges.get(id) ?? []) {
      const s = state.get(to);
      if (s === 'open') {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        // Edges point from dependant to dependency; a cycle reads naturally in run order.
        const order = [...cycle].reverse();
        problems.push({
          kind: 'cycle',
          action: index.get(id)!,
          entry,
          message: `Unexpected dependency cycle ${order.join(' → ')}, expected a tree (remove one of these depends_on)`,
        });
      } else if (s === undefined) visit(to);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const a of actions) if (!state.has(a.id)) visit(a.id);
  return problems;
}

/** One edit for short ids (`vn` for `vm`), two for longer ones. */
const closestId = (word: string, ids: string[]): string | undefined => closest(word, ids, word.length <= 4 ? 1 : 2);

/** Every action an action (transitively) waits for: the outputs its condition may read. */
export function ancestors(tree: StepTree, id: string): Set<string> {
  const by = new Map(tree.nodes.map((n) => [n.id, n]));
  const out = new Set<string>();
  const todo = [...(by.get(id)?.needs ?? [])];
  while (todo.length) {
    const next = todo.pop()!;
    if (out.has(next)) continue;
    out.add(next);
    todo.push(...(by.get(next)?.needs ?? []));
  }
  return out;
}

/** Node ids in an order where each comes after what it needs (spec order among equals). */
export function topologicalOrder(tree: StepTree): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  const steps = tree.nodes.filter((n) => !n.ticket);
  while (order.length < steps.length) {
    const ready = steps.find((n) => !done.has(n.id) && n.needs.every((d) => done.has(d)));
    if (!ready) break; // a cycle: validation refuses it before anything runs
    done.add(ready.id);
    order.push(ready.id);
  }
  return order;
}

export const STEP_STATES = ['queued', 'running', 'succeeded', 'failed', 'skipped'] as const;

/** Mermaid flowchart of the tree, each node classed by its state; ids and types are slugs, labels are quoted. */
export function stepTreeMermaid(tree: StepTree, states: Readonly<Record<string, string>> = {}): string {
  const lines = ['flowchart LR'];
  const node = (id: string) => `s_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const label = (n: StepNode) => {
    const state = states[n.id];
    const text = `${n.id}<br/>${n.type}${n.conditional ? ' · when' : ''}${state ? ` · ${state}` : ''}`;
    return `"${text.replace(/"/g, '#quot;')}"`;
  };
  for (const n of tree.nodes) {
    lines.push(
      n.ticket
        ? `  ${node(n.id)}[/${label(n)}/]`
        : n.conditional
          ? `  ${node(n.id)}{{${label(n)}}}`
          : `  ${node(n.id)}[${label(n)}]`,
    );
  }
  const steps = tree.nodes.filter((n) => !n.ticket);
  for (const n of steps) for (const d of n.needs) lines.push(`  ${node(d)} --> ${node(n.id)}`);
  // The ticket hangs off the leaves, dashed: it runs last, only after a failure.
  const needed = new Set(steps.flatMap((n) => n.needs));
  for (const t of tree.nodes.filter((n) => n.ticket)) {
    for (const leaf of steps.filter((n) => !needed.has(n.id)))
      lines.push(`  ${node(leaf.id)} -. on failure .-> ${node(t.id)}`);
  }
  lines.push(
    '  classDef queued fill:#eceff1,stroke:#90a4ae,color:#263238',
    '  classDef running fill:#e3f2fd,stroke:#1e88e5,color:#0d47a1',
    '  classDef succeeded fill:#e8f5e9,stroke:#43a047,color:#1b5e20',
    '  classDef failed fill:#ffebee,stroke:#e53935,color:#b71c1c',
    '  classDef skipped fill:#fafafa,stroke:#bdbdbd,color:#757575,stroke-dasharray:4 3',
  );
  for (const s of STEP_STATES) {
    const ids = tree.nodes.filter((n) => (states[n.id] ?? 'queued') === s).map((n) => node(n.id));
    if (ids.length) lines.push(`  class ${ids.join(',')} ${s}`);
  }
  return lines.join('\n');
}
