import fs from 'node:fs';
import path from 'node:path';
import {
  apiUrl,
  automationRoutes,
  type AttachArtifactBody,
  type CreateRunBody,
  type DeviceRefsBody,
  type FinishRunBody,
  type OpenTicketBody,
} from '../contracts/automation-write-back.ts';
import { sleep } from './http.ts';
import type { TimelineEntry } from '../contracts/automation-timeline.ts';
import { ulidBody } from '../contracts/ids.ts';
import { readJsonLines } from './jsonl.ts';

/** Where the runner reports a run. The HTTP implementation writes back to the API; tests and offline runs keep it in memory. */
export interface RunReporter {
  /** The API (for device_up checks and page links); undefined when running without one. */
  readonly api?: { base: string; token?: string };
  createRun(body: CreateRunBody): Promise<void>;
  appendTimeline(runId: string, entries: TimelineEntry[]): Promise<void>;
  attachArtifact(runId: string, artifact: AttachArtifactBody): Promise<void>;
  finishRun(runId: string, body: FinishRunBody): Promise<void>;
  openTicket(ticket: OpenTicketBody): Promise<void>;
  /** external_refs of a registry device, from a provisioning action (merged by the API). */
  setDeviceRefs(refs: DeviceRefsBody): Promise<void>;
  /** Deliver what is still pending (bounded) and say what is left. */
  close(): Promise<DeliveryStatus>;
}

export interface DeliveryStatus {
  delivered: number;
  pending: number;
  rejected: number;
  journal?: string;
  lastError?: string;
}

// ---------------------------------------------------------------------------------------
// The journal: an append-only JSONL file. A `call` line is written before a write-back is
// attempted; an `ack` line once the API answered for good. Pending = calls without an ack, in
// file order; they are replayed in that order, the first failure stops the replay (order is
// kept), and nothing is ever rewritten or deleted.

export type WritebackOp =
  'create_run' | 'append_timeline' | 'attach_artifact' | 'finish_run' | 'open_ticket' | 'device_refs';

export interface JournalCall {
  type: 'call';
  id: string;
  at: string;
  run_id: string;
  op: WritebackOp;
  method: 'POST';
  path: string;
  body: unknown;
  /** Sent as `Idempotency-Key`: a replay of a call the API already applied must change nothing. */
  idempotency_key: string;
}

export interface JournalAck {
  type: 'ack';
  id: string;
  at: string;
  outcome: 'delivered' | 'rejected';
  status: number;
  detail?: string;
}

export type JournalLine = JournalCall | JournalAck;

export class Journal {
  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }

  append(call: Omit<JournalCall, 'type' | 'id' | 'at'>): JournalCall {
    const line: JournalCall = { type: 'call', id: ulidBody(), at: new Date().toISOString(), ...call };
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
    return line;
  }

  ack(id: string, outcome: JournalAck['outcome'], status: number, detail?: string): void {
    const line: JournalAck = {
      type: 'ack',
      id,
      at: new Date().toISOString(),
      outcome,
      status,
      ...(detail ? { detail } : {}),
    };
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  read(): JournalLine[] {
    // A line cut short by a crash mid-write: its call was never sent (the write comes first).
    return readJsonLines<JournalLine>(this.file);
  }

  pending(): JournalCall[] {
    const lines = this.read();
    const acked = new Set(lines.filter((l) => l.type === 'ack').map((l) => l.id));
    return lines.filter((l): l is JournalCall => l.type === 'call' && !acked.has(l.id));
  }
}

// ---------------------------------------------------------------------------------------

export interface HttpRunReporterOptions {
  api: string;
  token?: string;
  journal: Journal;
  /** Per request. */
  requestTimeoutMs?: number;
  /** After a failed delivery, wait this long (doubling, capped at 30 s) before trying again during the run. */
  backoffMs?: number;
  /** close(): how many more delivery rounds, and the pause between them. */
  closeAttempts?: number;
  closeDelayMs?: number;
  fetch?: typeof fetch;
  /**
   * Set for a run picked up after its runner stopped (e.g. `resume-2`): its keys become
   * `<run>/<scope>/<n>`, apart from the `<run>/<n>` the first runner already used.
   */
  keyScope?: string;
}

