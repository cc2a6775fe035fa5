import type { SurfaceDefinitionInput } from '../src/contracts/surfaces.ts';

// Components the repository surfaces show alike: the same figure, labelled and toned the same.
type Component = SurfaceDefinitionInput['components'][number];

/** Devices up, down and never reported: `/devices` bound to the `device_counts` query. */
export const deviceHealthStats: Component[] = [
  { id: 'up', component: 'Stat', label: 'devices up', value: { path: '/devices/up' }, tone: 'good', weight: 1 },
  { id: 'down', component: 'Stat', label: 'devices down', value: { path: '/devices/down' }, tone: 'bad', weight: 1 },
  { id: 'unknown', component: 'Stat', label: 'never reported', value: { path: '/devices/unknown' }, weight: 1 },
];

/** Deployments installing: `/deployments` bound to the `deployment_counts` query. */
export const installingStat: Component = {
  id: 'installing',
  component: 'Stat',
  label: 'installing',
  value: { path: '/deployments/installing' },
  tone: 'warn',
  weight: 1,
};
