// The widgets of MDX pages. Every page has them without an import (src/theme/MDXComponents.tsx);
// `import { DeviceTable } from '@site/src/widgets';` works too.
//
// Each live widget is exported as an island (./island.tsx): a placeholder in the static HTML,
// the widget itself loaded as its own chunk in the browser. Import a widget's folder directly
// (`@site/src/widgets/DeviceTable`) to bundle it into the page instead.
import { island } from './island';
import type { AlertListProps } from './AlertList';
import type { DeploymentBoardProps } from './DeploymentBoard';
import type { DeviceHealthProps } from './DeviceHealth';
import type { DeviceTableProps } from './DeviceTable';
import type { FleetHealthProps } from './FleetHealth';
import type { RunTimelineProps } from './RunTimeline';
import type { TelemetryChartProps } from './TelemetryChart';
import type { SurfaceProps } from '../surface';

export { ApiStatus } from './ApiStatus';
export const DeviceTable = island<DeviceTableProps>('DeviceTable', 'device-table', () => import('./DeviceTable'));
export const DeviceHealth = island<DeviceHealthProps>('DeviceHealth', 'device-health', () => import('./DeviceHealth'));
export const FleetHealth = island<FleetHealthProps>('FleetHealth', 'fleet-health', () => import('./FleetHealth'));
export const TelemetryChart = island<TelemetryChartProps>('TelemetryChart', 'telemetry-chart', () => import('./TelemetryChart'));
export const AlertList = island<AlertListProps>('AlertList', 'alert-list', () => import('./AlertList'));
export const RunTimeline = island<RunTimelineProps>('RunTimeline', 'run-timeline', () => import('./RunTimeline'));
export const DeploymentBoard = island<DeploymentBoardProps>('DeploymentBoard', 'deployment-board', () => import('./DeploymentBoard'));
export const Surface = island<SurfaceProps>('Surface', (p) => `surface-${p.name}`, () => import('../surface'), (p) => `Surface ${p.name}`);
export type { AlertListProps, DeploymentBoardProps, DeviceHealthProps, DeviceTableProps, FleetHealthProps, RunTimelineProps, SurfaceProps, TelemetryChartProps };
