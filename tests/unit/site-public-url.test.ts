import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SiteBuilder } from '../../data-api/src/site/build.ts';
import { stateDrift } from '../../data-api/src/contracts/device-state.ts';

// Issue 17: the public URL comes from FLEETBOOK_PUBLIC_URL (sitemap, canonical links), and a
// change of it rebuilds the site; device pages compare desired and reported state.
describe('FLEETBOOK_PUBLIC_URL and the site', () => {
  it('names the site URL in the Docusaurus config (the sitemap plugin writes it), origin only', async () => {
    const before = process.env.FLEETBOOK_PUBLIC_URL;
    process.env.FLEETBOOK_PUBLIC_URL = 'https://fleet.example.org/handbook/';
    try {
      const config = (await import('../../docusaurus.config.ts')).default;
      expect(config.url).toBe('https://fleet.example.org');
      expect(config.baseUrl).toBe('/');
    } finally {
      if (before === undefined) delete process.env.FLEETBOOK_PUBLIC_URL;
      else process.env.FLEETBOOK_PUBLIC_URL = before;
    }
  });

  it('a build made for another public URL is stale', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetbook-site-url-'));
    try {
      fs.writeFileSync(path.join(dir, 'index.html'), '<html></html>');
      const future = new Date(Date.now() + 3_600_000).toISOString();
      fs.writeFileSync(
        path.join(dir, '.fleetbook-build.json'),
        JSON.stringify({ built_at: future, public_url: 'https://a.example.org' }),
      );
      expect(new SiteBuilder(dir, () => {}, { publicUrl: 'https://a.example.org' }).isStale()).toBe(false);
      expect(new SiteBuilder(dir, () => {}, { publicUrl: 'https://b.example.org' }).isStale()).toBe(true);
      expect(new SiteBuilder(dir, () => {}, {}).isStale()).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('desired vs reported state', () => {
  it('lists desired keys first with their drift, then what the device reports unasked', () => {
    const drift = stateDrift(
      { setpoint_bar: 3.2, mode: 'auto', report_interval_s: 60 },
      {
        status: 'up',
        reported: { mode: 'auto', setpoint_bar: 3.0, led: 'on' },
        reported_at: '2026-12-06T10:00:00.000Z',
      },
    );
    expect(drift.rows).toEqual([
      { key: 'mode', desired: 'auto', reported: 'auto', drift: 'same' },
      { key: 'report_interval_s', desired: 60, reported: undefined, drift: 'missing' },
      { key: 'setpoint_bar', desired: 3.2, reported: 3.0, drift: 'differs' },
      { key: 'led', desired: undefined, reported: 'on', drift: 'unmanaged' },
    ]);
    expect(drift.drifting).toBe(2);
    expect(drift.reportedAt).toBe('2026-12-06T10:00:00.000Z');
  });

  it('a device that never reported state: every desired key is missing, nothing breaks on odd observed_state', () => {
    expect(stateDrift({ a: 1 }, { reported: 'not an object' }).rows).toEqual([
      { key: 'a', desired: 1, reported: undefined, drift: 'missing' },
    ]);
    expect(stateDrift({}, {}).rows).toEqual([]);
  });
});
