import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Execution } from '../../data-api/src/contracts/executions.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { tempDir } from '../helpers/automation.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// Checklist items with `when:` (issue 16): decided when an execution starts, over the
// deployment, its site (region) and product (version). An item whose condition is false is not
// part of the execution: not shown, not blocking its gate; the snapshot records why.
const RUNBOOK = `---
id: rb-when
title: Gateway radio setup
kind: runbook
version: 1
owner: ops
product_code: lorawan-gw
product_versions: ">=2.0 <3"
estimated_minutes: 20
gates:
  - id: g1-radio
    title: Radio
    checklist:
      - id: plan
        text: Region plan set on the gateway
        evidence: none
      - id: extra-channels
        text: Extra AS923 channels pushed to ChirpStack
        evidence: none
        when: { "in": ["AS923", { "var": "site.region" }] }
  - id: g2-lbt
    title: Listen before talk
    checklist:
      - id: lbt
        text: LBT enabled (product 2.1 and later)
        evidence: none
        when: { "version_satisfies": [{ "var": "product.version" }, ">=2.1"] }
---

# Gateway radio setup

- [ ] Region plan set on the gateway \\{#plan\\}
- [ ] Extra AS923 channels pushed to ChirpStack \\{#extra-channels\\}
- [ ] LBT enabled (product 2.1 and later) \\{#lbt\\}
`;

describe('runbook checklist items with when:', () => {
  const tmp = tempDir('rb-when');
  let t: TestApp;
  let admin: Client;
  let op: Client;

  beforeAll(async () => {
    fs.mkdirSync(path.join(tmp.dir, 'runbooks'), { recursive: true });
    fs.mkdirSync(path.join(tmp.dir, 'docs'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'runbooks', 'when.mdx'), RUNBOOK);
    t = await createTestApp({ runbooksRoot: tmp.dir });
    admin = client(t.app, await bearer(t.ctx.db, 'admin'));
    op = client(t.app, await bearer(t.ctx.db, 'operator', null, 'olga'));
    await must(admin.post('/customers', { id: 'cus_when', name: 'When farms' }));
    await must(
      admin.post('/sites', { id: 'site_as923', customer_id: 'cus_when', name: 'Thai farm', region: 'AS923_1' }),
    );
    await must(
      admin.post('/sites', { id: 'site_eu868', customer_id: 'cus_when', name: 'Dutch farm', region: 'EU868' }),
    );
    await must(
      admin.post('/deployments', {
        id: 'dep_as923-new',
        site_id: 'site_as923',
        product_code: 'lorawan-gw',
        product_version: '2.1.0',
        state: 'installing',
      }),
    );
    await must(
      admin.post('/deployments', {
        id: 'dep_eu868-old',
        site_id: 'site_eu868',
        product_code: 'lorawan-gw',
        product_version: '2.0.0',
        state: 'installing',
      }),
    );
  });
  afterAll(async () => {
    await t?.close();
    tmp.cleanup();
  });

  const items = (e: Execution) => e.gates.map((g) => [g.id, g.items.map((i) => i.id)]);

  it('an AS923 site with product 2.1.0 gets every item', async () => {
    const e: Execution = await must(
      op.post('/runbook-executions', { runbook_id: 'rb-when', deployment_id: 'dep_as923-new' }),
    );
    expect(items(e)).toEqual([
      ['g1-radio', ['plan', 'extra-channels']],
      ['g2-lbt', ['lbt']],
    ]);
    expect(e.progress.total).toBe(3);
  });

  it('an EU868 site with product 2.0.0: the AS923 item and the LBT gate are left out, and do not block finishing', async () => {
    const e: Execution = await must(
      op.post('/runbook-executions', { runbook_id: 'rb-when', deployment_id: 'dep_eu868-old' }),
    );
    expect(items(e)).toEqual([['g1-radio', ['plan']]]);
    expect(e.progress.total).toBe(1);
    const row = await t.ctx.db
      .selectFrom('runbook_executions')
      .select('snapshot')
      .where('id', '=', e.id)
      .executeTakeFirstOrThrow();
    expect((row.snapshot as { skipped_items: unknown[] }).skipped_items).toEqual([
      {
        gate_id: 'g1-radio',
        item_id: 'extra-channels',
        condition: '{"in":["AS923",{"var":"site.region"}]}',
        value: false,
      },
      {
        gate_id: 'g2-lbt',
        item_id: 'lbt',
        condition: '{"version_satisfies":[{"var":"product.version"},">=2.1"]}',
        value: false,
      },
    ]);
    await must(op.post(`/runbook-executions/${e.id}/items/plan/tick`, {}), 200);
    const done = await must(op.post(`/runbook-executions/${e.id}/finish`, {}), 200);
    expect(done.state).toBe('done');
  });

  it('a site region that is not a region plan is a 400 naming the field', async () => {
    const res = await admin.post('/sites', { customer_id: 'cus_when', name: 'Bad', region: 'as923' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('region');
    expect(res.body).toContain('expected a region plan like AS923_1');
  });
});
