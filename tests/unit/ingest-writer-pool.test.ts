import { describe, expect, it } from 'vitest';
import type { Decoded } from '../../data-api/src/telemetry/ingest/decode.ts';
import { WriterPool, type Pending } from '../../data-api/src/telemetry/ingest/writer-pool.ts';
import type { IncomingMessage, WriteResult } from '../../data-api/src/telemetry/ingest/writer.ts';

const result = (): WriteResult => ({ rows: 0, inserted: 0, duplicates: 0, deadLetters: {}, cameUp: [], samples: [] });

function message(items: Decoded['items']): Pending {
  return {
    decoded: { topic: 't', items, deadLetters: [] },
    receivedAt: Date.now(),
    messageId: undefined,
    generation: 0,
    rows: items.length,
    written: false,
  };
}
const cmdResult = (device: string, status: 'accepted' | 'done'): Pending =>
  message([
    {
      kind: 'cmd_result',
      device_id: device,
      site_id: 's',
      cmd_id: 'c',
      status,
      detail: null,
      ts: Date.now(),
      raw: () => '',
    },
  ]);
const reading = (device: string): Pending =>
  message([
    {
      kind: 'telemetry',
      device_id: device,
      site_id: 's',
      msg_id: 'm',
      ts: Date.now(),
      status: null,
      metrics: {},
      raw: () => '',
      via: 'direct',
    },
  ]);

/** A pool whose writes wait until the test lets each one finish. */
function pool() {
  const writes: Array<{ take: IncomingMessage[]; finish: () => void }> = [];
  const p = new WriterPool({
    maxRows: 1, // one message per batch: each lands on its own writer
    maxDelayMs: 0,
    maxPending: 100,
    maxWriters: 4,
    write: (take) => new Promise((resolve) => writes.push({ take, finish: () => resolve(result()) })),
    done: () => {},
    statesDue: () => false,
  });
  return { p, writes };
}
const tick = () => new Promise((r) => setTimeout(r, 20));
const kinds = (w: { take: IncomingMessage[] }) =>
  w.take
    .map((m) =>
      m.decoded.items.map((i) => (i.kind === 'cmd_result' ? `${i.device_id}:${i.status}` : `${i.kind}`)).join(),
    )
    .join();

describe('ingest writer pool', () => {
  it("writes a device's command results in arrival order, other batches alongside", async () => {
    const { p, writes } = pool();
    p.add(cmdResult('a', 'accepted'), () => {});
    await tick();
    p.add(cmdResult('a', 'done'), () => {});
    p.add(reading('a'), () => {});
    p.add(cmdResult('b', 'done'), () => {});
    await tick();
    // The second result of device a waits for the first; the reading and device b do not.
    expect(writes.map(kinds)).toEqual(['a:accepted', 'telemetry', 'b:done']);
    writes[0]!.finish();
    await tick();
    expect(writes.map(kinds)).toEqual(['a:accepted', 'telemetry', 'b:done', 'a:done']);
    for (const w of writes.slice(1)) w.finish();
    await p.drain();
    p.shutDown();
  });
});
