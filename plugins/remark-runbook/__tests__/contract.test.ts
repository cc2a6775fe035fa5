// runbooks.md "Frontmatter (v1)": the one zod schema the API, the browser and the lint share.
import { describe, expect, it } from 'vitest';
import {
  RUNBOOK_RULE,
  SIGN_OFF_ROLES,
  runbookFrontmatterSchema,
  type RunbookFrontmatterInput,
} from '../../../data-api/src/contracts/runbook.ts';

/** The example of runbooks.md, as data. */
const example = (): RunbookFrontmatterInput => ({
  id: 'rb-lorawan-gateway-install',
  title: 'Install a LoRaWAN gateway',
  kind: 'runbook',
  version: 3,
  owner: 'ops',
  product_code: 'lorawan-gw',
  product_versions: '>=2.0 <3',
  estimated_minutes: 90,
  requires: ['rb-site-survey'],
  gates: [
    {
      id: 'g1-power',
      title: 'Power and enclosure',
      sign_off: 'lead',
      checklist: [
        { id: 'mount', text: 'Enclosure mounted and grounded', evidence: 'photo' },
        { id: 'psu', text: 'PSU output voltage', evidence: 'value', expect: { min: 11.5, max: 12.5, unit: 'V' } },
      ],
    },
    {
      id: 'g2-backhaul',
      title: 'Backhaul and forwarder',
      checklist: [
        {
          id: 'udp1700',
          text: 'Packet forwarder reaches the network server on UDP 1700',
          evidence: 'none',
          auto_check: { udp: '{{site.network_server}}:1700' },
        },
      ],
    },
  ],
});

const issues = (data: unknown) => {
  const r = runbookFrontmatterSchema.safeParse(data);
  return r.success
    ? []
    : r.error.issues.map((i) => ({
        code: i.code,
        path: i.path,
        ...('params' in i && i.params ? { rule: (i.params as { rule?: string }).rule } : {}),
      }));
};

describe('runbook frontmatter v1', () => {
  it('accepts the example of the spec', () => {
    expect(issues(example())).toEqual([]);
  });

  it('defaults `requires` to [] and accepts Docusaurus doc keys beside ours', () => {
    const { requires: _, ...rest } = example();
    const r = runbookFrontmatterSchema.parse({
      ...rest,
      sidebar_position: 2,
      sidebar_label: 'Install',
      tags: ['lorawan'],
      slug: '/install',
      last_update: { date: '2025-01-01' },
    });
    expect(r.requires).toEqual([]);
    expect(r.sidebar_position).toBe(2);
  });

  it('rejects unknown keys at every level', () => {
    const data = example() as Record<string, unknown> & { gates: Record<string, unknown>[] };
    data.colour = 'red';
    data.gates[0]!.colour = 'blue';
    expect(issues(data)).toEqual([
      { code: 'unrecognized_keys', path: ['gates', 0] },
      { code: 'unrecognized_keys', path: [] },
    ]);
  });

  it('lead is a sign-off role beside the API roles', () => {
    expect(SIGN_OFF_ROLES).toEqual(['viewer', 'operator', 'automation', 'admin', 'lead']);
  });

  it('tags its semantic refinements with the lint rule that reports them', () => {
    const data = example();
    data.product_versions = 'two to three';
    expect(issues(data)).toEqual([
      { code: 'custom', path: ['product_versions'], rule: RUNBOOK_RULE.invalidSemverRange },
    ]);

    const noExpect = example();
    delete noExpect.gates[0]!.checklist[1]!.expect;
    expect(issues(noExpect)).toEqual([
      { code: 'custom', path: ['gates', 0, 'checklist', 1, 'evidence'], rule: RUNBOOK_RULE.valueWithoutExpect },
    ]);

    // The API's catalog parses with this schema too: such a runbook is refused there as in the build.
    const deadExpect = example();
    deadExpect.gates[0]!.checklist[0]!.expect = { min: 1 };
    expect(issues(deadExpect)).toEqual([
      { code: 'custom', path: ['gates', 0, 'checklist', 0, 'expect'], rule: RUNBOOK_RULE.expectWithoutValue },
    ]);

    const noPort = example();
    noPort.gates[1]!.checklist[0]!.auto_check = { udp: '{{site.network_server}}' };
    expect(issues(noPort)).toEqual([
      { code: 'custom', path: ['gates', 1, 'checklist', 0, 'auto_check', 'udp'], rule: RUNBOOK_RULE.badProbeTarget },
    ]);

    const dupGate = example();
    dupGate.gates[1]!.id = 'g1-power';
    expect(issues(dupGate)).toEqual([{ code: 'custom', path: ['gates', 1, 'id'], rule: RUNBOOK_RULE.duplicateGateId }]);

    const dupItem = example();
    dupItem.gates[1]!.checklist[0]!.id = 'mount';
    expect(issues(dupItem)).toEqual([
      { code: 'custom', path: ['gates', 1, 'checklist', 0, 'id'], rule: RUNBOOK_RULE.duplicateItemId },
    ]);
  });

  it('a tutorial has a track and a 1-based step; other kinds have neither', () => {
    expect(issues({ ...example(), kind: 'tutorial', track: 'first-day', step: 1 })).toEqual([]);
    expect(issues({ ...example(), kind: 'tutorial' })).toEqual([
      { code: 'custom', path: ['track'] },
      { code: 'custom', path: ['step'] },
    ]);
    expect(issues({ ...example(), kind: 'tutorial', track: 'first-day', step: 0 })).toEqual([
      { code: 'too_small', path: ['step'] },
    ]);
    expect(issues({ ...example(), step: 2 })).toEqual([{ code: 'custom', path: ['step'] }]);
  });

  it('expect needs a bound, min ≤ max; auto_check names exactly one probe', () => {
    const e = example();
    e.gates[0]!.checklist[1]!.expect = { unit: 'V' };
    expect(issues(e)).toEqual([{ code: 'custom', path: ['gates', 0, 'checklist', 1, 'expect'] }]);
    e.gates[0]!.checklist[1]!.expect = { min: 13, max: 12 };
    expect(issues(e)).toEqual([{ code: 'custom', path: ['gates', 0, 'checklist', 1, 'expect', 'min'] }]);
    const a = example();
    a.gates[1]!.checklist[0]!.auto_check = { udp: 'h:1700', tcp: 'h:22' };
    expect(issues(a)).toEqual([{ code: 'custom', path: ['gates', 1, 'checklist', 0, 'auto_check'] }]);
  });

  it('ids are url-safe (docs/contracts/ids.mdx)', () => {
    expect(issues({ ...example(), id: 'rb/install' })).toEqual([{ code: 'invalid_format', path: ['id'] }]);
    expect(issues({ ...example(), requires: ['rb site survey'] })).toEqual([
      { code: 'invalid_format', path: ['requires', 0] },
    ]);
  });
});
