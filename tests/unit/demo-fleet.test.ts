import { describe, expect, it } from 'vitest';
import { generateDemoFleet } from '../../data-api/src/demo/fleet.ts';

describe('demo fleet generator', () => {
  const fleet = generateDemoFleet(42);

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateDemoFleet(42)).toEqual(fleet);
    expect(generateDemoFleet(7).devices.map((d) => d.serial)).not.toEqual(fleet.devices.map((d) => d.serial));
  });

  it('dates everything relative to the time of loading: the same fleet, shifted', () => {
    const later = new Date(Date.parse('2026-11-01T00:00:00Z') + 40 * 86_400_000);
    const shifted = generateDemoFleet(42, later);
    const days40 = 40 * 86_400_000;
    expect(shifted.devices.map((d) => [d.id, d.serial, d.status])).toEqual(
      fleet.devices.map((d) => [d.id, d.serial, d.status]),
    );
    shifted.devices.forEach((d, i) => {
      const before = fleet.devices[i]!.last_seen;
      if (before === null) expect(d.last_seen).toBeNull();
      // ± 1 ms: now − a fractional offset is truncated to whole milliseconds.
      else expect(Math.abs(Date.parse(d.last_seen!) - Date.parse(before) - days40)).toBeLessThanOrEqual(1);
    });
    expect(shifted.deployments.map((d) => d.started_date)).toEqual(
      fleet.deployments.map((d) =>
        d.started_date ? new Date(Date.parse(d.started_date) + days40).toISOString().slice(0, 10) : null,
      ),
    );
    // Loaded now, most devices were seen within the last minute; a few went silent long enough
    // ago (beyond 3 × their heartbeat) for the monitor to mark them down; none in the future.
    const age = (d: (typeof shifted.devices)[number]) => later.getTime() - Date.parse(d.last_seen!);
    const seen = shifted.devices.filter((d) => d.last_seen !== null);
    const fresh = seen.filter((d) => age(d) < 60_000);
    const silent = seen.filter((d) => age(d) > 3 * d.heartbeat_interval_s * 1000);
    expect(fresh.length + silent.length).toBe(seen.length);
    expect(fresh.length / shifted.devices.length).toBeGreaterThan(0.5);
    expect(silent.length).toBeGreaterThan(20);
    expect(silent.length).toBeLessThan(fresh.length / 5);
    for (const d of seen) expect(age(d)).toBeGreaterThanOrEqual(0);
  });

  it('has the size the docs promise', () => {
    expect(fleet.customers).toHaveLength(3);
    expect(fleet.sites).toHaveLength(8);
    expect(fleet.deployments).toHaveLength(40);
    expect(fleet.devices.length).toBeGreaterThan(1900);
    expect(fleet.devices.length).toBeLessThan(2100);
  });

  it('uses the domain id prefixes and unique ids', () => {
    const ids = [...fleet.customers, ...fleet.sites, ...fleet.deployments, ...fleet.devices, ...fleet.inventory].map(
      (x) => x.id,
    );
    expect(new Set(ids).size).toBe(ids.length);
    for (const d of fleet.devices) expect(d.id).toMatch(d.role === 'gateway' ? /^gw_[a-z0-9-]+$/ : /^dev_[a-z0-9-]+$/);
    for (const d of fleet.deployments) expect(d.id).toMatch(/^dep_/);
  });

  it("keeps every device on its deployment's site (domain.md referential rule)", () => {
    const siteOf = new Map(fleet.deployments.map((d) => [d.id, d.site_id]));
    for (const d of fleet.devices) expect(d.site_id).toBe(siteOf.get(d.deployment_id!));
  });

  it('covers LoRaWAN, RFID and firmware-only products', () => {
    expect(new Set(fleet.deployments.map((d) => d.product_code))).toEqual(
      new Set(['lorawan-gw', 'soil-probe', 'rfid-station', 'pump-ctl']),
    );
  });
});
