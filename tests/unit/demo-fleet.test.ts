import { describe, expect, it } from 'vitest';
import { generateDemoFleet } from '../../data-api/src/demo/fleet.ts';

describe('demo fleet generator', () => {
  const fleet = generateDemoFleet(42);

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateDemoFleet(42)).toEqual(fleet);
    expect(generateDemoFleet(7).devices.map((d) => d.serial)).not.toEqual(fleet.devices.map((d) => d.serial));
  });

  it('has the size the docs promise', () => {
    expect(fleet.customers).toHaveLength(3);
    expect(fleet.sites).toHaveLength(8);
    expect(fleet.deployments).toHaveLength(40);
    expect(fleet.devices.length).toBeGreaterThan(1900);
    expect(fleet.devices.length).toBeLessThan(2100);
  });

  it('uses the domain id prefixes and unique ids', () => {
    const ids = [...fleet.customers, ...fleet.sites, ...fleet.deployments, ...fleet.devices, ...fleet.inventory].map((x) => x.id);
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
