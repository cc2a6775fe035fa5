// The ingest's writers: received messages wait in `pending` (arrival order) and are written in
// batches by up to `maxWriters` writers at once. A batch closes at `maxRows` rows or as soon as
// a writer is free; with a writer busy, another starts for a full batch or once the oldest
// message waited `maxDelayMs`. Above `maxPending` unwritten messages, reading from the broker
// pauses (backpressure) until a batch makes room.
import type { Ackable } from './ack-tracker.ts';
import type { BatchWriter } from './batch-retry.ts';
import type { IncomingMessage, WriteResult } from './writer.ts';

/** A received message until its batch is written. */
export interface Pending extends IncomingMessage, Ackable {
  /** Rows it makes: readings and dead letters. */
  rows: number;
}

export interface WriterPoolOptions {
  maxRows: number;
  maxDelayMs: number;
  maxPending: number;
  maxWriters: number;
  write: BatchWriter;
  /** A batch write ended, after `seconds` (result null: given up, nothing was written). */
  done(take: Pending[], result: WriteResult | null, seconds: number): void;
  /** Held device states whose window ended are waiting to be written. */
  statesDue(): boolean;
}

export class WriterPool {
  private readonly pending: Pending[] = [];
  /** Batches being written: what they hold is received and not yet stored, like `pending`. */
  private readonly writing = new Set<InFlight>();
  private pendingRows = 0;
  private active = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  private delayTimer: NodeJS.Timeout | null = null;
  private closingNow = false;
  private readonly readWaiters: Array<() => void> = [];
  private readonly drainWaiters: Array<() => void> = [];
  private readonly stateTimer: NodeJS.Timeout;

  constructor(private readonly o: WriterPoolOptions) {
    /** Held device states whose window ended, with no reading to carry them: written alone. */
    this.stateTimer = setInterval(() => {
      if (this.closingNow || this.active >= o.maxWriters || !o.statesDue()) return;
      this.active++;
      void o.write([]).finally(() => {
        this.active--;
        this.pump();
      });
    }, 1000);
    this.stateTimer.unref();
  }

  /** The ingest is stopping: messages still arriving are left to the broker. */
  get closing(): boolean {
    return this.closingNow;
  }

  /** Messages waiting for a writer. */
  get size(): number {
    return this.pending.length;
  }

  /** Received and not yet stored (waiting or being written), and when the oldest of them arrived (Infinity: none). */
  backlog(): { oldest: number; queued: number } {
    let oldest = this.pending.length ? this.pending[0]!.receivedAt : Infinity;
    let queued = this.pending.length;
    for (const batch of this.writing) {
      oldest = Math.min(oldest, batch.oldest);
      queued += batch.messages;
    }
    return { oldest, queued };
  }

  /** Queues a message; `proceed` (let the client read on) runs now, or once there is room. */
  add(entry: Pending, proceed: () => void): void {
    this.pending.push(entry);
    this.pendingRows += entry.rows;
    this.schedule();
    if (this.pending.length >= this.o.maxPending) this.readWaiters.push(proceed);
    else proceed();
  }

  /** Resolves once everything queued so far is written. */
  drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.pending.length && this.active === 0) return resolve();
      this.drainWaiters.push(resolve);
      this.pump();
    });
  }

  /** Stops taking messages and timers; `releaseReaders` then lets a paused client read on (into the closed pool). */
  shutDown(): void {
    this.closingNow = true;
    clearInterval(this.stateTimer);
  }

  releaseReaders(): void {
    for (const w of this.readWaiters.splice(0)) w();
  }

  /** Stop: shuts down, then writes everything queued (every writer at once) and resolves when it is written. */
  close(): Promise<void> {
    this.shutDown();
    this.releaseReaders();
    if (this.delayTimer) clearTimeout(this.delayTimer);
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.pump();
    });
  }

  /** A crash (tests): forgets what was not yet written. */
  forget(): void {
    this.pending.length = 0;
    this.pendingRows = 0;
  }

  private oldestAge(): number {
    return this.pending.length ? Date.now() - this.pending[0]!.receivedAt : 0;
  }

  /** Another writer may start when none runs, or a full batch waits, or the oldest reading waited maxDelayMs. */
  private mayStart(): boolean {
    const { maxWriters, maxRows, maxDelayMs } = this.o;
    return (
      this.pending.length > 0 &&
      this.active < maxWriters &&
      (this.active === 0 || this.closingNow || this.pendingRows >= maxRows || this.oldestAge() >= maxDelayMs)
    );
  }

  private schedule(): void {
    if (this.active === 0 && !this.closingNow) {
      // The writer is free: write on the next turn, with whatever arrived in this socket read.
      this.lingerTimer ??= setTimeout(() => this.pump(), 1);
      return;
    }
    this.pump();
    if (this.pending.length && this.active > 0 && this.active < this.o.maxWriters && !this.delayTimer) {
      this.delayTimer = setTimeout(
        () => ((this.delayTimer = null), this.pump()),
        Math.max(1, this.o.maxDelayMs - this.oldestAge()),
      );
    }
  }

  private pump(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    while (this.mayStart()) {
      this.active++;
      void this.writeNext().finally(() => {
        this.active--;
        this.pump();
      });
    }
    if (!this.pending.length && this.active === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  private async writeNext(): Promise<void> {
    // Counted first, then taken in one splice: a shift() per message copies the rest of a large
    // queue each time (quadratic in the backlog once the array leaves V8's young space).
    const { pending } = this;
    let count = 0;
    let rows = 0;
    while (count < pending.length && (count === 0 || rows + pending[count]!.rows <= this.o.maxRows))
      rows += pending[count++]!.rows;
    const take = count === pending.length ? pending.splice(0) : pending.splice(0, count);
    this.pendingRows -= rows;
    // `pending` is in arrival order: the first taken is the oldest.
    const commands = commandDevices(take);
    // A device's command results are applied in the order they arrived (accepted, then done): a
    // batch with results for a device waits for the earlier batches still writing results for it.
    // It waits before its transaction starts, so it holds no lock an earlier batch could need.
    const earlier = commands.size
      ? [...this.writing].filter((b) => [...commands].some((k) => b.commands.has(k))).map((b) => b.settled)
      : [];
    let settle!: () => void;
    const batch: InFlight = {
      oldest: take[0]?.receivedAt ?? Date.now(),
      messages: take.length,
      commands,
      settled: new Promise<void>((r) => (settle = r)),
    };
    this.writing.add(batch);
    let result: WriteResult | null;
    let started = performance.now();
    try {
      if (earlier.length) {
        await Promise.all(earlier);
        started = performance.now();
      }
      result = await this.o.write(take);
    } finally {
      this.writing.delete(batch);
      settle();
    }
    this.o.done(take, result, (performance.now() - started) / 1000);
    // Room again: let mqtt.js read on.
    while (this.readWaiters.length && this.pending.length < this.o.maxPending) this.readWaiters.shift()!();
  }
}

/** A batch being written, and the devices whose command results it holds (settled: written or given up). */
interface InFlight {
  oldest: number;
  messages: number;
  commands: Set<string>;
  settled: Promise<void>;
}

/** The devices (by id, or ChirpStack DevEUI) whose command results or downlink acks these messages carry. */
function commandDevices(take: Pending[]): Set<string> {
  const keys = new Set<string>();
  for (const m of take)
    for (const item of m.decoded.items) {
      if (item.kind === 'cmd_result') keys.add(`id:${item.device_id}`);
      else if (item.kind === 'chirpstack_ack') keys.add(`eui:${item.dev_eui}`);
    }
  return keys;
}
