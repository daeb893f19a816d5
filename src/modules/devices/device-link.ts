/**
 * One supervised device: its shared client and snapshot fetcher, its login policy, its health
 * and the check that keeps the health true. Besides its own timer, the check runs at once when
 * the event stream drops (a lost stream is the first sign of a device going away), and whoever
 * wants to talk to the device waits in `whenUsable` until a check has proved it is back: the
 * device answering at the address is the one added, and it takes our login.
 */
import type { Bus, DeviceHealth, DeviceState } from '../../core/bus.ts';
import type { Logger } from '../../core/logger.ts';
import type { DeviceRecord } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { SnapshotFetcher } from '../../protocols/isapi/snapshot.ts';
import { text } from '../../protocols/isapi/xml.ts';
import { type ConnectSettings, createDeviceClient } from './connect.ts';
import { type LoginBlock, LoginPolicy, retryHint } from './login-policy.ts';

export interface LinkSettings extends ConnectSettings {
  checkIntervalMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export interface LinkDeps {
  bus: Bus;
  logger: Logger;
  settings: LinkSettings;
}

export class DeviceLink {
  readonly client: IsapiClient;
  readonly snapshots: SnapshotFetcher;
  readonly login: LoginPolicy;
  health: DeviceHealth;
  private failures = 0;
  /** Until when (ms) the device is away because we asked it to reboot: no alarms, quick retries. */
  private rebootUntil = 0;
  /** The rebooting device has been seen away; its next answer means it is back. */
  private rebootSeenAway = false;
  /** The next periodic check is the first since coming online: spread it over a whole interval. */
  private spreadNext = true;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  /** The check under way, if any. */
  private running: Promise<void> | undefined;
  /**
   * A check found our device at the address, logged in, and the event stream has not dropped
   * since. Until then nothing but the check contacts the device (see whenUsable).
   */
  private verified = false;
  /** Called whenever a check ends or the link stops: waiters look again. */
  private readonly waiters = new Set<() => void>();
  private markChecked!: () => void;
  /** Settles once the first check has finished, whatever its outcome, or the link stopped. */
  readonly checked = new Promise<void>((resolve) => {
    this.markChecked = resolve;
  });

  constructor(
    readonly device: DeviceRecord,
    private readonly deps: LinkDeps,
  ) {
    this.login = new LoginPolicy(device.host, device.username);
    this.client = createDeviceClient(device, deps.settings, { login: this.login });
    this.snapshots = new SnapshotFetcher(this.client, {
      credentials: { username: device.username, password: device.password },
    });
    this.health = newHealth(device.id, device.enabled ? 'connecting' : 'disabled');
  }

  start(delayMs: number): void {
    this.schedule(delayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    this.markChecked();
    this.notify();
    if (this.timer) clearTimeout(this.timer);
    await this.snapshots.close();
    await this.client.close();
  }

  /**
   * Resolves true when the device may be contacted now, false when the caller should wait its
   * own back-off and ask again (the device is unreachable, or another answers at its address).
   * While logins are on hold it waits, without a timer of its own, until a check may run again.
   */
  async whenUsable(signal: AbortSignal): Promise<boolean> {
    if (this.verified && !this.stopped && !signal.aborted) return true; // the usual case, kept cheap
    await this.until(this.checked, signal);
    for (;;) {
      if (this.stopped || signal.aborted) return false;
      if (this.verified) return true;
      if (!this.login.mayTryNow()) {
        await this.until(this.nextChange(), signal);
        continue;
      }
      await this.until(this.checkNow(), signal);
      // Refused just now: wait for the user (or the lock's end) like above.
      if (!this.login.mayTryNow()) continue;
      return this.verified && !this.stopped && !signal.aborted;
    }
  }

  /**
   * The event stream dropped: find out at once whether the device is still there, with a fresh
   * login challenge (it may have rebooted, or another device may answer at its address now).
   */
  streamLost(): void {
    this.verified = false;
    this.forgetChallenge();
    void this.checkNow();
  }

  /** The event stream is open again: the device answers and takes our login. */
  streamConnected(): void {
    if (this.verified) this.setHealth({ lastSeen: now() });
  }

  /** The user fixed the credentials on the device: one login now (after a lock the device still holds). */
  async retryLogin(): Promise<DeviceHealth> {
    this.login.reset();
    this.failures = 0;
    const block = this.login.block;
    if (block) {
      this.authFailed(block);
      return this.health;
    }
    await this.checkNow();
    return this.health;
  }

  /** Runs a check now unless one is running (joined) or logins are on hold. */
  checkNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) return this.running;
    if (!this.login.mayTryNow()) {
      this.keepTryAfterLock();
      return Promise.resolve();
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = this.attemptCheck().finally(() => {
      this.running = undefined;
      this.markChecked();
      this.notify();
    });
    return this.running;
  }

