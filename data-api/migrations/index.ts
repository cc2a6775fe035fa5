import type { Migration } from 'kysely';
import * as m0001 from './0001_registry.ts';
import * as m0002 from './0002_auth_changes.ts';
import * as m0003 from './0003_registry_tenancy.ts';
import * as m0010 from './0010_ingest_telemetry.ts';
import * as m0011 from './0011_health_alerts.ts';
import * as m0012 from './0012_commands.ts';
import * as m0020 from './0020_stations.ts';
import * as m0030 from './0030_surfaces.ts';
import * as m0040 from './0040_runbook_executions.ts';
import * as m0041 from './0041_tutorial_progress.ts';
import * as m0050 from './0050_automation_runs.ts';
import * as m0051 from './0051_automation_schedules.ts';

/**
 * Every migration, by sortable name. A static map rather than a folder scan, so the
 * set is explicit and survives bundling. Add new files here in order.
 */
export const migrations: Record<string, Migration> = {
  '0001_registry': m0001,
  '0002_auth_changes': m0002,
  '0003_registry_tenancy': m0003,
  '0010_ingest_telemetry': m0010,
  '0011_health_alerts': m0011,
  '0012_commands': m0012,
  '0020_stations': m0020,
  '0030_surfaces': m0030,
  '0040_runbook_executions': m0040,
  '0041_tutorial_progress': m0041,
  '0050_automation_runs': m0050,
  '0051_automation_schedules': m0051,
};
