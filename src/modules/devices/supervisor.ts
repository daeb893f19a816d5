/**
 * Keeps every enabled device connected and knows its health: a light periodic check
 * (deviceInfo), exponential back-off with jitter while it is unreachable, and no retries into a
 * lockout while credentials are refused. Other modules borrow the device's one ISAPI client
 * (and its snapshot fetcher), so the device's connection limit is shared, never multiplied.
 */
import type { Bus, DeviceHealth, DeviceState } from '../../core/bus.ts';
import type { Logger } from '../../core/logger.ts';
import type { DeviceRecord, Store } from '../../core/store/types.ts';
import { DeviceError, LockedOutError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { SnapshotFetcher } from '../../protocols/isapi/snapshot.ts';
import { text } from '../../protocols/isapi/xml.ts';
import { type ConnectSettings, createDeviceClient } from './connect.ts';

export interface SupervisorSettings extends ConnectSettings {
  checkIntervalMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** First checks started per second when many devices start at once (gateway start, bulk add). */
  startsPerSecond?: number;
}

export interface SupervisorDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  settings: SupervisorSettings;
}

const DEFAULT_STARTS_PER_SECOND = 200;

/** One supervised device: its client, snapshot fetcher, health and check timer. */
class DeviceLink {
  readonly client: IsapiClient;
  readonly snapshots: SnapshotFetcher;
  health: DeviceHealth;
  private failures = 0;
  /** The next periodic check is the first since coming online: spread it over a whole interval. */
  private spreadNext = true;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private markChecked!: () => void;
  /** Settles once the first check has finished, whatever its outcome, or the link stopped. */
  readonly checked = new Promise<void>((resolve) => {
    this.markChecked = resolve;
  });

  constructor(
    readonly device: DeviceRecord,
    private readonly deps: SupervisorDeps,
  ) {
    this.client = createDeviceClient(device, deps.settings);
    this.snapshots = new SnapshotFetcher(this.client, {
      credentials: { username: device.username, password: device.password },
    });
    this.health = newHealth(device.id, 'connecting');
  }

  start(delayMs: number): void {
    this.schedule(delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.markChecked();
    if (this.timer) clearTimeout(this.timer);
    await this.snapshots.close();
    await this.client.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), delayMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    try {
      await this.attemptCheck();
    } finally {
      this.markChecked();
    }
  }

  private async attemptCheck(): Promise<void> {
    try {
      const info = await this.client.getXml('/ISAPI/System/deviceInfo');
      if (this.stopped) return;
      const serial = text(info.node, 'serialNumber');
      if (this.device.serialNumber && serial && serial !== this.device.serialNumber) {
        this.fail(
          'offline',
          'wrong_device',
          `A different device answers at this address (serial ${serial}, expected ${this.device.serialNumber}).`,
        );
        return;
      }
      this.failures = 0;
      this.setHealth({
        state: 'online',
        lastError: null,
        lastErrorCode: null,
        lastSeen: now(),
        nextAttemptAt: null,
      });
      this.schedule(this.nextCheckDelay());
    } catch (error) {
      if (this.stopped) return;
      const code = error instanceof DeviceError ? error.code : 'internal';
      const message = error instanceof Error ? error.message : String(error);
      const authProblem = code === 'bad_credentials' || code === 'locked_out' || code === 'auth_unsupported';
      this.fail(authProblem ? 'auth-failed' : 'offline', code, message, error);
    }
  }

  private fail(state: DeviceState, code: string, message: string, error?: unknown): void {
    this.failures++;
    this.spreadNext = true;
    const delay = this.retryDelay(error);
    this.setHealth({
      state,
      lastError: message,
      lastErrorCode: code,
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
    });
    this.schedule(delay);
  }

  /**
   * Health checks of devices that came online together (a gateway start) would all fire in the
   * same instant every interval, and the burst shows as an event-latency spike. The first check
   * after going online lands anywhere in 0.5-1.5 intervals, later ones within ±10 %.
   */
  private nextCheckDelay(): number {
    const interval = this.deps.settings.checkIntervalMs;
    const spread = this.spreadNext ? 0.5 + Math.random() : 0.9 + Math.random() * 0.2;
    this.spreadNext = false;
    return Math.round(interval * spread);
  }

