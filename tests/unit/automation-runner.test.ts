import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultActions, type ActionRegistry } from '../../data-api/src/automation/actions/index.ts';
import { ActionError, type ActionContext, type ActionModule } from '../../data-api/src/automation/actions/types.ts';
import { MemoryRunReporter } from '../../data-api/src/automation/journal.ts';
import { planRun, runSpec } from '../../data-api/src/automation/runner.ts';
import { makeSpec, tempDir } from '../helpers/automation.ts';

const tmp = tempDir('runner');
afterAll(tmp.cleanup);

type Behaviour = (ctx: ActionContext<any>) => Promise<void | { summary?: string; outputs?: Record<string, unknown> }>;

/** Stand-in modules with the real definitions (idempotency, timeouts) and scripted behaviour. */
function registry(behaviours: Partial<Record<string, Behaviour>>, calls: string[]): ActionRegistry {
  const out: ActionRegistry = {};
  for (const [type, real] of Object.entries(defaultActions)) {
    const mod: ActionModule = {
      definition: real.definition,
      plan: real.plan,
      execute: async (ctx) => {
        calls.push(`${ctx.action.id}#${ctx.attempt}`);
        const b = behaviours[ctx.action.id] ?? behaviours[type];
        return b ? b(ctx) : { summary: `${ctx.action.id} done` };
      },
    };
    out[type] = mod;
  }
  return out;
}

const vm = {
  id: 'vm',
  type: 'provision_vm',
  with: { node: 'pve1', template_vmid: 9000, name: 'cs', ip: '10.0.0.21/24' },
};
const stack = { id: 'stack', type: 'deploy_compose_stack', with: { stack: 'chirpstack' } };
const gw = { id: 'gw', type: 'configure_gateway', with: { region: 'EU868', server: 'cs' } };
const ticket = { id: 'ticket', type: 'open_ticket_on_failure' };

