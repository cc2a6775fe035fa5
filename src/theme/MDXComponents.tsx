// Every MDX page can use the widgets without importing them: `<DeviceTable site="…" />`.
// Besides saving a line, it keeps the build fast: a widgets import in each of 1,000 pages cost
// the site build ~13 ms CPU per page (bench/page.ts), provided here once for all pages.
// An explicit `import { DeviceTable } from '../widgets/index.ts'` still works.
import React, { type ComponentProps } from 'react';
import MDXComponents from '@theme-original/MDXComponents';
import {
  AlertList,
  AlertRules,
  AlertStats,
  ApiStatus,
  Silences,
  DeploymentBoard,
  DeviceCommands,
  DeviceHealth,
  DeviceTable,
  FleetHealth,
  RunTimeline,
  Surface,
  TelemetryChart,
} from '../widgets/index.ts';
import { DeviceUnderTest, FirmwareDrift, RunSpec, WorkBoard } from '../widgets/index.ts';
import { ProductSheet } from '../components/ProductSheet/index.tsx';
import { Icon } from '../components/Icon/index.tsx';
import { ExecutionList, MyOnboarding, TutorialTrack } from '../runbook/index.tsx';

/**
 * A markdown table scrolls inside its own frame on a phone (custom.css), and a frame that scrolls
 * must be reachable by keyboard (axe scrollable-region-focusable): a tab stop, as the theme gives
 * its code blocks.
 */
function Table(props: ComponentProps<'table'>) {
  return <table tabIndex={0} {...props} />;
}

export default {
  ...MDXComponents,
  table: Table,
  AlertList,
  AlertRules,
  AlertStats,
  Silences,
  ApiStatus,
  DeploymentBoard,
  DeviceCommands,
  DeviceHealth,
  DeviceTable,
  FleetHealth,
  RunTimeline,
  RunSpec,
  Surface,
  TelemetryChart,
  DeviceUnderTest,
  FirmwareDrift,
  WorkBoard,
  ProductSheet,
  Icon,
  ExecutionList,
  MyOnboarding,
  TutorialTrack,
};
