// Every MDX page can use the widgets without importing them: `<DeviceTable site="…" />`.
// Besides saving a line, it keeps the build fast: a widgets import in each of 1,000 pages cost
// the site build ~13 ms CPU per page (bench/page.ts), provided here once for all pages.
// An explicit `import { DeviceTable } from '@site/src/widgets'` still works.
import MDXComponents from '@theme-original/MDXComponents';
import { AlertList, ApiStatus, DeploymentBoard, DeviceHealth, DeviceTable, FleetHealth, RunTimeline, Surface, TelemetryChart } from '@site/src/widgets';
import { ExecutionList, MyOnboarding, TutorialTrack } from '@site/src/runbook';

export default {
  ...MDXComponents,
  AlertList,
  ApiStatus,
  DeploymentBoard,
  DeviceHealth,
  DeviceTable,
  FleetHealth,
  RunTimeline,
  Surface,
  TelemetryChart,
  ExecutionList,
  MyOnboarding,
  TutorialTrack,
};