  /**
   * The one try after a device's lock must not be lost. A timer set during a long event-loop turn
   * fires early by wall clock (Node counts from the turn's start), and the lock is judged by
   * wall clock: such a timer found the lock still on and nothing was ever tried again (seen on a
   * loaded machine). So a check that comes too early sets the timer again for the lock's end.
   */
  private keepTryAfterLock(): void {
    const block = this.login.block;
    if (!block?.retryAfterLock || block.lockedUntil === undefined) return;
    this.schedule(Math.max(1, block.lockedUntil - Date.now() + 1));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.checkNow(), delayMs);
    this.timer.unref();
  }

  private async attemptCheck(): Promise<void> {
    if (this.login.takeClientReset()) this.client.http.resetAuth();
    try {
      const info = await this.client.getXml('/ISAPI/System/deviceInfo');
      if (this.stopped) return;
      this.login.accepted();
      const serial = text(info.node, 'serialNumber');
      if (this.device.serialNumber && serial && serial !== this.device.serialNumber) {
        this.verified = false;
        this.forgetChallenge();
        this.fail(
          'offline',
          'wrong_device',
          `A different device answers at this address (serial ${serial}, expected ${this.device.serialNumber}).`,
        );
        return;
      }
      this.verified = true;
      this.failures = 0;
      // Still up right after the request, it goes down in a moment: the window stays until then.
      if (this.rebootSeenAway) this.rebootUntil = 0;
      this.setHealth({
        state: 'online',
        lastError: null,
        lastErrorCode: null,
        lastSeen: now(),
        nextAttemptAt: null,
      });
      // Asked to reboot and not gone yet: look again soon, to see it go and come back.
      this.schedule(this.rebooting ? this.deps.settings.minBackoffMs : this.nextCheckDelay());
    } catch (error) {
      if (this.stopped) return;
      this.verified = false;
      const block = this.login.observe(error);
      if (block) {
        this.authFailed(block);
        return;
      }
      const code = error instanceof DeviceError ? error.code : 'internal';
      const message = error instanceof Error ? error.message : String(error);
      if (code === 'unreachable' || code === 'timeout') this.forgetChallenge();
      this.fail(code === 'not_activated' ? 'auth-failed' : 'offline', code, message);
    }
  }

  /**
   * The device went away, or another one answers: its login challenge is not worth keeping.
   * Answered from the cache, it would reach a different device (or this one after a reboot) with
   * a realm or nonce it never gave, where it can count as a failed login.
   */
  private forgetChallenge(): void {
    if (this.client.http.authBlockedUntil === undefined) this.client.http.resetAuth();
  }

  /** Logins are on hold: no timer unless the device's lock ends by itself (then one try). */
  private authFailed(block: LoginBlock): void {
    this.failures++;
    this.spreadNext = true;
    const retryAt = block.retryAfterLock ? (block.lockedUntil ?? Date.now()) : undefined;
    this.setHealth({
      state: 'auth-failed',
      lastError: `${block.message} ${retryHint(block)}`,
      lastErrorCode: block.code,
      nextAttemptAt: retryAt === undefined ? null : new Date(retryAt).toISOString(),
    });
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (retryAt !== undefined) this.schedule(Math.max(0, retryAt - Date.now()));
  }

  /**
   * The device was asked to reboot: while it is away (up to `untilMs`) it is reported as
   * rebooting, in words and without a warning, and looked for again every minimum back-off.
   */
  expectReboot(untilMs: number): void {
    this.rebootUntil = untilMs;
    this.rebootSeenAway = false;
    this.schedule(this.deps.settings.minBackoffMs);
  }

  private get rebooting(): boolean {
    return Date.now() < this.rebootUntil;
  }

  private fail(state: DeviceState, code: string, message: string): void {
    if (this.rebooting && state === 'offline') {
      this.rebootSeenAway = true;
      const until = new Date(this.rebootUntil).toISOString();
      const delay = this.deps.settings.minBackoffMs;
      this.setHealth({
        state,
        lastError: `Rebooting at the user's request; expected back by ${until}.`,
        lastErrorCode: 'rebooting',
        nextAttemptAt: new Date(Date.now() + delay).toISOString(),
      });
      this.schedule(delay);
      return;
    }
    this.failures++;
    this.spreadNext = true;
    const delay = this.retryDelay();
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
  private retryDelay(): number {
    const { minBackoffMs, maxBackoffMs } = this.deps.settings;
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
      else if (next.lastErrorCode === 'rebooting') log.info({ deviceId: next.deviceId }, 'device rebooting');
      else
        log.warn(
          { deviceId: next.deviceId, state: next.state, error: next.lastError },
          'device not available',
        );
      this.deps.bus.emit('device.health', next);
    }
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  /** Waits for `promise`, or less when the signal aborts or the link stops. */
  private async until(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
    const signals = [signal, this.stopping.signal];
    if (signals.some((s) => s.aborted)) return;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([promise, aborted]);
    } finally {
      for (const s of signals) s.removeEventListener('abort', onAbort);
    }
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
