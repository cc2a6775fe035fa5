// DeviceTable's page follows the change feed where a change moves a device into or out of it
// (widgets.md: registry rows "with live status"). A row's own fields follow the store; the page is
// read again only when the set of rows may change. The events are the API's, in its contract's
// shape: `device.health_changed` as the health monitor and the ingest emit it, `device.updated`
// as a PATCH does. E2e: tests/e2e/widgets-live-reads.test.ts.
import { describe, expect, it } from 'vitest';
import { changeEventSchema } from '../../data-api/src/contracts/stream.ts';
import { movesDevicePage } from '../../src/widgets/DeviceTable/filters.ts';

const event = (type: string, payload: Record<string, unknown> = {}, site = 'site_farm-north') =>
  changeEventSchema.parse({
    id: 1,
    at: '2026-12-07T12:00:00.000Z',
    type,
    subject: { type: 'device', id: 'dev_farm-north-1-001' },
    site_id: site,
    payload,
  });
const health = (status: string, previous: string, site?: string) =>
  event(
    'device.health_changed',
    { device_id: 'dev_farm-north-1-001', status, previous, last_seen: '2026-12-07T11:57:00.000Z' },
    site,
  );

describe('DeviceTable: which changes re-read the page', () => {
  it('a "devices down" table takes in the device that went down and drops the one that came back', () => {
    const down = { status: 'down' };
    expect(movesDevicePage(down, health('down', 'up'))).toBe(true);
    expect(movesDevicePage(down, health('up', 'down'))).toBe(true);
    // Up ↔ unknown neither enters nor leaves it.
    expect(movesDevicePage(down, health('up', 'unknown'))).toBe(false);
    // A site's table: health changes at other sites move nothing in it.
    expect(movesDevicePage({ ...down, site: 'site_farm-north' }, health('down', 'up'))).toBe(true);
    expect(movesDevicePage({ ...down, site: 'site_farm-north' }, health('down', 'up', 'site_dc-bangna'))).toBe(false);
  });

  it('a table ordered by status re-reads on any health change; one with neither filter nor order by status does not', () => {
    expect(movesDevicePage({ sort: '-status' }, health('up', 'unknown'))).toBe(true);
    expect(movesDevicePage({ sort: 'status' }, health('down', 'up'))).toBe(true);
    expect(movesDevicePage({}, health('down', 'up'))).toBe(false);
    expect(movesDevicePage({ product: 'soil-probe', sort: 'name' }, health('down', 'up'))).toBe(false);
  });

  it('a device moved or edited re-reads tables filtered or ordered by what an edit changes', () => {
    const updated = event('device.updated', { id: 'dev_farm-north-1-001', deployment_id: 'dep_b' });
    expect(movesDevicePage({ deployment: 'dep_a' }, updated)).toBe(true);
    expect(movesDevicePage({ site: 'site_farm-north' }, updated)).toBe(true);
    expect(movesDevicePage({ q: 'probe' }, updated)).toBe(true);
    expect(movesDevicePage({ sort: 'name' }, updated)).toBe(true);
    expect(movesDevicePage({ status: 'down' }, updated)).toBe(false);
    expect(movesDevicePage({ product: 'soil-probe', sort: '-last_seen' }, updated)).toBe(false);
  });

  it('a device created or deleted re-reads every table; its desired state does not', () => {
    expect(movesDevicePage({}, event('device.created', { id: 'dev_farm-north-1-001' }))).toBe(true);
    expect(movesDevicePage({ status: 'down' }, event('device.deleted'))).toBe(true);
    expect(movesDevicePage({ site: 'site_farm-north' }, event('device.desired_state', { desired_version: 2 }))).toBe(
      false,
    );
  });
});
