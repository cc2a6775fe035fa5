import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpRunReporter, Journal, type JournalCall } from '../../data-api/src/automation/journal.ts';
import type { TimelineEntry } from '../../data-api/src/contracts/automation-timeline.ts';
import { tempDir } from '../helpers/automation.ts';

const tmp = tempDir('journal');
afterAll(tmp.cleanup);
let n = 0;
const journalFile = () => path.join(tmp.dir, `journal-${++n}.jsonl`);

interface Seen {
  url: string;
  body: unknown;
  headers: Record<string, string>;
}

/** A fetch that follows a script: 'down' throws like a refused connection, a number answers with that status. */
function scriptedFetch(script: Array<'down' | number>, seen: Seen[], fallback: 'down' | number = 201): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const step = script.length ? script.shift()! : fallback;
    if (step === 'down')
      throw Object.assign(new TypeError('fetch failed'), {
        cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
      });
    seen.push({
      url: String(input),
      body: JSON.parse(String(init?.body)),
      headers: init?.headers as Record<string, string>,
    });
    return new Response(step >= 400 ? JSON.stringify({ error: 'x' }) : '{}', { status: step });
  }) as typeof fetch;
}

const entry = (message: string): TimelineEntry => ({
  at: '2025-05-01T10:00:00.000Z',
  state: 'running',
  message,
  duration_ms: 0,
});
const createBody = (id: string) => ({
  id,
  project: 'p',
  deployment_id: 'dep_x',
  product_code: 'lorawan-gw',
  product_version: '2.1.0',
  spec: {},
  spec_digest: `sha256:${'0'.repeat(64)}`,
  state: 'queued' as const,
  created_at: '2025-05-01T10:00:00.000Z',
});

