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

// --- telemetry and health (ingest, monitor, alerts, commands) -------------------------

export interface TelemetryTable {
  device_id: string;
  msg_id: string;
  ts: ColumnType<Date, Date | string, Date | string>;
  received_at: ColumnType<Date, Date | string | undefined, never>;
  status: string | null;
  metrics: Json<Record<string, number>>;
}

export interface TelemetryRollupTable {
  device_id: string;
  metric: string;
  bucket: ColumnType<Date, Date | string, Date | string>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface TelemetryRollupStateTable {
  name: string;
  watermark: Timestamp;
  updated_at: Timestamp;
}

export interface DeadLettersTable {
  id: Generated<number>;
  received_at: CreatedAt;
  reason: string;
  topic: string;
  site_id: string | null;
  device_id: string | null;
  customer_id: string | null;
  detail: string | null;
  payload: string;
  payload_encoding: 'utf8' | 'base64';
  payload_bytes: number;
  truncated: Generated<boolean>;
}

export interface DeviceCredentialsTable {
  device_id: string;
  password_hash: string;
  created_at: CreatedAt;
  created_by: string;
}

export interface DeviceHealthEventsTable {
  id: Generated<number>;
  device_id: string;
  site_id: string | null;
  customer_id: string | null;
  status: 'up' | 'down';
  at: ColumnType<Date, Date | string, Date | string>;
}

export type AlertState = 'open' | 'acknowledged' | 'resolved';
export type AlertSeverity = 'critical' | 'warning' | 'info';

export interface AlertsTable {
  id: string;
  rule_id: string;
  subject_type: string;
  subject_id: string;
  customer_id: string | null;
  site_id: string | null;
  severity: AlertSeverity;
  state: Generated<AlertState>;
  title: string;
  details: Json<Record<string, unknown>>;
  dedupe_key: string;
  escalation_level: Generated<number>;
  opened_at: Timestamp;
  acked_at: Date | null;
  acked_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  updated_at: Timestamp;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: Timestamp;
  acquired_at: Timestamp;
}

export type CommandStatus = 'pending' | 'sent' | 'accepted' | 'done' | 'failed' | 'expired';

export interface CommandsTable {
  id: string;
  device_id: string;
  site_id: string;
  customer_id: string | null;
  action: string;
  params: Json<Record<string, unknown>>;
  status: Generated<CommandStatus>;
  detail: string | null;
  created_by: string;
  created_at: CreatedAt;
  sent_at: Date | null;
  expires_at: Timestamp;
  result_at: Date | null;
  updated_at: Timestamp;
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

// --- runbook executions and tutorial progress (runbooks area) -----------------------

export type ExecutionStateColumn = 'in_progress' | 'blocked' | 'done' | 'abandoned';

export interface RunbookExecutionsTable {
  id: string;
  runbook_id: string;
  runbook_version: number;
  runbook_title: string;
  runbook_kind: string;
  runbook_url: string | null;
  snapshot: Json<unknown>;
  deployment_id: string;
  site_id: string;
  customer_id: string;
  state: ColumnType<ExecutionStateColumn, ExecutionStateColumn | undefined, ExecutionStateColumn>;
  started_by: string;
  started_at: CreatedAt;
  finished_by: string | null;
  finished_at: Date | null;
  abandon_reason: string | null;
  version: Generated<number>;
  updated_at: Timestamp;
}

export interface RunbookItemStatesTable {
  execution_id: string;
  item_id: string;
  gate_id: string;
  position: number;
  checked: Generated<boolean>;
  value: number | null;
  flagged: Generated<boolean>;
  note: string | null;
  by: string | null;
  at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  client_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  version: Generated<number>;
}

export interface RunbookGateSignoffsTable {
  execution_id: string;
  gate_id: string;
  by: string;
  role: string;
  note: string | null;
  at: CreatedAt;
}

export interface RunbookEvidenceTable {
  id: string;
  execution_id: string;
  gate_id: string;
  item_id: string;
  kind: 'photo' | 'file' | 'link';
  sha256: string | null;
  size: number | null;
  content_type: string | null;
  filename: string | null;
  blob_path: string | null;
  url: string | null;
  by: string;
  at: CreatedAt;
}

export interface RunbookExecutionEventsTable {
  id: Generated<number>;
  execution_id: string;
  action: string;
  gate_id: string | null;
  item_id: string | null;
  by: string;
  at: CreatedAt;
  client_at: ColumnType<Date | null, Date | string | null | undefined, never>;
  action_id: string | null;
  detail: Json<Record<string, unknown>>;
}

export interface RunbookLeadsTable {
  name: string;
  granted_by: string;
  granted_at: Timestamp;
}

export interface TutorialProgressTable {
  person: string;
  track: string;
  step: number;
  page_id: string;
  completed_at: CreatedAt;
}

// --- A2UI surfaces published at run time ---------------------------------------------

export interface SurfacesTable {
  name: string;
  definition: Json<Record<string, unknown>>;
  version: Generated<number>;
  created_by: string;
  updated_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

// --- automation runs (automation-runs area) ------------------------------------------

export type AutomationRunState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface AutomationRunsTable {
  id: string;
  project: string;
  deployment_id: string;
  site_id: string;
  customer_id: string;
  product_code: string;
  product_version: string;
  spec: Json<Record<string, unknown>>;
  spec_digest: string;
  spec_ref: string | null;
  source: 'runner' | 'queue' | 'schedule';
  schedule_id: string | null;
  fire_time: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  dry_run: Generated<boolean>;
  state: AutomationRunState;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  duration_ms: number | null;
  page_path: string | null;
  commit_sha: string | null;
  pushed: Generated<boolean>;
  claimed_by: string | null;
  claimed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  lease_s: number | null;
  lease_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  error: string | null;
  timeline_count: Generated<number>;
  updated_at: Timestamp;
}

export interface AutomationRunTimelineTable {
  run_id: string;
  seq: number;
  at: ColumnType<Date, Date | string, Date | string>;
  action_id: string | null;
  state: string;
  message: string;
  duration_ms: number;
  attempt: number | null;
}

export interface AutomationRunArtifactsTable {
  id: Generated<number>;
  run_id: string;
  name: string;
  action_id: string | null;
  path: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: CreatedAt;
}

export interface AutomationTicketsTable {
  id: string;
  run_id: string;
  deployment_id: string;
  customer_id: string;
  site_id: string;
  action_id: string;
  summary: string;
  severity: 'info' | 'warning' | 'critical';
  alert_id: string | null;
  created_by: string;
  created_at: CreatedAt;
}

export interface AutomationRunRequestsTable {
  key: string;
  run_id: string;
  op: string;
  request_sha256: string;
  status: number | null;
  response: Json<unknown> | null;
  actor: string;
  at: CreatedAt;
}

export interface AutomationScheduleFiresTable {
  schedule_id: string;
  fire_time: ColumnType<Date, Date | string, Date | string>;
  fired_by: string;
  fired_at: CreatedAt;
  run_ids: ColumnType<string[], string | undefined, string>;
  skipped: ColumnType<Array<{ deployment_id: string; reason: string }>, string | undefined, string>;
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
  telemetry: TelemetryTable;
  telemetry_1m: TelemetryRollupTable;
  telemetry_1h: TelemetryRollupTable;
  telemetry_rollup_state: TelemetryRollupStateTable;
  dead_letters: DeadLettersTable;
  device_credentials: DeviceCredentialsTable;
  device_health_events: DeviceHealthEventsTable;
  alerts: AlertsTable;
  leases: LeasesTable;
  commands: CommandsTable;
  station_claims: StationClaimsTable;
  stations: StationsTable;
  station_events: StationEventsTable;
  bundles: BundlesTable;
  runbook_executions: RunbookExecutionsTable;
  runbook_item_states: RunbookItemStatesTable;
  runbook_gate_signoffs: RunbookGateSignoffsTable;
  runbook_evidence: RunbookEvidenceTable;
  runbook_execution_events: RunbookExecutionEventsTable;
  runbook_leads: RunbookLeadsTable;
  tutorial_progress: TutorialProgressTable;
  surfaces: SurfacesTable;
  automation_runs: AutomationRunsTable;
  automation_run_timeline: AutomationRunTimelineTable;
  automation_run_artifacts: AutomationRunArtifactsTable;
  automation_tickets: AutomationTicketsTable;
  automation_run_requests: AutomationRunRequestsTable;
  automation_schedule_fires: AutomationScheduleFiresTable;
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
