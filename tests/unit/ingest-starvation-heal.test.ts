import { describe, expect, it } from 'vitest';
import {
  flowing,
  resubscribeDelayMs,
  resubscribeDue,
  resubscribed,
  StarvationHeal,
  type ResubscribeBackoff,
} from '../../data-api/src/telemetry/ingest/starvation-heal.ts';

// What a starved ingest replica does (docs/operating/broker-restarts.mdx): it reconnects to
// subscribe again, at most once a minute, doubling while it does not help, to 15 min.
const min = (m: number) => m * 60_000;
const T = 1_000_000_000;
const STARVED = 'received nothing for 20 s while the broker took 25 publishes ($SYS/broker/publish/messages/received)';

describe('resubscribe backoff', () => {
  it('waits a minute after the first reconnect, then doubles to a 15-minute cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((streak) => resubscribeDelayMs(streak) / 60_000)).toEqual([
      1, 1, 2, 4, 8, 15, 15, 15,
    ]);
  });

  it('the first reconnect is due at once; each later one only once its delay has passed', () => {
    let s: ResubscribeBackoff = { lastAt: null, streak: 0 };
    expect(resubscribeDue(s, T)).toBe(true);
    s = resubscribed(s, T);
    expect(resubscribeDue(s, T + min(1) - 1)).toBe(false);
    expect(resubscribeDue(s, T + min(1))).toBe(true);
    s = resubscribed(s, T + min(1));
    expect(resubscribeDue(s, T + min(3) - 1)).toBe(false);
    expect(resubscribeDue(s, T + min(3))).toBe(true);
  });

  it('messages flowing reset the doubling, never the minute since the last reconnect', () => {
    let s: ResubscribeBackoff = { lastAt: null, streak: 0 };
    for (let i = 0; i < 5; i++) s = resubscribed(s, T + i);
    expect(resubscribeDue(s, T + 4 + min(15) - 1)).toBe(false);
    s = flowing(s);
    expect(resubscribeDue(s, T + 4 + 30_000)).toBe(false);
    expect(resubscribeDue(s, T + 4 + min(1))).toBe(true);
  });
});

describe('StarvationHeal', () => {
  function heal() {
    const events: string[] = [];
    const h = new StarvationHeal({
      clientId: 'fleetbook-ingest-a',
      drop: () => events.push('drop'),
      counted: () => events.push('counted'),
      log: {
        warn: (o, msg) => events.push(`warn ${msg} ${JSON.stringify(o)}`),
        info: (_, msg) => events.push(`info ${msg}`),
      },
    });
    return { h, events };
  }

  it('drops the connection once per verdict, says why, and keeps /health informed until the next connect', () => {
    const { h, events } = heal();
    h.check(null, T);
    expect(events).toEqual([]);
    h.check(STARVED, T);
    expect(events).toHaveLength(3);
    expect(events[0]).toMatch(/^warn ingest starved: dropping its MQTT connection/);
    expect(JSON.parse(events[0]!.slice(events[0]!.indexOf('{')))).toEqual({
      clientId: 'fleetbook-ingest-a',
      reason: 'starved',
      detail: STARVED,
      in_a_row: 1,
      next_in_s: 60,
    });
    expect(events.slice(1)).toEqual(['counted', 'drop']);
    expect(h.reconnecting).toBe(STARVED);
    h.check(STARVED, T + min(5)); // still reconnecting: nothing more
    expect(events).toHaveLength(3);
    expect(h.connected()).toBe(true); // its own reconnect
    expect(h.reconnecting).toBeNull();
    expect(h.connected()).toBe(false); // any later one is not
  });

  it('does not flap: still starved after reconnecting, it waits a minute, then two', () => {
    const { h, events } = heal();
    const drops = () => events.filter((e) => e === 'drop').length;
    h.check(STARVED, T);
    h.connected();
    for (let s = 10; s < 60; s += 10) h.check(STARVED, T + s * 1000);
    expect(drops()).toBe(1);
    h.check(STARVED, T + min(1));
    h.connected();
    expect(drops()).toBe(2);
    h.check(STARVED, T + min(3) - 1);
    expect(drops()).toBe(2);
    h.check(STARVED, T + min(3));
    expect(drops()).toBe(3);
  });

  it('a message after reconnecting ends the streak (logged once); a later starvation waits only the minute', () => {
    const { h, events } = heal();
    h.check(STARVED, T);
    h.connected();
    h.check(STARVED, T + min(1));
    h.connected();
    h.received();
    h.received();
    expect(events.filter((e) => e.startsWith('info'))).toEqual(['info ingest receiving again after subscribing again']);
    h.check(STARVED, T + min(2));
    expect(events.filter((e) => e === 'drop')).toHaveLength(3);
  });
});
