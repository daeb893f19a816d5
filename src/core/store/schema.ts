/**
 * Row shapes as Kysely sees them. Column types differ by dialect, so the union types say what
 * a read can return; writes always go through codec.ts, which produces the dialect's form.
 */
import type { Generated } from 'kysely';

/** INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL. */
export type BoolColumn = number | boolean;
/** TEXT on SQLite (parsed by the codec), JSONB on PostgreSQL (parsed by pg). Written as JSON text. */
export type JsonColumn = unknown;
/** TEXT `toISOString()` on SQLite (sorts as time), TIMESTAMPTZ on PostgreSQL (read as Date). */
export type TimeColumn = string | Date;

export interface DevicesTable {
  id: string;
  name: string;
  host: string;
  port: number;
  https: BoolColumn;
  username: string;
  password_enc: string;
  tls_fingerprint: string | null;
  insecure_tls: BoolColumn;
  http_port_override: number | null;
  snapshot_url_override: string | null;
  channel_override: JsonColumn | null;
  default_stream: number | null;
  kind: string;
  model: string | null;
  serial_number: string | null;
  firmware_version: string | null;
  mac_address: string | null;
  rtsp_port: number;
  two_way_audio: JsonColumn | null;
  doors: number;
  alarm_inputs: number;
  alarm_outputs: number;
  settings_version: number;
  enabled: BoolColumn;
  created_at: TimeColumn;
  updated_at: TimeColumn;
}

export interface ChannelsTable {
  id: string;
  device_id: string;
  channel_no: number;
  name: string;
  source: string;
  model: string | null;
  enabled: BoolColumn;
  online: BoolColumn;
  streams: JsonColumn;
  snapshot_url_override: string | null;
  default_stream: number | null;
  keep_warm: BoolColumn;
  created_at: TimeColumn;
  updated_at: TimeColumn;
}

export interface EntitiesTable {
  id: string;
  device_id: string;
  kind: string;
  key: string;
  name: string;
  attributes: JsonColumn;
  enabled: BoolColumn;
  created_at: TimeColumn;
}

export interface SettingsTable {
  key: string;
  value: JsonColumn;
  updated_at: TimeColumn;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  created_at: TimeColumn;
}

export interface TokensTable {
  id: string;
  kind: string;
  name: string;
  token_hash: string;
  user_id: string | null;
  created_at: TimeColumn;
  last_used_at: TimeColumn | null;
  expires_at: TimeColumn | null;
}

export interface CloudAccountsTable {
  id: string;
  name: string;
  /** Encrypted, like the secret: the issue asks that neither ever shows. */
  app_key: string;
  app_secret_enc: string;
  base_url: string;
  quality: string;
  enabled: BoolColumn;
  last_sync: JsonColumn | null;
  created_at: TimeColumn;
  updated_at: TimeColumn | null;
}

export interface CloudCamerasTable {
  id: string;
  account_id: string;
  device_serial: string;
  channel_no: number;
  name: string;
  attributes: JsonColumn;
  resource_id: string;
  online: BoolColumn;
  enabled: BoolColumn;
  status: string;
  last_error: string | null;
  quality: string | null;
  url_enc: string | null;
  url_expires_at: TimeColumn | null;
  next_renewal_at: TimeColumn | null;
  renew_failures: number;
  stream_code_enc: string | null;
  removed_at: TimeColumn | null;
  created_at: TimeColumn;
  updated_at: TimeColumn;
}

export interface EventsTable {
  id: string;
  device_id: string;
  channel_id: string | null;
  kind: string;
  state: string;
  /** Device time kept verbatim as TEXT on both dialects: its UTC offset is information. */
  at: string;
  received_at: TimeColumn;
  data: JsonColumn;
}

/** Webhook deliveries waiting to be sent, per subscription in `seq` order (see repositories/webhooks.ts). */
export interface WebhookQueueTable {
  /** Monotonically increasing (SQLite AUTOINCREMENT, PostgreSQL bigserial: pg reads it as a string). */
  seq: Generated<number | string>;
  subscription_id: string;
  event_id: string;
  /** The exact JSON body that is POSTed and signed. */
  body: string;
  created_at: TimeColumn;
  attempts: number;
  next_attempt_at: TimeColumn;
  lease_owner: string | null;
  leased_until: TimeColumn | null;
  last_error: string | null;
}

export interface DoorbellSipTable {
  device_id: string;
  mode: string;
  emulate: JsonColumn;
  client: JsonColumn | null;
  password_enc: string | null;
  updated_at: TimeColumn;
}

export interface Database {
  devices: DevicesTable;
  channels: ChannelsTable;
  entities: EntitiesTable;
  settings: SettingsTable;
  users: UsersTable;
  tokens: TokensTable;
  cloud_accounts: CloudAccountsTable;
  cloud_cameras: CloudCamerasTable;
  events: EventsTable;
  webhook_queue: WebhookQueueTable;
  doorbell_sip: DoorbellSipTable;
}