describe('write-back journal (append-only JSONL) and the HTTP reporter', () => {
  it('sends each call with the bearer token and an idempotency key, to the routes of api-contract', async () => {
    const seen: Seen[] = [];
    const reporter = new HttpRunReporter({
      api: 'http://api.test/',
      token: 'tok',
      journal: new Journal(journalFile()),
      fetch: scriptedFetch([], seen),
    });
    await reporter.createRun(createBody('arun_A'));
    await reporter.appendTimeline('arun_A', [entry('one')]);
    await reporter.attachArtifact('arun_A', {
      name: 'global_conf.json',
      action_id: 'gw',
      path: 'docs/x.json',
      content_type: 'application/json',
      size: 3,
      sha256: 'a'.repeat(64),
    });
    await reporter.openTicket({
      run_id: 'arun_A',
      deployment_id: 'dep_x',
      action_id: 'vm',
      summary: 'vm failed',
      severity: 'critical',
    });
    await reporter.finishRun('arun_A', {
      state: 'failed',
      started_at: '2025-05-01T10:00:00.000Z',
      finished_at: '2025-05-01T10:01:00.000Z',
      duration_ms: 60_000,
      page_path: null,
      commit_sha: null,
      pushed: false,
    });
    expect(seen.map((s) => s.url)).toEqual([
      'http://api.test/api/v1/automation-runs',
      'http://api.test/api/v1/automation-runs/arun_A/timeline',
      'http://api.test/api/v1/automation-runs/arun_A/artifacts',
      'http://api.test/api/v1/automation-runs/arun_A/tickets',
      'http://api.test/api/v1/automation-runs/arun_A/finish',
    ]);
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual([
      'arun_A/1',
      'arun_A/2',
      'arun_A/3',
      'arun_A/4',
      'arun_A/5',
    ]);
    expect(seen.every((s) => s.headers.authorization === 'Bearer tok')).toBe(true);
    expect(seen[1]!.body).toEqual({ entries: [entry('one')] });
    expect(await reporter.close()).toMatchObject({ delivered: 5, pending: 0, rejected: 0 });
  });

  it('keeps calls while the API is unreachable and replays them in order when it is back: none lost, none twice', async () => {
    const seen: Seen[] = [];
    const file = journalFile();
    // Down for the first 3 attempts, then up.
    const reporter = new HttpRunReporter({
      api: 'http://api.test',
      journal: new Journal(file),
      fetch: scriptedFetch(['down', 'down', 'down'], seen),
      backoffMs: 0,
      closeAttempts: 5,
      closeDelayMs: 0,
    });
    await reporter.createRun(createBody('arun_B'));
    for (let i = 1; i <= 5; i++) await reporter.appendTimeline('arun_B', [entry(`e${i}`)]);
    const status = await reporter.close();
    expect(status).toMatchObject({ pending: 0, delivered: 6 });
    expect(seen.map((s) => (s.body as { entries?: TimelineEntry[] }).entries?.[0]?.message ?? 'create')).toEqual([
      'create',
      'e1',
      'e2',
      'e3',
      'e4',
      'e5',
    ]);
    // The journal holds every call and its ack.
    const lines = new Journal(file).read();
    expect(lines.filter((l) => l.type === 'call')).toHaveLength(6);
    expect(lines.filter((l) => l.type === 'ack' && l.outcome === 'delivered')).toHaveLength(6);
  });

  it('a later reporter on the same journal replays the older pending calls first', async () => {
    const file = journalFile();
    const down: Seen[] = [];
    const first = new HttpRunReporter({
      api: 'http://api.test',
      journal: new Journal(file),
      fetch: scriptedFetch([], down, 'down'),
      backoffMs: 0,
      closeAttempts: 1,
      closeDelayMs: 0,
    });
    await first.createRun(createBody('arun_OLD'));
    await first.appendTimeline('arun_OLD', [entry('old')]);
    expect(await first.close()).toMatchObject({
      pending: 2,
      delivered: 0,
      lastError: expect.stringContaining('connection refused'),
    });

    const seen: Seen[] = [];
    const second = new HttpRunReporter({
      api: 'http://api.test',
      journal: new Journal(file),
      fetch: scriptedFetch([], seen),
    });
    await second.createRun(createBody('arun_NEW'));
    expect(
      seen.map(
        (s) =>
          s.url.replace('http://api.test/api/v1/automation-runs', '') + ' ' + ((s.body as { id?: string }).id ?? ''),
      ),
    ).toEqual([' arun_OLD', '/arun_OLD/timeline ', ' arun_NEW']);
    expect(new Journal(file).pending()).toEqual([]);
  });

  it('holds on 5xx, 401, 404 (fixable) and stops there to keep the order; rejects 400 and moves on; 409 on create is delivered', async () => {
    const seen: Seen[] = [];
    const file = journalFile();
    const reporter = new HttpRunReporter({
      api: 'http://api.test',
      journal: new Journal(file),
      fetch: scriptedFetch([409, 503, 201, 400, 201], seen),
      backoffMs: 0,
      closeAttempts: 0,
    });
    await reporter.createRun(createBody('arun_C')); // 409: already there
    await reporter.appendTimeline('arun_C', [entry('a')]); // 503: kept
    expect(new Journal(file).pending().map((c: JournalCall) => c.op)).toEqual(['append_timeline']);
    await reporter.appendTimeline('arun_C', [entry('b')]); // replays a (201), then b gets 400: rejected
    await reporter.appendTimeline('arun_C', [entry('c')]); // 201
    const status = await reporter.close();
    expect(status).toMatchObject({ pending: 0, rejected: 1, delivered: 3 });
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual([
      'arun_C/1',
      'arun_C/2',
      'arun_C/2',
      'arun_C/3',
      'arun_C/4',
    ]);
    const acks = new Journal(file).read().filter((l) => l.type === 'ack');
    expect(acks.map((a) => (a.type === 'ack' ? `${a.outcome} ${a.status}` : ''))).toEqual([
      'delivered 409',
      'delivered 201',
      'rejected 400',
      'delivered 201',
    ]);
  });

  it('tolerates a line cut short by a crash (that call was never sent)', () => {
    const file = journalFile();
    const journal = new Journal(file);
    journal.append({
      run_id: 'arun_D',
      op: 'create_run',
      method: 'POST',
      path: '/api/v1/automation-runs',
      body: {},
      idempotency_key: 'arun_D/1',
    });
    fs.appendFileSync(file, '{"type":"call","id":"01X","at":"2025');
    expect(journal.pending().map((c) => c.idempotency_key)).toEqual(['arun_D/1']);
  });
});