  /** Back-off with ±20 % jitter so many devices failing together do not retry in step. */
  private retryDelay(error: unknown): number {
    const { minBackoffMs, maxBackoffMs } = this.deps.settings;
    if (error instanceof LockedOutError && error.unlockInSeconds) {
      return Math.max(error.unlockInSeconds * 1000, minBackoffMs);
    }
    const base = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private setHealth(change: Partial<DeviceHealth>): void {
    const previous = this.health;
    const next = { ...previous, ...change };
    if (next.state !== previous.state) next.since = now();
    this.health = next;
    if (next.state !== previous.state || next.lastError !== previous.lastError) {
      const log = this.deps.logger;
      if (next.state === 'online') log.info({ deviceId: next.deviceId }, 'device online');
      else
        log.warn(
          { deviceId: next.deviceId, state: next.state, error: next.lastError },
          'device not available',
        );
      this.deps.bus.emit('device.health', next);
    }
  }
}

export class DeviceSupervisor {
  private readonly links = new Map<string, DeviceLink>();
  private readonly unsubscribe: Array<() => void> = [];
  /** Serialises reconnects per device so quick successive updates do not race. */
  private readonly pending = new Map<string, Promise<void>>();
  /** When the latest first check was scheduled to start (epoch ms), for pacing starts. */
  private lastStartAt = 0;

  constructor(private readonly deps: SupervisorDeps) {}

  async start(): Promise<void> {
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('device.added', ({ deviceId }) => this.enqueue(deviceId, () => this.connect(deviceId))),
      bus.on('device.updated', ({ deviceId, reconnect }) =>
        this.enqueue(deviceId, () => this.reconnect(deviceId, reconnect)),
      ),
      bus.on('device.removed', ({ deviceId }) => this.enqueue(deviceId, () => this.disconnect(deviceId))),
    );
    for (const device of await this.deps.store.devices.list()) this.link(device);
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await Promise.allSettled([...this.pending.values()]);
    await Promise.all([...this.links.values()].map((link) => link.stop()));
    this.links.clear();
  }

  health(deviceId: string): DeviceHealth | undefined {
    return this.links.get(deviceId)?.health;
  }

  allHealth(): DeviceHealth[] {
    return [...this.links.values()].map((link) => link.health);
  }

  /** The device's shared ISAPI client, while it is supervised. */
  client(deviceId: string): IsapiClient | undefined {
    return this.links.get(deviceId)?.client;
  }

  snapshots(deviceId: string): SnapshotFetcher | undefined {
    return this.links.get(deviceId)?.snapshots;
  }

  /**
   * Settles once the device's first check has finished, reachable or not. Other modules wait
   * for it before opening their own connections: by then the login challenge is cached (one
   * request instead of two), and they follow the paced start-up instead of all starting at once.
   */
  checked(deviceId: string): Promise<void> {
    return this.links.get(deviceId)?.checked ?? Promise.resolve();
  }

  /** Resolves once pending reconnects have been applied (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
  }

  private enqueue(deviceId: string, work: () => Promise<void>): void {
    const previous = this.pending.get(deviceId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error) => this.deps.logger.error({ deviceId, err: error }, 'device supervision failed'))
      .finally(() => {
        if (this.pending.get(deviceId) === next) this.pending.delete(deviceId);
      });
    this.pending.set(deviceId, next);
  }

  private async connect(deviceId: string): Promise<void> {
    const device = await this.deps.store.devices.get(deviceId);
    if (device) this.link(device);
  }

  private async reconnect(deviceId: string, rebuild: boolean): Promise<void> {
    const device = await this.deps.store.devices.get(deviceId);
    const link = this.links.get(deviceId);
    if (!rebuild && link && device && link.device.enabled === device.enabled) {
      // Names and overrides only: keep the connection, use the new record.
      Object.assign(link.device, device);
      return;
    }
    await this.disconnect(deviceId);
    if (device) this.link(device);
  }

  private async disconnect(deviceId: string): Promise<void> {
    const link = this.links.get(deviceId);
    this.links.delete(deviceId);
    await link?.stop();
  }

  private link(device: DeviceRecord): void {
    if (this.links.has(device.id)) return;
    const link = new DeviceLink(device, this.deps);
    this.links.set(device.id, link);
    if (device.enabled) link.start(this.startDelay());
    else link.health = newHealth(device.id, 'disabled');
  }

  /**
   * Spaces first checks `1 / startsPerSecond` apart: a gateway starting with 1000 devices would
   * otherwise open thousands of connections in the same instant, and the burst of half-finished
   * work inflates memory and delays events of the devices already connected.
   */
  private startDelay(): number {
    const now = Date.now();
    const perSecond = this.deps.settings.startsPerSecond ?? DEFAULT_STARTS_PER_SECOND;
    this.lastStartAt = Math.max(now, this.lastStartAt + 1000 / perSecond);
    return this.lastStartAt - now;
  }
}

function newHealth(deviceId: string, state: DeviceState): DeviceHealth {
  return {
    deviceId,
    state,
    lastError: null,
    lastErrorCode: null,
    lastSeen: null,
    since: now(),
    nextAttemptAt: null,
  };
}

function now(): string {
  return new Date().toISOString();
}
