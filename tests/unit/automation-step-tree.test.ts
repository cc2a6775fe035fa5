import { describe, expect, it } from 'vitest';
import { defaultActions, type ActionRegistry } from '../../data-api/src/automation/actions/index.ts';
import { ActionError, type ActionContext } from '../../data-api/src/automation/actions/types.ts';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { planRun, runSpec } from '../../data-api/src/automation/runner.ts';
import { formatDiagnostic, parseSpecText } from '../../data-api/src/automation/spec-file.ts';
import { stepTree, stepTreeMermaid } from '../../data-api/src/contracts/step-tree.ts';
import { buildConditionData, checkCondition, evaluateCondition } from '../../data-api/src/contracts/condition.ts';
import { makeSpec } from '../helpers/automation.ts';

// contracts.md "Execution spec v1" + issue 16: actions take `id`, `depends_on` and `when`
// (JSONLogic); independent actions run at once (bounded); a false `when` skips the action with
// the condition's value; a failure stops what depends on it; cycles and unknown ids are refused
// with their line.

interface Span {
  id: string;
  start: number;
  end: number;
}

/** Every action is a health check stand-in that waits `ms` (or fails when told) and records when it ran. */
function timedActions(spans: Span[], opts: { ms?: number; fail?: string[] } = {}): ActionRegistry {
  const t0 = performance.now();
  const real = defaultActions.run_health_checks!;
  return {
    ...defaultActions,
    run_health_checks: {
      definition: real.definition,
      plan: real.plan,
      execute: async (ctx: ActionContext<any>) => {
        const span = { id: ctx.action.id, start: performance.now() - t0, end: 0 };
        spans.push(span);
        await new Promise((r) => setTimeout(r, opts.ms ?? 150));
        span.end = performance.now() - t0;
        if (opts.fail?.includes(ctx.action.id))
          throw new ActionError(`${ctx.action.id} could not reach the network server`);
        return { summary: `${ctx.action.id} done`, outputs: { ok: true, port: 1700 } };
      },
    },
  };
}

const check = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'run_health_checks',
  with: { checks: [{ tcp: '127.0.0.1:1700' }] },
  ...extra,
});

// c (push the ChirpStack extra channels) only for AS923 sites.
const AS923_ONLY = { in: ['AS923', { var: 'site.region' }] };
const diamond = () =>
  makeSpec([
    check('a'),
    check('b', { depends_on: ['a'] }),
    check('c', { depends_on: ['a'], when: AS923_ONLY }),
    check('d', { depends_on: ['b', 'c'] }),
    { id: 'ticket', type: 'open_ticket_on_failure' },
  ]);

const context = (region: string) =>
  buildConditionData({
    deployment: { id: 'dep_farm-north', product_code: 'lorawan-gw', product_version: '2.1.0', state: 'installing' },
    site: { id: `site_${region.toLowerCase()}`, name: 'Farm', region },
    product: {
      code: 'lorawan-gw',
      name: 'LoRaWAN gateway',
      category: 'lorawan',
      versions: [{ version: '2.1.0', firmware_baseline: '4.0.1' }],
    },
  });

const byId = (spans: Span[]) => Object.fromEntries(spans.map((s) => [s.id, s]));

