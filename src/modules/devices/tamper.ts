/**
 * The tamper latch of doorbells and access controllers: a tamper alarm (case opened) turns it on
 * and it stays on, across restarts, until the device reports the tamper restored or the user
 * resets it. A pulse that nobody saw must not vanish: that is the point of a latch.
 */
import type { Bus } from '../../core/bus.ts';
import type { GatewayEvent } from '../../core/events.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/types.ts';

/** Settings key: `{deviceId: since}` of the latched devices. */
const LATCHED_KEY = 'devices.tamperLatched';

export interface TamperState {
  latched: boolean;
  /** When the alarm that latched it arrived (ISO 8601), while latched. */
  since: string | null;
}

export class TamperLatch {
  private latched: Record<string, string> = {};
  private unsubscribe: (() => void) | undefined;
  /** Store writes in order, so a reset never lands before the alarm it resets. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.latched = (await this.store.settings.get<Record<string, string>>(LATCHED_KEY)) ?? {};
    this.unsubscribe = this.bus.on('event', (event) => this.onEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.writes;
  }

  state(deviceId: string): TamperState {
    const since = this.latched[deviceId] ?? null;
    return { latched: since !== null, since };
  }

  /** The user has looked at the device: the latch goes off until the next alarm. */
  async reset(deviceId: string): Promise<TamperState> {
    await this.set(deviceId, null, 'reset');
    return this.state(deviceId);
  }

  /** A device removed: its latch goes with it. */
  async forget(deviceId: string): Promise<void> {
    if (this.latched[deviceId] !== undefined) await this.set(deviceId, null, 'removed');
  }

  private onEvent(event: GatewayEvent): void {
    if (event.kind === 'access-tamper' && !this.latched[event.deviceId]) {
      void this.set(event.deviceId, event.receivedAt, 'alarm');
    } else if (event.kind === 'access-tamper-restored' && this.latched[event.deviceId]) {
      void this.set(event.deviceId, null, 'restored');
    }
  }

  private set(deviceId: string, since: string | null, reason: 'alarm' | 'restored' | 'reset' | 'removed') {
    if (since === null) delete this.latched[deviceId];
    else this.latched[deviceId] = since;
    const snapshot = { ...this.latched };
    const write = this.writes.then(() => this.store.settings.set(LATCHED_KEY, snapshot));
    this.writes = write.catch((error) =>
      this.logger.error({ err: error, deviceId }, 'could not save the tamper latch'),
    );
    this.logger.info({ deviceId, latched: since !== null, reason }, 'tamper latch changed');
    this.bus.emit('tamper.changed', { deviceId, latched: since !== null, reason });
    return write;
  }
}
