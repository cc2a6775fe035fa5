// The widgets of MDX pages. Every page has them without an import (src/theme/MDXComponents.tsx);
// `import { DeviceTable } from './index.ts';` works too.
//
// Each live widget is exported as an island (./island.tsx): a placeholder in the static HTML,
// the widget itself loaded as its own chunk in the browser. Import a widget's folder directly
// (`@site/src/widgets/DeviceTable`) to bundle it into the page instead.
import { island } from './island.tsx';
import type { AlertListProps } from './AlertList/index.tsx';
import type { AlertStatsProps } from './AlertStats/index.tsx';
import type { AlertRulesProps } from './AlertRules/index.tsx';
import type { SilencesProps } from './Silences/index.tsx';
import type { DeploymentBoardProps } from './DeploymentBoard/index.tsx';
import type { DeviceCommandsProps } from './DeviceCommands/index.tsx';
import type { DeviceHealthProps } from './DeviceHealth/index.tsx';
import type { DeviceTableProps } from './DeviceTable/index.tsx';
import type { DeviceUnderTestProps } from './DeviceUnderTest/index.tsx';
import type { FirmwareDriftProps } from './FirmwareDrift/index.tsx';
import type { FleetHealthProps } from './FleetHealth/index.tsx';
import type { RunSpecProps } from './RunSpec/index.tsx';
import type { RunTimelineProps } from './RunTimeline/index.tsx';
import type { TelemetryChartProps } from './TelemetryChart/index.tsx';
import type { WorkBoardProps } from './WorkBoard/index.tsx';
import type { SurfaceProps } from '../surface/index.tsx';

export { ApiStatus } from './ApiStatus/index.tsx';
export const DeviceTable = island<DeviceTableProps>(
  'DeviceTable',
  'device-table',
  () => import('./DeviceTable/index.tsx'),
);
export const DeviceHealth = island<DeviceHealthProps>(
  'DeviceHealth',
  'device-health',
  () => import('./DeviceHealth/index.tsx'),
);
export const DeviceCommands = island<DeviceCommandsProps>(
  'DeviceCommands',
  'device-commands',
  () => import('./DeviceCommands/index.tsx'),
);
export const FleetHealth = island<FleetHealthProps>(
  'FleetHealth',
  'fleet-health',
  () => import('./FleetHealth/index.tsx'),
);
export const TelemetryChart = island<TelemetryChartProps>(
  'TelemetryChart',
  'telemetry-chart',
  () => import('./TelemetryChart/index.tsx'),
);
export const AlertList = island<AlertListProps>('AlertList', 'alert-list', () => import('./AlertList/index.tsx'));
export const AlertStats = island<AlertStatsProps>('AlertStats', 'alert-stats', () => import('./AlertStats/index.tsx'));
export const AlertRules = island<AlertRulesProps>('AlertRules', 'alert-rules', () => import('./AlertRules/index.tsx'));
export const Silences = island<SilencesProps>('Silences', 'silences', () => import('./Silences/index.tsx'));
export const RunTimeline = island<RunTimelineProps>(
  'RunTimeline',
  'run-timeline',
  () => import('./RunTimeline/index.tsx'),
);
export const RunSpec = island<RunSpecProps>('RunSpec', 'run-spec', () => import('./RunSpec/index.tsx'));
export const DeploymentBoard = island<DeploymentBoardProps>(
  'DeploymentBoard',
  'deployment-board',
  () => import('./DeploymentBoard/index.tsx'),
);
export const FirmwareDrift = island<FirmwareDriftProps>(
  'FirmwareDrift',
  'firmware-drift',
  () => import('./FirmwareDrift/index.tsx'),
);
export const DeviceUnderTest = island<DeviceUnderTestProps>(
  'DeviceUnderTest',
  'device-under-test',
  () => import('./DeviceUnderTest/index.tsx'),
);
export const WorkBoard = island<WorkBoardProps>('WorkBoard', 'work-board', () => import('./WorkBoard/index.tsx'));
export const Surface = island<SurfaceProps>(
  'Surface',
  (p) => `surface-${p.name}`,
  () => import('../surface/index.tsx'),
  (p) => `Surface ${p.name}`,
);
export type {
  AlertListProps,
  AlertRulesProps,
  AlertStatsProps,
  SilencesProps,
  DeploymentBoardProps,
  DeviceCommandsProps,
  DeviceHealthProps,
  DeviceTableProps,
  DeviceUnderTestProps,
  FirmwareDriftProps,
  FleetHealthProps,
  RunSpecProps,
  RunTimelineProps,
  SurfaceProps,
  TelemetryChartProps,
  WorkBoardProps,
};
