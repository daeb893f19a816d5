/**
 * Keeps every enabled device connected and knows its health: a light periodic check
 * (deviceInfo), exponential back-off with jitter while it is unreachable, and no login at all
 * while credentials are refused (see login-policy.ts). Other modules borrow the device's one
 * ISAPI client (and its snapshot fetcher), so the device's connection limit is shared, never
 * multiplied, and its login policy holds for all of them.
 */
import type { Bus, DeviceHealth } from '../../core/bus.ts';
import type { Logger } from '../../core/logger.ts';
import type { DeviceRecord, Store } from '../../core/store/types.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import type { SnapshotFetcher } from '../../protocols/isapi/snapshot.ts';
import { DeviceLink, type LinkSettings } from './device-link.ts';
import type { LoginBlock } from './login-policy.ts';

export interface SupervisorSettings extends LinkSettings {
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
      bus.on('device.rebooting', ({ deviceId, expectedBackBy }) =>
        this.links.get(deviceId)?.expectReboot(Date.parse(expectedBackBy)),
      ),
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

  /** Why logins to the device are on hold, if they are. */
  loginBlock(deviceId: string): LoginBlock | undefined {
    return this.links.get(deviceId)?.login.block;
  }

  /**
   * For a module about to (re)open a connection to the device (event stream, poller): resolves
   * true when it may go ahead, false when it should wait its back-off and ask again; waits while
   * logins are on hold. See DeviceLink.whenUsable.
   */
  whenUsable(deviceId: string, signal: AbortSignal): Promise<boolean> {
    return this.links.get(deviceId)?.whenUsable(signal) ?? Promise.resolve(false);
  }

  /** The device's event stream dropped: its health is checked at once. */
  streamLost(deviceId: string): void {
    this.links.get(deviceId)?.streamLost();
  }

  /** The device's event stream is open: it answers. */
  streamConnected(deviceId: string): void {
    this.links.get(deviceId)?.streamConnected();
  }

  /** Lifts a login hold at the user's request and tries once; undefined when not supervised. */
  async retryLogin(deviceId: string): Promise<DeviceHealth | undefined> {
    await this.pending.get(deviceId);
    return this.links.get(deviceId)?.retryLogin();
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