/** Statuses that say "not now" (the call is kept and replayed), as opposed to "never" (rejected). */
function isRetryable(status: number): boolean {
  // 401/403/404: a token or a deployment of the API that is not there yet; fixable, so kept.
  return (
    status >= 500 ||
    status === 408 ||
    status === 425 ||
    status === 429 ||
    status === 401 ||
    status === 403 ||
    status === 404
  );
}

/**
 * Writes back to `${api}/api/v1/automation-runs…` with a bearer token. Every call goes through
 * the journal first; when the API is unreachable the calls stay there and are replayed, in
 * order, as soon as it answers again (later in this run, or in any later run using the same
 * journal, or `fleetbook run --replay`).
 */
export class HttpRunReporter implements RunReporter {
  readonly api: { base: string; token?: string };
  private readonly journal: Journal;
  private readonly opts: Required<Omit<HttpRunReporterOptions, 'api' | 'token' | 'journal' | 'fetch' | 'keyScope'>>;
  private readonly keyScope: string | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly counters = new Map<string, number>();
  private delivered = 0;
  private rejected = 0;
  private failures = 0;
  private nextAttemptAt = 0;
  private lastError: string | undefined;
  private flushing: Promise<void> | undefined;

  constructor(options: HttpRunReporterOptions) {
    this.api = { base: options.api.replace(/\/+$/, ''), ...(options.token ? { token: options.token } : {}) };
    this.journal = options.journal;
    this.fetchImpl = options.fetch ?? fetch;
    this.keyScope = options.keyScope;
    this.opts = {
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
      backoffMs: options.backoffMs ?? 500,
      closeAttempts: options.closeAttempts ?? 3,
      closeDelayMs: options.closeDelayMs ?? 1_000,
    };
  }

  createRun(body: CreateRunBody) {
    return this.enqueue(body.id, 'create_run', automationRoutes.createRun(), body);
  }
  appendTimeline(runId: string, entries: TimelineEntry[]) {
    return this.enqueue(runId, 'append_timeline', automationRoutes.timeline(runId), { entries });
  }
  attachArtifact(runId: string, artifact: AttachArtifactBody) {
    return this.enqueue(runId, 'attach_artifact', automationRoutes.artifacts(runId), artifact);
  }
  finishRun(runId: string, body: FinishRunBody) {
    return this.enqueue(runId, 'finish_run', automationRoutes.finish(runId), body);
  }
  openTicket(ticket: OpenTicketBody) {
    return this.enqueue(ticket.run_id, 'open_ticket', automationRoutes.tickets(ticket.run_id), ticket);
  }
  setDeviceRefs(refs: DeviceRefsBody) {
    return this.enqueue(refs.run_id, 'device_refs', automationRoutes.deviceRefs(refs.run_id), refs);
  }

  private async enqueue(runId: string, op: WritebackOp, urlPath: string, body: unknown): Promise<void> {
    const n = (this.counters.get(runId) ?? 0) + 1;
    this.counters.set(runId, n);
    this.journal.append({
      run_id: runId,
      op,
      method: 'POST',
      path: urlPath,
      body,
      idempotency_key: this.keyScope ? `${runId}/${this.keyScope}/${n}` : `${runId}/${n}`,
    });
    if (Date.now() >= this.nextAttemptAt) await this.flush();
  }

