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
  /** Radio region plan, e.g. AS923_1 (migration 0095). */
  region: Generated<string | null>;
  /** The LoRaWAN network server its gateways forward to (migration 0107). */
  network_server: Generated<string | null>;
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
  spec: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface ProductVersionsTable {
  product_code: string;
  version: string;
  firmware_baseline: string | null;
  released: ColumnType<string | null, string | null | undefined, string | null>;
  changes: ColumnType<string[], string | undefined, string>;
  bom: Json<Array<{ sku: string; qty: number; description?: string; unit_cost?: number }>>;
  datasheets: ColumnType<Array<{ title: string; file: string; sku?: string }>, string | undefined, string>;
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
  /** Free tags for alert rule selectors and routing (migration 0080). */
  tags: ColumnType<string[], string[] | undefined, string[]>;
  /** The names of its device_secrets, sorted (migration 0106): written with them, read by every device answer. */
  secrets_set: ColumnType<string[], string[] | undefined, string[]>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Write-only secrets (LoRaWAN app_key…): no route ever reads a value back; their names are devices.secrets_set. */
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

/** Rate-limit counters (rate-limit/store.ts): one fixed window per key, shared by the replicas. */
export interface RateLimitHitsTable {
  key: string;
  window_start: ColumnType<Date, Date | string, Date | string>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  hits: number;
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
  /**
   * The device's product when the transition was recorded, like site_id and customer_id, so its
   * uptime stays its product's after the device leaves the registry. Given on every insert; null
   * only on rows of devices already deleted when migration 0109 backfilled the column.
   */
  product_code: ColumnType<string | null, string, string | null>;
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
  /** Alertmanager-style labels and annotations (routing, grouping, silences, inhibition). */
  labels: ColumnType<Record<string, string>, string | undefined, string>;
  annotations: ColumnType<Record<string, string>, string | undefined, string>;
  fingerprint: string | null;
  /** Set on insert and on every state change (trigger): the dispatcher has something to do. */
  dispatch_pending: Generated<boolean>;
}

// --- Notifications (migration 0080) ----------------------------------------------------

export interface AlertRuleStatesTable {
  rule_id: string;
  subject_id: string;
  state: 'pending' | 'firing';
  since: Timestamp;
  value: number | null;
  alert_id: string | null;
  updated_at: Timestamp;
}

export interface NotificationGroupsTable {
  id: string;
  group_key: string;
  route_id: string;
  group_labels: ColumnType<Record<string, string>, string | undefined, string>;
  created_at: CreatedAt;
  cycle: Generated<number>;
  cycle_started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  step: Generated<number>;
  last_flush_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  last_sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  next_flush_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface NotificationGroupAlertsTable {
  group_id: string;
  alert_id: string;
  added_at: CreatedAt;
  told: ColumnType<string[], string[] | undefined, string[]>;
  resolved_sent: Generated<boolean>;
}

export type NotificationState = 'pending' | 'sending' | 'sent' | 'failed';

export interface NotificationsTable {
  id: string;
  group_id: string | null;
  contact_point: string;
  step: number;
  status: 'firing' | 'resolved';
  payload: Json<Record<string, unknown>>;
  state: Generated<NotificationState>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  idempotency_key: string;
  last_status: number | null;
  last_detail: string | null;
  created_at: CreatedAt;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  updated_at: Timestamp;
}

export interface NotificationAlertsTable {
  notification_id: string;
  alert_id: string;
}

export interface NotificationAttemptsTable {
  id: Generated<number>;
  notification_id: string;
  attempt: number;
  at: Timestamp;
  ok: boolean;
  status: number | null;
  detail: string | null;
  duration_ms: number;
  instance: string | null;
}

export interface ContactPointWindowsTable {
  contact_point: string;
  window_start: Timestamp;
  sent: number;
}

export interface SilencesTable {
  id: string;
  matchers: Json<string[]>;
  starts_at: Timestamp;
  ends_at: Timestamp;
  created_by: string;
  comment: string;
  customer_id: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface NotificationKeysTable {
  name: string;
  key: string;
  created_at: CreatedAt;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: Timestamp;
  acquired_at: Timestamp;
  /** When a holder last took or renewed it (migration 0110). */
  renewed_at: Timestamp;
  /** Since when holders have followed each other without a gap longer than the lease allows. */
  watching_since: Timestamp;
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
  /** A LoRaWAN device's command, as the ChirpStack downlink it was queued as (null otherwise). */
  downlink: ColumnType<CommandDownlink | null, string | null | undefined, string | null>;
}

export interface MqttIntegrationUsersTable {
  username: string;
  kind: 'chirpstack';
  password_hash: string;
  created_at: CreatedAt;
  created_by: string;
}

export interface CommandDownlink {
  queue_item_id: string;
  application_id: string;
  dev_eui: string;
  f_port: number;
  confirmed: boolean;
  /** base64 of the encoded bytes. */
  data: string;
  topic: string;
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
  /** Pick-ups after its runner stopped mid-run (migration 0075). */
  resumes: Generated<number>;
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
  /** Why a skipped step was skipped (migration 0096). */
  skip: Generated<unknown | null>;
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
  /** The work item the ticket opened (null for tickets older than work items). */
  work_item_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string;
  created_at: CreatedAt;
}

export interface AutomationRunRequestsTable {
  /** The customer of the token that sent the key; '' for an unscoped token. Keys are per tenant. */
  tenant: Generated<string>;
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
  /** The customer whose share of the slot was fired; '' = the whole fleet (an unscoped runner). */
  tenant: Generated<string>;
  fired_by: string;
  fired_at: CreatedAt;
  run_ids: ColumnType<string[], string | undefined, string>;
  skipped: ColumnType<Array<{ deployment_id: string; reason: string }>, string | undefined, string>;
}

export type WorkItemKindColumn = 'ticket' | 'task';
export type WorkItemStateColumn = 'open' | 'in_progress' | 'blocked' | 'done' | 'cancelled';
export type WorkItemPriorityColumn = 'urgent' | 'high' | 'normal' | 'low';
export type WorkItemOriginColumn = 'manual' | 'runbook' | 'automation' | 'alert';

export interface WorkItemsTable {
  id: string;
  kind: WorkItemKindColumn;
  title: string;
  description: string | null;
  state: WorkItemStateColumn;
  owner: string | null;
  /** A calendar date: pg returns DATE as text (see db/index.ts), written as YYYY-MM-DD. */
  due: ColumnType<string | null, string | null | undefined, string | null>;
  priority: WorkItemPriorityColumn;
  origin: WorkItemOriginColumn;
  customer_id: string | null;
  site_id: string | null;
  deployment_id: string | null;
  device_id: string | null;
  alert_id: string | null;
  runbook_execution_id: string | null;
  runbook_item_id: string | null;
  automation_run_id: string | null;
  external_ref: ColumnType<
    { system: string; key: string | null; url: string | null } | null,
    string | null | undefined,
    string | null
  >;
  created_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  version: Generated<number>;
}

export interface WorkItemCommentsTable {
  id: Generated<number>;
  work_item_id: string;
  author: string;
  body: string;
  created_at: CreatedAt;
}

export interface WorkItemAttachmentsTable {
  id: string;
  work_item_id: string;
  kind: 'photo' | 'file';
  filename: string | null;
  content_type: string;
  size: ColumnType<number, number, number>;
  sha256: string;
  blob_path: string;
  added_by: string;
  added_at: CreatedAt;
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
  rate_limit_hits: RateLimitHitsTable;
  device_credentials: DeviceCredentialsTable;
  device_health_events: DeviceHealthEventsTable;
  alerts: AlertsTable;
  leases: LeasesTable;
  commands: CommandsTable;
  mqtt_integration_users: MqttIntegrationUsersTable;
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
  alert_rule_states: AlertRuleStatesTable;
  notification_groups: NotificationGroupsTable;
  notification_group_alerts: NotificationGroupAlertsTable;
  notifications: NotificationsTable;
  notification_alerts: NotificationAlertsTable;
  notification_attempts: NotificationAttemptsTable;
  contact_point_windows: ContactPointWindowsTable;
  silences: SilencesTable;
  notification_keys: NotificationKeysTable;
  work_items: WorkItemsTable;
  work_item_comments: WorkItemCommentsTable;
  work_item_attachments: WorkItemAttachmentsTable;
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