describe('runner: order, states, failure, tickets, retries, timeouts', () => {
  it('runs actions in order; queued → running → succeeded for each and for the run', async () => {
    const calls: string[] = [];
    const reporter = new MemoryRunReporter();
    const run = await runSpec({
      spec: makeSpec([vm, stack, gw, ticket]),
      reporter,
      actions: registry({}, calls),
      runId: 'arun_T1',
    });
    expect(calls).toEqual(['vm#1', 'stack#1', 'gw#1']);
    expect(run.state).toBe('succeeded');
    expect(run.actions.map((a) => `${a.id}:${a.state}`)).toEqual([
      'vm:succeeded',
      'stack:succeeded',
      'gw:succeeded',
      'ticket:skipped',
    ]);
    expect(run.timeline.map((e) => `${e.action_id ?? 'run'} ${e.state}`)).toEqual([
      'run queued',
      'vm queued',
      'stack queued',
      'gw queued',
      'ticket queued',
      'run running',
      'vm running',
      'vm succeeded',
      'stack running',
      'stack succeeded',
      'gw running',
      'gw succeeded',
      'ticket skipped',
      'run succeeded',
    ]);
    // The reporter saw the run created first, then every timeline entry in order.
    expect(reporter.calls[0]).toMatchObject({
      op: 'create_run',
      body: { id: 'arun_T1', state: 'queued', deployment_id: 'dep_farm-north' },
    });
    const reported = reporter.calls.flatMap((c) => (c.op === 'append_timeline' ? c.entries : []));
    expect(reported).toEqual(run.timeline);
  });

  it('a failed action stops the run: later actions are skipped, then open_ticket_on_failure runs with the failure', async () => {
    const calls: string[] = [];
    const reporter = new MemoryRunReporter();
    const run = await runSpec({
      spec: makeSpec([vm, ticket, stack, gw]),
      reporter,
      actions: registry(
        {
          stack: async () => {
            throw new ActionError('docker compose exited with code 1');
          },
        },
        calls,
      ),
    });
    expect(calls).toEqual(['vm#1', 'stack#1', 'ticket#1']);
    expect(run.state).toBe('failed');
    expect(run.actions.map((a) => `${a.id}:${a.state}`)).toEqual([
      'vm:succeeded',
      'ticket:succeeded',
      'stack:failed',
      'gw:skipped',
    ]);
    expect(run.actions[2]!.error).toBe('docker compose exited with code 1');
    expect(run.actions[3]!.log).toEqual(['skipped: action "stack" failed']);
    expect(run.timeline.at(-1)).toMatchObject({ state: 'failed', message: 'run failed: action "stack" failed' });
  });

  it('the real open_ticket_on_failure records a ticket through the reporter', async () => {
    const reporter = new MemoryRunReporter();
    const actions = {
      ...defaultActions,
      provision_vm: {
        ...defaultActions.provision_vm!,
        execute: async () => {
          throw new ActionError('HTTP 500 VM 9000 does not exist');
        },
      },
    };
    const run = await runSpec({ spec: makeSpec([vm, ticket]), reporter, actions, runId: 'arun_T3' });
    const ticketCall = reporter.calls.find((c) => c.op === 'open_ticket');
    expect(ticketCall).toEqual({
      op: 'open_ticket',
      ticket: {
        run_id: 'arun_T3',
        deployment_id: 'dep_farm-north',
        action_id: 'vm',
        summary: 'farm-north-lorawan: action "vm" (provision_vm) failed: HTTP 500 VM 9000 does not exist',
        severity: 'critical',
        work_item_id: expect.stringMatching(/^wi_[0-9a-z]{26}$/),
      },
    });
    expect(run.tickets).toHaveLength(1);
    expect(run.actions[1]!.state).toBe('succeeded');
  });

  it('retries an idempotent action up to `retries` more times', async () => {
    const calls: string[] = [];
    let n = 0;
    const run = await runSpec({
      spec: makeSpec([{ ...stack, retries: 3, retry_delay_s: 0.01 }]),
      reporter: new MemoryRunReporter(),
      actions: registry(
        {
          stack: async () => {
            if (++n < 3) throw new ActionError(`flaky ${n}`);
          },
        },
        calls,
      ),
    });
    expect(calls).toEqual(['stack#1', 'stack#2', 'stack#3']);
    expect(run.state).toBe('succeeded');
    expect(run.actions[0]).toMatchObject({ attempts: 3, state: 'succeeded' });
    expect(run.actions[0]!.log).toEqual([
      'attempt 1 of 4 failed: flaky 1; retrying in 0.01 s',
      'attempt 2 of 4 failed: flaky 2; retrying in 0.01 s',
    ]);
    expect(run.timeline.filter((e) => e.action_id === 'stack').map((e) => `${e.state}@${e.attempt}`)).toEqual([
      'queued@undefined',
      'running@1',
      'running@2',
      'running@3',
      'succeeded@3',
    ]);
  });

  it('never retries a non-idempotent action', async () => {
    const calls: string[] = [];
    const run = await runSpec({
      spec: makeSpec([vm]),
      reporter: new MemoryRunReporter(),
      actions: registry(
        {
          vm: async () => {
            throw new ActionError('boom');
          },
        },
        calls,
      ),
    });
    expect(calls).toEqual(['vm#1']);
    expect(run.actions[0]).toMatchObject({ state: 'failed', attempts: 1, error: 'boom' });
  });

  it('times out an action that does not finish, even one that ignores its signal', async () => {
    const started = Date.now();
    let aborted = false;
    const run = await runSpec({
      spec: makeSpec([{ ...gw, timeout_s: 0.2 }, stack]),
      reporter: new MemoryRunReporter(),
      actions: registry(
        {
          gw: (ctx) => {
            ctx.signal.addEventListener('abort', () => (aborted = true));
            return new Promise(() => {});
          },
        },
        [],
      ),
    });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(aborted).toBe(true);
    expect(run.actions.map((a) => a.state)).toEqual(['failed', 'skipped']);
    expect(run.actions[0]!.error).toBe('timed out after 200 ms');
  });

  it('scrubs resolved secret values from logs, errors and summaries', async () => {
    const env = { PROXMOX_TOKEN: 'automation@pve!fb=s3cr3t-value-123' };
    const run = await runSpec({
      spec: makeSpec([vm]),
      reporter: new MemoryRunReporter(),
      env,
      actions: registry(
        {
          vm: async (ctx) => {
            const token = ctx.secrets.resolve({ secret: 'env:PROXMOX_TOKEN' });
            ctx.log(`Authorization: PVEAPIToken=${token}`);
            ctx.log(`encoded ${encodeURIComponent(token)}`);
            throw new ActionError(`rejected ${token}`);
          },
        },
        [],
      ),
    });
    const text = JSON.stringify(run);
    expect(text).not.toContain('s3cr3t-value-123');
    expect(run.actions[0]!.log[0]).toBe('Authorization: PVEAPIToken=[redacted env:PROXMOX_TOKEN]');
    expect(run.actions[0]!.error).toBe('rejected [redacted env:PROXMOX_TOKEN]');
  });

  it('keeps artifacts as files with their digest and reports them', async () => {
    const reporter = new MemoryRunReporter();
    const dir = path.join(tmp.dir, 'artifacts');
    const output = path.join(tmp.dir, 'gateway/etc/global_conf.json');
    const run = await runSpec({
      spec: makeSpec([{ ...gw, with: { ...gw.with, output } }]),
      reporter,
      artifactsDir: () => dir,
      artifactPath: (f) => path.relative(tmp.dir, f),
      actions: { ...defaultActions },
    });
    expect(run.state).toBe('succeeded');
    const file = path.join(dir, 'gw', 'global_conf.json');
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).gateway_conf.server_address).toBe('cs');
    expect(fs.readFileSync(output, 'utf8')).toBe(fs.readFileSync(file, 'utf8'));
    expect(run.artifacts).toEqual([
      expect.objectContaining({ action_id: 'gw', name: 'global_conf.json', file, content_type: 'application/json' }),
    ]);
    expect(reporter.calls.find((c) => c.op === 'attach_artifact')).toMatchObject({
      artifact: { path: 'artifacts/gw/global_conf.json', sha256: run.artifacts[0]!.sha256 },
    });
  });
});

describe('dry run (plan)', () => {
  it('describes each action, flags unresolvable secrets, and executes nothing', () => {
    const calls: string[] = [];
    const steps = planRun(
      makeSpec([vm, { ...stack, with: { stack: 'chirpstack', host: 'cs', user: 'ops' }, retries: 2 }, ticket]),
      { env: {}, actions: registry({}, calls) },
    );
    expect(calls).toEqual([]);
    expect(steps.map((s) => [s.id, s.attempts, s.timeout_s])).toEqual([
      ['vm', 1, 900],
      ['stack', 3, 600],
      ['ticket', 1, 60],
    ]);
    expect(steps[0]!.problems).toEqual(['secret env:PROXMOX_TOKEN: PROXMOX_TOKEN is not set']);
    expect(steps[1]!.lines).toEqual([
      "on cs over ssh: ssh -o BatchMode=yes -o ConnectTimeout=15 ops@cs -- 'docker compose -p chirpstack config -q', stopping if Compose refuses the files",
      "then ssh -o BatchMode=yes -o ConnectTimeout=15 ops@cs -- 'docker compose -p chirpstack up -d'",
    ]);
    expect(planRun(makeSpec([vm]), { env: { PROXMOX_TOKEN: 'x' } })[0]!.problems).toEqual([]);
  });
});
