import type { SurfaceDefinitionInput } from '../src/contracts/surfaces.ts';
import { deviceHealthStats, installingStat } from './parts.ts';

/** One site for the people at it or responsible for it: devices, deployments, alerts. */
export const siteStatus: SurfaceDefinitionInput = {
  title: 'Site status',
  description: 'One site: device health, deployments by state, the devices that need attention and its open alerts.',
  params: {
    site: {
      description: 'the site id, e.g. site_farm-north',
      pattern: '^site_[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
      entity: 'site',
    },
  },
  components: [
    {
      id: 'root',
      component: 'Column',
      children: [
        'name',
        'customer',
        'devicesRow',
        'deploymentsRow',
        'devicesTitle',
        'devices',
        'alertsTitle',
        'alerts',
      ],
    },
    { id: 'name', component: 'Text', variant: 'h3', text: { path: '/site/name' } },
    { id: 'customer', component: 'Text', variant: 'caption', text: { path: '/site/customer_name' } },
    { id: 'devicesRow', component: 'Row', children: ['up', 'down', 'unknown'] },
    ...deviceHealthStats,
    { id: 'deploymentsRow', component: 'Row', children: ['planned', 'installing', 'live', 'paused'] },
    { id: 'planned', component: 'Stat', label: 'planned', value: { path: '/deployments/planned' }, weight: 1 },
    installingStat,
    { id: 'live', component: 'Stat', label: 'live', value: { path: '/deployments/live' }, tone: 'good', weight: 1 },
    { id: 'paused', component: 'Stat', label: 'paused', value: { path: '/deployments/paused' }, weight: 1 },
    { id: 'devicesTitle', component: 'Text', variant: 'h4', text: 'Devices needing attention first' },
    {
      id: 'devices',
      component: 'DeviceTable',
      rows: { path: '/device_list' },
      title: 'Devices needing attention first',
    },
    { id: 'alertsTitle', component: 'Text', variant: 'h4', text: 'Alerts' },
    { id: 'alerts', component: 'AlertList', alerts: { path: '/alerts' }, canAct: true },
  ],
  queries: {
    '/site': { query: 'site', args: { site_id: { param: 'site' } } },
    '/devices': { query: 'device_counts', args: { site_id: { param: 'site' } } },
    '/deployments': { query: 'deployment_counts', args: { site_id: { param: 'site' } } },
    '/device_list': { query: 'devices', args: { site_id: { param: 'site' }, limit: 15 } },
    '/alerts': { query: 'alerts', args: { site_id: { param: 'site' }, limit: 10 } },
  },
  topics: ['device', 'site', 'deployment', 'alert'],
  actions: ['refresh', 'acknowledge_alert', 'resolve_alert'],
};
