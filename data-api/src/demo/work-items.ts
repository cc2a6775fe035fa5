// The demo's work items: a handful of tickets and tasks on the demo fleet, so the work boards
// show something real on a first start. Fixed ids (`wi_demo-…`), dates relative to the load.
import type { Insertable } from 'kysely';
import type { WorkItemsTable } from '../kernel/db/index.ts';
import type { DemoFleet } from './fleet.ts';

type Seed = Pick<Insertable<WorkItemsTable>, 'kind' | 'title' | 'state' | 'priority' | 'owner'> & {
  id: string;
  deployment: string;
  device?: string;
  description?: string;
  dueInDays?: number;
  closedDaysAgo?: number;
};

const SEEDS: Seed[] = [
  {
    id: 'wi_demo-gw-storm',
    kind: 'ticket',
    title: 'Gateway on the north water tower offline since the storm',
    state: 'open',
    priority: 'urgent',
    owner: null,
    deployment: 'dep_farm-north-1',
    device: 'gw_farm-north-1-002',
    description: 'LTE backhaul lost at 02:10; the mast may need a site visit.',
  },
  {
    id: 'wi_demo-survey-gk',
    kind: 'task',
    title: 'Survey blocks G–K before the clay-block probe rollout',
    state: 'in_progress',
    priority: 'high',
    owner: 'field-crew',
    deployment: 'dep_farm-north-3',
    dueInDays: 5,
  },
  {
    id: 'wi_demo-booster-panel',
    kind: 'task',
    title: 'Panel builder to fit controllers on the two booster pumps',
    state: 'blocked',
    priority: 'normal',
    owner: 'project-lead',
    deployment: 'dep_farm-north-4',
    dueInDays: -2,
    description: 'Waiting for the panel builder to confirm a date.',
  },
  {
    id: 'wi_demo-pilot-list',
    kind: 'task',
    title: 'List the 1.3.0 pilot probes to replace after the season',
    state: 'done',
    priority: 'low',
    owner: 'field-crew',
    deployment: 'dep_farm-north-5',
    closedDaysAgo: 3,
  },
  {
    id: 'wi_demo-dock7',
    kind: 'ticket',
    title: 'Dock door 7 reader misses pallets on the left lane',
    state: 'open',
    priority: 'high',
    owner: 'field-crew',
    deployment: 'dep_dc-bangna-1',
    dueInDays: 2,
  },
  {
    id: 'wi_demo-sim-renewal',
    kind: 'task',
    title: 'Renew the LTE SIM contract for the reservoir gateways',
    state: 'open',
    priority: 'normal',
    owner: null,
    deployment: 'dep_reservoir-west-2',
    dueInDays: 20,
  },
];

const day = (now: Date, days: number) => new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10);

/**
 * The demo's work items as rows, their links completed from the demo fleet (seeds whose
 * deployment is missing are left out).
 */
export function demoWorkItems(fleet: DemoFleet, now: Date): Array<Insertable<WorkItemsTable>> {
  const deployments = new Map(fleet.deployments.map((d) => [d.id, d]));
  const devices = new Set(fleet.devices.map((d) => d.id));
  return SEEDS.flatMap((s) => {
    const dep = deployments.get(s.deployment);
    if (!dep) return [];
    const closed = s.closedDaysAgo !== undefined ? new Date(now.getTime() - s.closedDaysAgo * 86_400_000) : null;
    return [
      {
        id: s.id,
        kind: s.kind,
        title: s.title,
        description: s.description ?? null,
        state: s.state,
        owner: s.owner,
        due: s.dueInDays !== undefined ? day(now, s.dueInDays) : null,
        priority: s.priority,
        origin: 'manual' as const,
        customer_id: dep.customer_id,
        site_id: dep.site_id,
        deployment_id: dep.id,
        device_id: s.device && devices.has(s.device) ? s.device : null,
        created_by: 'demo',
        ...(closed ? { closed_at: closed, updated_at: closed } : {}),
      },
    ];
  });
}
