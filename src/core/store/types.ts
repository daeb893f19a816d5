/**
 * The store's contract: records the modules read and write, and the repositories that hold
 * them. The store is the single owner of devices, channels and their child entities. Secrets
 * (device passwords, cloud secrets) are plain in these records and encrypted at rest by the
 * store; nothing outside the store sees ciphertext or the key.
 */
import type { DeviceKind } from '../../protocols/isapi/discovery.ts';

export type { DeviceKind };

export interface StreamRecord {
  /** ISAPI stream id ('101'). */
  id: string;
  streamNo: number;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  audioCodec: string | null;
}

export interface DeviceRecord {
  id: string;
  name: string;
  host: string;
  /** HTTP or HTTPS port of the device's web/ISAPI service. */
  port: number;
  https: boolean;
  username: string;
  /** Plain text in memory; encrypted at rest. Never returned by the API or logged. */
  password: string;
  /** Pinned SHA-256 certificate fingerprint (`AB:CD:...`), trust-on-first-use. */
  tlsFingerprint: string | null;
  insecureTls: boolean;
  /** Snapshot "HTTP port override" (seed setting): same host, another port. */
  httpPortOverride: number | null;
  /** Device-wide "Snapshot URL override"; channels may have their own. */
  snapshotUrlOverride: string | null;
  /** Only these channels become cameras (the seed's channel override); null = all. */
  channelOverride: number[] | null;
  /** Preferred stream number for live view and the API (1 main, 2 sub...); null = choose (H.264 first). */
  defaultStream: number | null;
  kind: DeviceKind;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  macAddress: string | null;
  rtspPort: number;
  twoWayAudio: { channelId: number; codec: string } | null;
  doors: number;
  alarmInputs: number;
  alarmOutputs: number;
  /** Version of the stored settings layout; migrated on load (see devices module). */
  settingsVersion: number;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ChannelRecord {
  id: string;
  deviceId: string;
  channelNo: number;
  name: string;
  /** `local` sensor/analog input, or `proxy` = IP camera behind an NVR/DVR. */
  source: 'local' | 'proxy';
  model: string | null;
  /** Picked by the user to appear as a camera (NVRs: all by default). */
  enabled: boolean;
  online: boolean;
  streams: StreamRecord[];
  snapshotUrlOverride: string | null;
  defaultStream: number | null;
  /**
   * The stream the live wall shows is pulled all the time, not on demand (instant start). The
   * store always answers it; optional so that code creating channels may leave it out (off).
   */
  keepWarm?: boolean;
  createdAt: string;
  updatedAt: string;
}

export type EntityKind = 'lock' | 'contact' | 'tamper' | 'doorbell' | 'alarm-input' | 'alarm-output';

/** Things that belong to a device besides cameras: door locks, door contacts, tamper... */
export interface EntityRecord {
  id: string;
  deviceId: string;
  kind: EntityKind;
  /** Stable per device, e.g. `door-1`, `tamper`. */
  key: string;
  name: string;
  attributes: Record<string, unknown>;
  /**
   * Switched on or off by the user (default on). An entity that is off is not in Home Assistant;
   * a tamper sensor that is off reports its alarms as motion. A re-probe of the device keeps it.
   */
  enabled: boolean;
  createdAt: string;
}

/** An entity as the device describes it; `enabled` is the user's and defaults to on. */
export type EntityInput = Omit<EntityRecord, 'id' | 'deviceId' | 'createdAt' | 'enabled'> & {
  enabled?: boolean;
};

export interface UserRecord {
  id: string;
  username: string;
  /** scrypt hash in `scrypt$N$r$p$salt$hash` form; never the password. */
  passwordHash: string;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  /** `api` tokens for programs (no expiry unless set), `session` tokens for the UI. */
  kind: 'api' | 'session';
  name: string;
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  tokenHash: string;
  userId: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

export type CloudQuality = 'main' | 'sub';

/**
 * - `pending`: imported, no live URL yet;
 * - `ok`: a live URL that has not expired;
 * - `offline`: the cloud says the camera or its device is offline (renewal backs off);
 * - `error`: the cloud refused its live URL (lastError says why and how to fix it);
 * - `removed`: gone from the cloud at the last sync (kept, disabled, until the user deletes it);
 * - `disabled`: the user turned it off.
 */
export type CloudCameraStatus = 'pending' | 'ok' | 'offline' | 'error' | 'removed' | 'disabled';

/** How the last sync of an account went. */
export interface CloudSyncOutcome {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  /** In words, when it failed (the last good camera list was kept). */
  error: string | null;
  devices: number;
  cameras: number;
  added: number;
  updated: number;
  removed: number;
  /** Cameras whose live URL could not be fetched. */
  failed: number;
  calls: number;
}

export interface CloudCameraRecord {
  id: string;
  accountId: string;
  deviceSerial: string;
  channelNo: number;
  /** The cloud's id of the camera, which the live-address call wants. */
  resourceId: string;
  name: string;
  online: boolean;
  enabled: boolean;
  status: CloudCameraStatus;
  lastError: string | null;
  /** Overrides the account's quality when set. */
  quality: CloudQuality | null;
  /** The RTMP live URL: its query is the key to the stream, so it is encrypted at rest. */
  url: string | null;
  urlExpiresAt: string | null;
  nextRenewalAt: string | null;
  /** Renewals failed in a row (offline cameras back off). */
  renewFailures: number;
  /** The device's verification code, for stream encryption; encrypted at rest. */
  streamCode: string | null;
  removedAt: string | null;
  /** Cloud facts worth showing: area, device name, category. */
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** What a sync learns of a camera from the cloud; upserting it keeps everything else. */
export type CloudCameraFacts = Pick<
  CloudCameraRecord,
  'accountId' | 'deviceSerial' | 'channelNo' | 'resourceId' | 'name' | 'online' | 'attributes'
>;

export interface CloudAccountRecord {
  id: string;
  name: string;
  /** Plain in memory, encrypted at rest (like the secret). */
  appKey: string;
  /** Plain in memory, encrypted at rest. */
  appSecret: string;
  /** The region's bootstrap address; empty = the configured default. */
  baseUrl: string;
  quality: CloudQuality;
  enabled: boolean;
  lastSync: CloudSyncOutcome | null;
  createdAt: string;
  updatedAt: string | null;
}

export interface EventRecord {
  id: string;
  deviceId: string;
  channelId: string | null;
  kind: string;
  state: 'start' | 'update' | 'end' | 'pulse';
  /** Device time, ISO with offset. */
  at: string;
  receivedAt: string;
  data: Record<string, unknown>;
}

export type Insert<T extends { id: string; createdAt: string }> = Omit<
  T,
  'id' | 'createdAt' | 'updatedAt'
> & {
  id?: string;
};
export type Patch<T> = Partial<Omit<T, 'id' | 'createdAt' | 'updatedAt'>>;

export interface DeviceRepository {
  list(): Promise<DeviceRecord[]>;
  get(id: string): Promise<DeviceRecord | undefined>;
  /** The device at this address (host compared case-insensitively), if any. */
  findByAddress(host: string, port: number): Promise<DeviceRecord | undefined>;
  findBySerial(serialNumber: string): Promise<DeviceRecord | undefined>;
  insert(device: Insert<DeviceRecord>): Promise<DeviceRecord>;
  update(id: string, patch: Patch<DeviceRecord>): Promise<DeviceRecord | undefined>;
  /** Deletes the device with its channels and entities. True when it existed. */
  delete(id: string): Promise<boolean>;
}

export interface ChannelRepository {
  list(): Promise<ChannelRecord[]>;
  listByDevice(deviceId: string): Promise<ChannelRecord[]>;
  get(id: string): Promise<ChannelRecord | undefined>;
  /**
   * Makes the device's channels exactly `channels` (matched by channelNo: ids, `enabled` and
   * overrides of kept channels survive; missing ones are deleted). Returns the result.
   */
  replaceForDevice(
    deviceId: string,
    channels: Array<Omit<ChannelRecord, 'id' | 'deviceId' | 'createdAt' | 'updatedAt'>>,
  ): Promise<ChannelRecord[]>;
  update(id: string, patch: Patch<ChannelRecord>): Promise<ChannelRecord | undefined>;
}

export interface EntityRepository {
  list(): Promise<EntityRecord[]>;
  listByDevice(deviceId: string): Promise<EntityRecord[]>;
  /** Same matching rule as channels, by `key`; kept entities keep their `enabled`. */
  replaceForDevice(deviceId: string, entities: EntityInput[]): Promise<EntityRecord[]>;
  /** Switches the device's entity `key` on or off; undefined when there is no such entity. */
  setEnabled(deviceId: string, key: string, enabled: boolean): Promise<EntityRecord | undefined>;
}

/** How a doorbell's calls reach us over SIP (see modules/doorbell). */
export type DoorbellSipMode = 'off' | 'client' | 'emulate';

/** "Emulate SIP proxy": hikbridge is the doorbell's SIP server (the plugin's settings). */
export interface DoorbellEmulateSettings {
  /** Our SIP port for this doorbell; null = the shared, automatically picked one. */
  port: number | null;
  /** Room number 1-9999 the doorbell's button calls. */
  roomNumber: number;
  /** Our phone number at the doorbell (the room's phone number record). */
  proxyNumber: string;
  /** The doorbell's own phone number (its SIP user). */
  doorbellNumber: string;
  /** Call button 1-99. */
  buttonNumber: number;
  /** Write the SIP server, phone number record and button into the doorbell over ISAPI. */
  autoConfigure: boolean;
  /** When set (with the record's password), the doorbell must register with digest credentials. */
  digestUsername: string | null;
}

/** "Connect to SIP proxy": hikbridge registers as a phone on the user's PBX. */
export interface DoorbellClientSettings {
  server: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Our phone number / SIP user on the PBX. */
  username: string;
  /** Digest user when it differs from the SIP user. */
  authUsername: string | null;
  /** SIP domain when it differs from the server's address. */
  domain: string | null;
  expiresSeconds: number;
  /** The doorbell's number on the PBX: when set, calls from any other number do not ring. */
  callerNumber?: string | null;
}

export interface DoorbellSipRecord {
  deviceId: string;
  mode: DoorbellSipMode;
  emulate: DoorbellEmulateSettings;
  client: DoorbellClientSettings | null;
  /** Client: the PBX password; emulate: the digest password. Plain in memory, encrypted at rest. */
  password: string | null;
  updatedAt: string;
}

export interface DoorbellSipRepository {
  get(deviceId: string): Promise<DoorbellSipRecord | undefined>;
  list(): Promise<DoorbellSipRecord[]>;
  /** Inserts or replaces the device's SIP settings (the device must exist). */
  put(record: Omit<DoorbellSipRecord, 'updatedAt'>): Promise<DoorbellSipRecord>;
  delete(deviceId: string): Promise<boolean>;
}

export interface SettingsRepository {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

export interface UserRepository {
  getByUsername(username: string): Promise<UserRecord | undefined>;
  get(id: string): Promise<UserRecord | undefined>;
  count(): Promise<number>;
  insert(user: Insert<UserRecord>): Promise<UserRecord>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Every user, oldest first. */
  list(): Promise<UserRecord[]>;
  /** The user whose name equals `username` ignoring case (names are unique that way). */
  findByUsernameIgnoringCase(username: string): Promise<UserRecord | undefined>;
  /** Removes the user with every token (sessions and API tokens) it owns, in one transaction. */
  delete(id: string): Promise<boolean>;
}

export interface TokenRepository {
  list(kind?: TokenRecord['kind']): Promise<TokenRecord[]>;
  findByHash(tokenHash: string): Promise<TokenRecord | undefined>;
  insert(token: Insert<TokenRecord>): Promise<TokenRecord>;
  touch(id: string, at: string): Promise<void>;
  delete(id: string): Promise<boolean>;
  deleteExpired(now: string): Promise<number>;
}

export interface CloudRepository {
  listAccounts(): Promise<CloudAccountRecord[]>;
  getAccount(id: string): Promise<CloudAccountRecord | undefined>;
  insertAccount(
    account: Omit<Insert<CloudAccountRecord>, 'baseUrl' | 'quality' | 'enabled' | 'lastSync'> &
      Partial<Pick<CloudAccountRecord, 'baseUrl' | 'quality' | 'enabled' | 'lastSync'>>,
  ): Promise<CloudAccountRecord>;
  updateAccount(id: string, patch: Patch<CloudAccountRecord>): Promise<CloudAccountRecord | undefined>;
  deleteAccount(id: string): Promise<boolean>;
  listCameras(accountId?: string): Promise<CloudCameraRecord[]>;
  getCamera(id: string): Promise<CloudCameraRecord | undefined>;
  /**
   * Matched on (account, serial, channel): a re-import keeps the camera's id, creation time, URL,
   * status and the user's choices, and brings a removed camera back.
   */
  upsertCamera(camera: CloudCameraFacts & { id?: string }): Promise<CloudCameraRecord>;
  updateCamera(id: string, patch: Patch<CloudCameraRecord>): Promise<CloudCameraRecord | undefined>;
  deleteCamera(id: string): Promise<boolean>;
}

export interface EventQuery {
  deviceId?: string;
  channelId?: string;
  kind?: string;
  /** ISO times, inclusive from, exclusive to (received time). */
  from?: string;
  to?: string;
  /** Page size (max 500) and the id to continue after (newest first). */
  limit?: number;
  before?: string;
}

export interface EventRepository {
  insert(event: EventRecord): Promise<void>;
  query(query: EventQuery): Promise<EventRecord[]>;
  /** Deletes events received before `olderThan` and beyond the newest `maxRows`. Returns the count. */
  prune(options: { olderThan?: string; maxRows?: number }): Promise<number>;
  get(id: string): Promise<EventRecord | undefined>;
  /**
   * Events strictly after `cursor` in (receivedAt, id) order, oldest first, at most `limit`
   * (capped at 1000): what a reconnecting event stream missed. The cursor need not be stored.
   */
  after(cursor: EventCursor, filter: EventListFilter, limit: number): Promise<EventRecord[]>;
}

/** A position in the event history: (received time, id), the order of query() and after(). */
export interface EventCursor {
  receivedAt: string;
  id: string;
}

/** Matches when every list given contains the event's value; absent or empty lists match all. */
export interface EventListFilter {
  deviceIds?: string[];
  channelIds?: string[];
  kinds?: string[];
}

/** One webhook delivery waiting in a subscription's queue. */
export interface WebhookQueueEntry {
  /** Position in the queue: larger is later, never reused. */
  seq: number;
  subscriptionId: string;
  eventId: string;
  /** The exact JSON body POSTed (and signed), identical on every attempt. */
  body: string;
  createdAt: string;
  /** Attempts started so far, this one included once claimed. */
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leasedUntil: string | null;
  lastError: string | null;
}

export interface WebhookQueueRepository {
  /** Appends in the order given; each entry gets a larger seq than every entry before it. */
  enqueue(
    entries: Array<{ subscriptionId: string; eventId: string; body: string }>,
    now: string,
  ): Promise<void>;
  /**
   * Leases the head (lowest seq) of the subscription's queue to `owner` until `leaseUntil` and
   * counts an attempt, when the head is due and nobody else holds a live lease on it. Only the
   * head is ever handed out, so a subscription is worked in order by one owner at a time.
   */
  claimHead(
    subscriptionId: string,
    owner: string,
    now: string,
    leaseUntil: string,
  ): Promise<WebhookQueueEntry | undefined>;
  /** The head of the queue without claiming it. */
  head(subscriptionId: string): Promise<WebhookQueueEntry | undefined>;
  /** Removes an entry (delivered, or given up on). True when it existed. */
  remove(seq: number): Promise<boolean>;
  /** Gives `owner`'s lease back with the next attempt scheduled. False when the lease was lost. */
  release(
    seq: number,
    owner: string,
    next: { nextAttemptAt: string; attempts: number; lastError: string | null },
  ): Promise<boolean>;
  /** Drops the subscription's entries created before `before`. Returns the count. */
  dropOlderThan(subscriptionId: string, before: string): Promise<number>;
  /** Drops the subscription's oldest entries beyond the newest `maxRows`. Returns the count. */
  trim(subscriptionId: string, maxRows: number): Promise<number>;
  /** The subscription's entries, oldest first. */
  list(subscriptionId: string, limit?: number): Promise<WebhookQueueEntry[]>;
  /** Every subscription id with entries, and how many. */
  counts(): Promise<Array<{ subscriptionId: string; count: number }>>;
  /** Drops a subscription's whole queue. Returns the count. */
  deleteSubscription(subscriptionId: string): Promise<number>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly devices: DeviceRepository;
  readonly channels: ChannelRepository;
  readonly entities: EntityRepository;
  readonly settings: SettingsRepository;
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly cloud: CloudRepository;
  readonly events: EventRepository;
  readonly webhooks: WebhookQueueRepository;
  readonly doorbellSip: DoorbellSipRepository;
  /** Runs `work` in one transaction on a store bound to it. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /** Flushes and closes connections (SQLite: WAL checkpoint). */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://...` / `postgresql://...`, or a SQLite file path / `sqlite:PATH`; `:memory:` for tests. */
  url: string;
  /** 32-byte key for AES-256-GCM encryption of secrets at rest. */
  secretKey: Buffer;
  /**
   * Errors that belong to no call (PostgreSQL: an idle pooled connection dropped, e.g. on a
   * server restart; the pool reconnects on the next query). Worth a log line; default: ignored.
   */
  onBackgroundError?: (error: Error) => void;
}
