import { describe, expect, it } from 'vitest';
import { StarvationWatch } from '../../data-api/src/telemetry/ingest/starvation.ts';

// The "subscribed but receiving nothing" rule of /health (docs/operating/broker-restarts.mdx):
// samples come every sys_interval (10 s) with the broker's PUBLISH count and ours.
const at = (s: number) => 1_000_000 + s * 1000;

describe('StarvationWatch', () => {
  it('is starved once the broker took 20 publishes while this replica received none', () => {
    const w = new StarvationWatch(20);
    w.sample(100, 5, at(0));
    w.sample(110, 5, at(10));
    expect(w.verdict(5, at(10))).toBeNull(); // 10 so far: not enough to conclude
    w.sample(125, 5, at(20));
    expect(w.verdict(5, at(20))).toBe(
      'received nothing for 20 s while the broker took 25 publishes ($SYS/broker/publish/messages/received)',
    );
  });

  it('clears at once when a message arrives, and counts afresh from the next sample', () => {
    const w = new StarvationWatch(20);
    w.sample(0, 0, at(0));
    w.sample(50, 0, at(10));
    expect(w.verdict(0, at(10))).not.toBeNull();
    expect(w.verdict(1, at(11))).toBeNull(); // received one since the sample
    w.sample(100, 1, at(20)); // the count moved: a new quiet period starts here
    expect(w.verdict(1, at(20))).toBeNull();
  });

  it('a quiet share of two replicas: one that gets half of the publishes is never starved, one that gets none is', () => {
    const a = new StarvationWatch(20);
    const b = new StarvationWatch(20);
    let broker = 0;
    let receivedA = 0;
    for (let s = 0; s <= 60; s += 10) {
      a.sample(broker, receivedA, at(s));
      b.sample(broker, 0, at(s));
      broker += 30; // 30 publishes per interval, round-robin: A gets 15, B (deaf) none
      receivedA += 15;
    }
    expect(a.verdict(receivedA - 15, at(60))).toBeNull();
    expect(b.verdict(0, at(60))).toMatch(/^received nothing for \d+ s while the broker took 1[58]0 publishes/);
  });

  it('concludes nothing on a quiet fleet (fewer than 20 publishes), after a broker restart (its count starts again), or when off', () => {
    const quiet = new StarvationWatch(20);
    for (let s = 0; s <= 100; s += 10) quiet.sample(s / 10, 0, at(s)); // one publish per interval, for 100 s
    expect(quiet.verdict(0, at(100))).toBeNull();

    const restarted = new StarvationWatch(20);
    restarted.sample(1000, 0, at(0));
    restarted.sample(1015, 0, at(10));
    restarted.sample(10, 0, at(20)); // a new broker process: 10 < 1015
    expect(restarted.verdict(0, at(20))).toBeNull();

    const off = new StarvationWatch(0);
    off.sample(0, 0, at(0));
    off.sample(1000, 0, at(10));
    expect(off.verdict(0, at(10))).toBeNull();
  });
});
