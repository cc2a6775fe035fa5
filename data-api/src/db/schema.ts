import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The one `Database` interface: table name → row type. Migrations never import it
 * (they are frozen in time and take `Kysely<any>`); everything else does.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** JSON columns are written as JSON text (see `json()`), read back as values. */
type Json<T = unknown> = ColumnType<T, string, string>;

export interface CustomersTable {
  id: string;
  name: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface SitesTable {
  id: string;
  customer_id: string;
  name: string;
  timezone: string;
  lat: number | null;
  lon: number | null;
  lan_notes: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ProductsTable {
  code: string;
  name: string;
  category: string;
  summary: string | null;
  source_path: string;
  loaded_at: Timestamp;
}

export interface ProductVersionsTable {
  product_code: string;
  version: string;
  firmware_baseline: string | null;
  bom: Json<Array<{ sku: string; qty: number; description?: string }>>;
  default_runbooks: Json<string[]>;
}

export type DeploymentState = 'planned' | 'installing' | 'live' | 'paused' | 'retired';

export interface DeploymentsTable {
  id: string;
  site_id: string;
  customer_id: string;
  name: string | null;
  product_code: string;
  product_version: string;
  state: DeploymentState;
  planned_date: string | null;
  started_date: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export type DeviceRole = 'gateway' | 'sensor' | 'station' | 'controller';
export type DeviceStatus = 'up' | 'down' | 'unknown';

export interface DevicesTable {
  id: string;
  deployment_id: string | null;
  site_id: string | null;
  customer_id: string | null;
  product_code: string;
  product_version: string | null;
  role: DeviceRole;
  serial: string | null;
  name: string | null;
  desired_state: Json<Record<string, unknown>>;
  desired_version: Generated<number>;
  observed_state: Json<Record<string, unknown>>;
  /** Denormalised from observed_state.status so lists can filter and index on it. */
  status: Generated<DeviceStatus>;
  last_seen: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  external_refs: Json<Record<string, unknown>>;
  heartbeat_interval_s: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Write-only secrets (LoRaWAN app_key…): no route ever selects from this table. */
export interface DeviceSecretsTable {
  device_id: string;
  name: string;
  value: string;
  updated_at: Timestamp;
}

export type InventoryState = 'in_stock' | 'allocated' | 'installed' | 'rma';

export interface InventoryItemsTable {
  id: string;
  sku: string;
  serial: string | null;
  state: InventoryState;
  deployment_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: CreatedAt;
  actor: string;
  action: string;
  entity: string;
  entity_id: string;
  customer_id: string | null;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

export type TokenRole = 'viewer' | 'operator' | 'automation' | 'admin' | 'station';

export interface ApiTokensTable {
  id: string;
  name: string;
  role: TokenRole;
  customer_id: string | null;
  station_id: string | null;
  prefix: string;
  secret_hash: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface ChangeEventsTable {
  id: Generated<number>;
  at: CreatedAt;
  type: string;
  subject_type: string;
  subject_id: string;
  customer_id: string | null;
  site_id: string | null;
  payload: Json<Record<string, unknown>>;
}

// --- RFID stations (claims, mapping, events, bundles) -------------------------------

export interface StationClaimsTable {
  mac: string;
  code_hash: string;
  customer_id: string | null;
  site_id: string | null;
  line: string | null;
  name: string | null;
  station_id: string | null;
  created_by: string;
  created_at: CreatedAt;
  claimed_at: Date | null;
  claim_count: Generated<number>;
}

export interface StationsTable {
  device_id: string;
  mac: string | null;
  line: string | null;
  claimed_at: Date | null;
  mapped_at: Date | null;
  mapped_by: string | null;
  updated_at: Timestamp;
}

export interface StationEventsTable {
  event_id: string;
  station_id: string;
  customer_id: string | null;
  site_id: string | null;
  line: string | null;
  type: string;
  tag_id: string | null;
  bundle_id: string | null;
  ts: ColumnType<Date, Date | string, Date | string>;
  received_at: ColumnType<Date, Date | string | undefined, never>;
  antenna: number | null;
  rssi: number | null;
}

export interface BundlesTable {
  id: string;
  last_station_id: string;
  last_seen: ColumnType<Date, Date | string, Date | string>;
  last_event_id: string;
  last_event_type: string;
  customer_id: string | null;
  site_id: string | null;
  line: string | null;
  updated_at: Timestamp;
}

export interface Database {
  customers: CustomersTable;
  sites: SitesTable;
  products: ProductsTable;
  product_versions: ProductVersionsTable;
  deployments: DeploymentsTable;
  devices: DevicesTable;
  device_secrets: DeviceSecretsTable;
  inventory_items: InventoryItemsTable;
  audit_log: AuditLogTable;
  api_tokens: ApiTokensTable;
  change_events: ChangeEventsTable;
  station_claims: StationClaimsTable;
  stations: StationsTable;
  station_events: StationEventsTable;
  bundles: BundlesTable;
}

export type Customer = Selectable<CustomersTable>;
export type NewCustomer = Insertable<CustomersTable>;
export type CustomerUpdate = Updateable<CustomersTable>;
export type Site = Selectable<SitesTable>;
export type Deployment = Selectable<DeploymentsTable>;
export type Device = Selectable<DevicesTable>;
export type InventoryItem = Selectable<InventoryItemsTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type ChangeEvent = Selectable<ChangeEventsTable>;

/** JSON columns take JSON text: pg would turn a JS array into a PostgreSQL array otherwise. */
export const json = (value: unknown): string => JSON.stringify(value ?? null);
