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
import * as m0070 from './0070_product_library.ts';
import * as m0071 from './0071_automation_tenant_keys.ts';
import * as m0075 from './0075_automation_run_resumes.ts';
import * as m0080 from './0080_notifications.ts';
import * as m0090 from './0090_work_items.ts';
import * as m0091 from './0091_automation_ticket_work_items.ts';
import * as m0095 from './0095_site_region.ts';
import * as m0096 from './0096_timeline_skip.ts';
import * as m0100 from './0100_chirpstack_downlinks.ts';
import * as m0101 from './0101_mqtt_integration_users.ts';
import * as m0105 from './0105_rate_limits.ts';
import * as m0106 from './0106_device_secrets_set.ts';
import * as m0107 from './0107_site_network_server.ts';
import * as m0108 from './0108_alerts_opened_at.ts';
import * as m0109 from './0109_health_event_product.ts';
import * as m0110 from './0110_lease_watching.ts';

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
  '0070_product_library': m0070,
  '0071_automation_tenant_keys': m0071,
  '0075_automation_run_resumes': m0075,
  '0080_notifications': m0080,
  '0090_work_items': m0090,
  '0091_automation_ticket_work_items': m0091,
  '0095_site_region': m0095,
  '0096_timeline_skip': m0096,
  '0100_chirpstack_downlinks': m0100,
  '0101_mqtt_integration_users': m0101,
  '0105_rate_limits': m0105,
  '0106_device_secrets_set': m0106,
  '0107_site_network_server': m0107,
  '0108_alerts_opened_at': m0108,
  '0109_health_event_product': m0109,
  '0110_lease_watching': m0110,
};