  /** Replays every pending call of the journal, oldest first, until one fails. */
  flush(): Promise<void> {
    this.flushing ??= this.deliverPending().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async deliverPending(): Promise<void> {
    // A run whose create was rejected (e.g. a 400 for an unknown deployment) will never exist:
    // its later calls answer 404 for good, and must not hold the journal for every later run.
    const lines = this.journal.read();
    const acks = new Map(lines.filter((l): l is JournalAck => l.type === 'ack').map((l) => [l.id, l.outcome]));
    const calls = lines.filter((l): l is JournalCall => l.type === 'call');
    const neverCreated = new Set(
      calls.filter((c) => c.op === 'create_run' && acks.get(c.id) === 'rejected').map((c) => c.run_id),
    );
    for (const call of calls.filter((c) => !acks.has(c.id))) {
      let status: number;
      let detail = '';
      try {
        const res = await this.fetchImpl(apiUrl(this.api.base, call.path), {
          method: call.method,
          headers: {
            'content-type': 'application/json',
            'idempotency-key': call.idempotency_key,
            ...(this.api.token ? { authorization: `Bearer ${this.api.token}` } : {}),
          },
          body: JSON.stringify(call.body),
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
        });
        status = res.status;
        if (!res.ok) detail = (await res.text().catch(() => '')).slice(0, 500);
      } catch (err) {
        this.noteFailure(`${call.method} ${call.path}: ${describeFetchError(err)}`);
        return;
      }
      if ((status >= 200 && status < 300) || (call.op === 'create_run' && status === 409)) {
        this.journal.ack(call.id, 'delivered', status);
        this.delivered++;
        this.failures = 0;
        this.nextAttemptAt = 0;
      } else if (isRetryable(status) && !(status === 404 && neverCreated.has(call.run_id))) {
        this.noteFailure(`${call.method} ${call.path}: HTTP ${status}${detail ? ` ${detail}` : ''}`);
        return;
      } else {
        this.journal.ack(call.id, 'rejected', status, detail);
        if (call.op === 'create_run') neverCreated.add(call.run_id);
        this.rejected++;
        this.lastError = `${call.method} ${call.path} rejected: HTTP ${status}${detail ? ` ${detail}` : ''}`;
      }
    }
  }

  private noteFailure(message: string) {
    this.lastError = message;
    this.failures++;
    this.nextAttemptAt = Date.now() + Math.min(30_000, this.opts.backoffMs * 2 ** (this.failures - 1));
  }

  async close(): Promise<DeliveryStatus> {
    for (let i = 0; i <= this.opts.closeAttempts; i++) {
      await this.flush();
      if (this.journal.pending().length === 0) break;
      if (i < this.opts.closeAttempts) await sleep(this.opts.closeDelayMs);
    }
    return this.status();
  }

  status(): DeliveryStatus {
    return {
      delivered: this.delivered,
      pending: this.journal.pending().length,
      rejected: this.rejected,
      journal: this.journal.file,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer in time';
  if (e?.cause?.code === 'ECONNREFUSED') return 'connection refused';
  return e?.cause?.message ?? e?.message ?? String(err);
}

// ---------------------------------------------------------------------------------------

export type RecordedCall =
  | { op: 'create_run'; body: CreateRunBody }
  | { op: 'append_timeline'; runId: string; entries: TimelineEntry[] }
  | { op: 'attach_artifact'; runId: string; artifact: AttachArtifactBody }
  | { op: 'finish_run'; runId: string; body: FinishRunBody }
  | { op: 'open_ticket'; ticket: OpenTicketBody }
  | { op: 'device_refs'; refs: DeviceRefsBody };

/** No API: the run is recorded in its run page only; the calls are kept in memory (tests read them). */
export class MemoryRunReporter implements RunReporter {
  readonly calls: RecordedCall[] = [];

  constructor(readonly api?: { base: string; token?: string }) {}

  async createRun(body: CreateRunBody) {
    this.calls.push({ op: 'create_run', body });
  }
  async appendTimeline(runId: string, entries: TimelineEntry[]) {
    this.calls.push({ op: 'append_timeline', runId, entries });
  }
  async attachArtifact(runId: string, artifact: AttachArtifactBody) {
    this.calls.push({ op: 'attach_artifact', runId, artifact });
  }
  async finishRun(runId: string, body: FinishRunBody) {
    this.calls.push({ op: 'finish_run', runId, body });
  }
  async openTicket(ticket: OpenTicketBody) {
    this.calls.push({ op: 'open_ticket', ticket });
  }
  async setDeviceRefs(refs: DeviceRefsBody) {
    this.calls.push({ op: 'device_refs', refs });
  }
  async close(): Promise<DeliveryStatus> {
    return { delivered: 0, pending: 0, rejected: 0 };
  }
}