describe('step trees: depends_on, when, parallel branches', () => {
  it('diamond a → {b, c} → d on an AS923 site: b and c run at once, d waits for both', async () => {
    const spans: Span[] = [];
    const run = await runSpec({
      spec: diamond(),
      reporter: new MemoryRunReporter(),
      actions: timedActions(spans),
      context: context('AS923_1'),
    });
    expect(run.state).toBe('succeeded');
    const s = byId(spans);
    expect(Object.keys(s).sort()).toEqual(['a', 'b', 'c', 'd']);
    // b and c overlap: each started before the other ended.
    expect(s.b!.start).toBeGreaterThanOrEqual(s.a!.end);
    expect(s.c!.start).toBeGreaterThanOrEqual(s.a!.end);
    expect(s.b!.start).toBeLessThan(s.c!.end);
    expect(s.c!.start).toBeLessThan(s.b!.end);
    // d starts only after both ended.
    expect(s.d!.start).toBeGreaterThanOrEqual(Math.max(s.b!.end, s.c!.end));
    expect(run.actions.map((a) => `${a.id}:${a.state}`)).toEqual([
      'a:succeeded',
      'b:succeeded',
      'c:succeeded',
      'd:succeeded',
      'ticket:skipped',
    ]);
    const order = run.timeline
      .filter((e) => e.action_id && e.state !== 'queued')
      .map((e) => `${e.action_id} ${e.state}`);
    expect(order.slice(0, 4)).toEqual(['a running', 'a succeeded', 'b running', 'c running']);
    expect(order.indexOf('d running')).toBeGreaterThan(
      Math.max(order.indexOf('b succeeded'), order.indexOf('c succeeded')),
    );
  });

  it('the same spec on an EU868 site: c is skipped with the condition and its value, d still runs after b', async () => {
    const spans: Span[] = [];
    const run = await runSpec({
      spec: diamond(),
      reporter: new MemoryRunReporter(),
      actions: timedActions(spans),
      context: context('EU868'),
    });
    expect(run.state).toBe('succeeded');
    expect(spans.map((x) => x.id)).toEqual(['a', 'b', 'd']);
    const c = run.actions.find((a) => a.id === 'c')!;
    expect(c.state).toBe('skipped');
    expect(c.skip).toEqual({ reason: 'condition', condition: JSON.stringify(AS923_ONLY), value: false });
    expect(c.log).toEqual([`skipped: when ${JSON.stringify(AS923_ONLY)} gave false`]);
    const entry = run.timeline.find((e) => e.action_id === 'c' && e.state === 'skipped')!;
    expect(entry.skip).toEqual({ reason: 'condition', condition: JSON.stringify(AS923_ONLY), value: false });
    expect(entry.message).toBe(`run_health_checks skipped: when ${JSON.stringify(AS923_ONLY)} gave false`);
    const s = byId(spans);
    expect(s.d!.start).toBeGreaterThanOrEqual(s.b!.end);
  });

  it('a failing b stops d (skipped, naming b), c still runs, the run is failed and the ticket names b', async () => {
    const spans: Span[] = [];
    const reporter = new MemoryRunReporter();
    const run = await runSpec({
      spec: diamond(),
      reporter,
      actions: timedActions(spans, { fail: ['b'] }),
      context: context('AS923_1'),
    });
    expect(run.state).toBe('failed');
    expect(spans.map((x) => x.id).sort()).toEqual(['a', 'b', 'c']);
    expect(run.actions.map((a) => `${a.id}:${a.state}`)).toEqual([
      'a:succeeded',
      'b:failed',
      'c:succeeded',
      'd:skipped',
      'ticket:succeeded',
    ]);
    expect(run.actions.find((a) => a.id === 'd')!.skip).toEqual({ reason: 'dependency_failed', action_id: 'b' });
    expect(run.tickets).toHaveLength(1);
    expect(run.tickets[0]!.action_id).toBe('b');
    expect(run.timeline.at(-1)).toMatchObject({ state: 'failed', message: 'run failed: action "b" failed' });
  });

  it('a failure skips its dependants transitively; unrelated branches finish', async () => {
    const spans: Span[] = [];
    const spec = makeSpec([
      check('a'),
      check('b', { depends_on: ['a'] }),
      check('c', { depends_on: ['b'] }),
      check('x'),
    ]);
    const run = await runSpec({
      spec,
      reporter: new MemoryRunReporter(),
      actions: timedActions(spans, { ms: 20, fail: ['a'] }),
    });
    expect(run.actions.map((a) => `${a.id}:${a.state}`)).toEqual(['a:failed', 'b:skipped', 'c:skipped', 'x:succeeded']);
    expect(run.actions.find((a) => a.id === 'c')!.skip).toEqual({ reason: 'dependency_failed', action_id: 'a' });
  });

  it('independent actions run in parallel, never more than max_parallel at once', async () => {
    const spans: Span[] = [];
    const spec = makeSpec(
      Array.from({ length: 6 }, (_, i) => check(`n${i}`, { depends_on: [] })),
      { max_parallel: 2 },
    );
    const run = await runSpec({ spec, reporter: new MemoryRunReporter(), actions: timedActions(spans, { ms: 60 }) });
    expect(run.state).toBe('succeeded');
    let peak = 0;
    for (const s of spans) peak = Math.max(peak, spans.filter((o) => o.start <= s.start && o.end > s.start).length);
    expect(peak).toBe(2);
  });

  it('a spec without depends_on is still a sequence, in spec order', async () => {
    const spans: Span[] = [];
    const run = await runSpec({
      spec: makeSpec([check('a'), check('b'), check('c')]),
      reporter: new MemoryRunReporter(),
      actions: timedActions(spans, { ms: 10 }),
    });
    expect(run.actions.map((a) => a.needs)).toEqual([[], ['a'], ['b']]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
  });

  it('a condition reads the outputs of the actions it depends on', async () => {
    const spans: Span[] = [];
    const spec = makeSpec([
      check('a'),
      check('b', { depends_on: ['a'], when: { '==': [{ var: 'outputs.a.port' }, 1700] } }),
      check('c', { depends_on: ['a'], when: { '==': [{ var: 'outputs.a.port' }, 1] } }),
    ]);
    const run = await runSpec({ spec, reporter: new MemoryRunReporter(), actions: timedActions(spans, { ms: 5 }) });
    expect(run.actions.map((a) => `${a.id}:${a.state}`)).toEqual(['a:succeeded', 'b:succeeded', 'c:skipped']);
  });

  it('the dry-run plan shows the tree, what the conditions skip and what waits for run time', () => {
    const spec = makeSpec([
      check('a'),
      check('b', { depends_on: ['a'], when: { '==': [{ var: 'outputs.a.port' }, 1700] } }),
      check('c', { depends_on: ['a'], when: AS923_ONLY }),
    ]);
    const plan = planRun(spec, { context: context('EU868'), env: {} });
    expect(plan.map((p) => [p.id, p.needs, p.condition?.verdict ?? 'always'])).toEqual([
      ['a', [], 'always'],
      ['b', ['a'], 'at_run_time'],
      ['c', ['a'], 'skipped'],
    ]);
    expect(plan[2]!.condition).toMatchObject({ value: false });
  });

  it('draws the tree as mermaid with each step in its state', () => {
    const text = stepTreeMermaid(stepTree(diamond().actions), {
      a: 'succeeded',
      b: 'failed',
      c: 'skipped',
      d: 'skipped',
    });
    expect(text.split('\n')[0]).toBe('flowchart LR');
    for (const edge of ['s_a --> s_b', 's_a --> s_c', 's_b --> s_d', 's_c --> s_d', 's_d -. on failure .-> s_ticket'])
      expect(text).toContain(edge);
    expect(text).toContain('class s_a succeeded');
    expect(text).toContain('class s_b failed');
    expect(text).toContain('class s_c,s_d skipped');
    expect(text).toContain('class s_ticket queued');
    expect(text).toMatch(/s_c\{\{"c<br\/>run_health_checks · when · skipped"\}\}/);
  });
});

describe('spec validate: cycles, unknown ids and bad conditions with their line', () => {
  const yaml = (actions: string) => `spec_version: 1
project: farm-north-lorawan
deployment_id: dep_farm-north
product_code: lorawan-gw
product_version: 2.1.0
actions:
${actions}`;
  const diagnostics = (text: string) => {
    const loaded = parseSpecText(text, 'spec.yaml');
    if (loaded.ok) throw new Error('expected the spec to be refused');
    return loaded.diagnostics.map(formatDiagnostic);
  };
  const act = (id: string, more = '') =>
    `  - id: ${id}\n    type: run_health_checks\n    with: { checks: [ { tcp: "127.0.0.1:1700" } ] }\n${more}`;

  // Positions are 1-based line:column of the offending token (the depends_on entry, the `var` key, the operator).
  it('refuses a cycle at the depends_on entry that closes it', () => {
    const out = diagnostics(
      yaml(act('a', '    depends_on: [c]\n') + act('b', '    depends_on: [a]\n') + act('c', '    depends_on: [b]\n')),
    );
    expect(out).toEqual([
      'spec.yaml:14:18  Unexpected dependency cycle a → b → c → a, expected a tree (remove one of these depends_on)  spec/dependency-cycle',
    ]);
  });

  it('refuses an unknown depends_on (with a suggestion) and an action waiting for itself', () => {
    const out = diagnostics(yaml(act('vm') + act('stack', '    depends_on: [vn, stack]\n')));
    expect(out).toEqual([
      'spec.yaml:13:18  Unexpected depends_on "vn" in action "stack", expected the id of another action (did you mean "vm"?)  spec/unknown-dependency',
      'spec.yaml:13:22  Unexpected depends_on "stack": action "stack" cannot wait for itself  spec/unknown-dependency',
    ]);
  });

  it('refuses bad JSONLogic with the position of the bad part', () => {
    const out = diagnostics(
      yaml(
        act('a') +
          act(
            'b',
            '    depends_on: [a]\n    when:\n      and:\n        - { "===": [ { var: site.regon }, "AS923_1" ] }\n        - { "eq": [1, 1] }\n',
          ) +
          act('c', '    when: { "==": [ { var: outputs.b.ok }, true ] }\n'),
      ),
    );
    expect(out).toEqual([
      'spec.yaml:16:24  Unexpected "var" path "site.regon": site has no field "regon" (did you mean "site.region"?), expected one of id, customer_id, name, timezone, location, lan_notes, region, network_server, created_at, updated_at  spec/bad-condition',
      'spec.yaml:17:13  Unexpected operator "eq", expected a JSONLogic operator  spec/bad-condition',
      'spec.yaml:21:23  Unexpected "var" path "outputs.b.ok": the outputs of "b" are not there when this condition is evaluated (add it to depends_on of "c")  spec/bad-condition',
    ]);
  });

  it('refuses a var outside the known roots and a condition that is a bare string', () => {
    const out = diagnostics(
      yaml(act('a', '    when: { "==": [ { var: region }, "AS923_1" ] }\n') + act('b', '    when: always\n')),
    );
    expect(out[0]).toBe(
      'spec.yaml:10:23  Unexpected "var" path "region", expected one under deployment, site, product, outputs, spec  spec/bad-condition',
    );
    expect(out[1]).toMatch(/^spec\.yaml:14:5 {2}Unexpected condition "always", expected a JSONLogic object/);
  });
});

describe('conditions (json-logic-js) and version_satisfies', () => {
  it('version_satisfies compares versions, not strings', () => {
    const logic = { version_satisfies: [{ var: 'product.version' }, '>=1.5'] };
    expect(evaluateCondition(logic, { product: { version: '1.10.0' } })).toEqual({ value: true, passed: true });
    expect(evaluateCondition(logic, { product: { version: '1.4.2' } })).toEqual({ value: false, passed: false });
    // JSONLogic's own >= compares the strings and gets it wrong; that is why the operator exists.
    expect(evaluateCondition({ '>=': [{ var: 'v' }, '1.5'] }, { v: '1.10.0' }).passed).toBe(false);
    expect(
      checkCondition({ version_satisfies: [{ var: 'product.version' }, '>=1..5'] }, { roots: ['product'] }),
    ).toEqual([
      {
        path: ['version_satisfies', 1],
        message: 'Unexpected semver range ">=1..5", expected a range like ">=1.5" or "^2.0"',
      },
    ]);
  });

  it('var paths inside map/filter/some are relative to the element', () => {
    const logic = { some: [{ var: 'spec.targets.gateways' }, { '==': [{ var: '' }, 'gw_1'] }] };
    expect(checkCondition(logic, { roots: ['spec'] })).toEqual([]);
    expect(evaluateCondition(logic, { spec: { targets: { gateways: ['gw_0', 'gw_1'] } } }).passed).toBe(true);
  });
});
