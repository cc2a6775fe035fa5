import type { Migration } from 'kysely';
import * as m0001 from './0001_registry.ts';
import * as m0002 from './0002_auth_changes.ts';
import * as m0003 from './0003_registry_tenancy.ts';
import * as m0020 from './0020_stations.ts';

/**
 * Every migration, by sortable name. A static map rather than a folder scan, so the
 * set is explicit and survives bundling. Add new files here in order.
 */
export const migrations: Record<string, Migration> = {
  '0001_registry': m0001,
  '0002_auth_changes': m0002,
  '0003_registry_tenancy': m0003,
  '0020_stations': m0020,
};
