/**
 * Auto-configuration of a doorbell for "emulate SIP proxy" mode: its SIP server (us), the phone
 * number record of its room (our number) and its call button (the room) are written over ISAPI
 * where they differ, read back to check the doorbell kept them, and the set-up is confirmed only
 * when the doorbell's REGISTER arrives. While the doorbell is unreachable it is tried again with
 * a doubling wait; what the doorbell refuses is said in words with what to do instead.
 */
import type { Logger } from '../../core/logger.ts';
import type { DoorbellEmulateSettings } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import {
  readKeyCfg,
  readPhoneNumberRecords,
  readSipServer,
  type SipServerSettings,
  SipSettingInputError,
  SipSettingUnsupportedError,
  writeKeyCfg,
  writePhoneNumberRecord,
  writeSipServer,
} from '../../protocols/isapi/sip-config.ts';

export type AutoConfigState =
  /** Auto-configuration is off: the user set the doorbell up by hand. */
  | 'manual'
  | 'configuring'
  /** Written and read back; waiting for the doorbell's REGISTER. */
  | 'waiting-for-register'
  | 'done'
  /** The doorbell could not be reached or was busy: tried again at `nextAttemptAt`. */
  | 'retrying'
  /** The doorbell refused or lacks a setting: the user has to act (see `error`). */
  | 'failed';

export interface AutoConfigStatus {
  state: AutoConfigState;
  /** In words, with the fix, when retrying or failed. */
  error: string | null;
  attempts: number;
  /** What the last pass changed on the doorbell (`sip server`, `phone number record`, `call button`). */
  changed: string[];
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  /** When the doorbell's REGISTER confirmed the set-up. */
  confirmedAt: string | null;
}

export interface AutoConfigTarget {
  deviceId: string;
  name: string;
  settings: DoorbellEmulateSettings;
  /** The digest password the doorbell must use, when one is set. */
  password: string | null;
  /** Where the doorbell must send SIP: our address as it sees it, and our port. */
  proxyAddress: string;
  proxyPort: number;
  expiresSeconds: number;
}

export interface AutoConfigDeps {
  logger: Logger;
  /** The doorbell's ISAPI client; undefined while it is disabled or not connected. */
  client: () => IsapiClient | undefined;
  /** True while the doorbell is registered with us by a REGISTER at or after `since` (ms). */
  registeredSince: (since: number) => boolean;
  retryMinMs: number;
  retryMaxMs: number;
  registerWaitMs: number;
  onChange: (status: AutoConfigStatus) => void;
}

export class AutoConfigurer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running = false;
  private failures = 0;
  private writtenAt = 0;
  private current: AutoConfigStatus = {
    state: 'configuring',
    error: null,
    attempts: 0,
    changed: [],
    lastAttemptAt: null,
    nextAttemptAt: null,
    confirmedAt: null,
  };

  constructor(
    private readonly target: AutoConfigTarget,
    private readonly deps: AutoConfigDeps,
  ) {}

  get status(): AutoConfigStatus {
    return { ...this.current, changed: [...this.current.changed] };
  }

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The doorbell came online (or the user asked): try now instead of at the next back-off. */
  retryNow(): void {
    if (this.current.state === 'retrying' || this.current.state === 'failed') this.schedule(0);
  }

  /** The doorbell's REGISTER arrived. */
  registered(): void {
    if (this.current.state !== 'waiting-for-register') return;
    clearTimeout(this.timer);
    this.update({ state: 'done', error: null, nextAttemptAt: null, confirmedAt: new Date().toISOString() });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), ms);
    this.timer.unref();
  }

  private async attempt(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.update({
      state: 'configuring',
      attempts: this.current.attempts + 1,
      lastAttemptAt: new Date().toISOString(),
      nextAttemptAt: null,
    });
    try {
      const client = this.deps.client();
      if (!client) throw new Unreachable(`"${this.target.name}" is not connected`);
      this.writtenAt = Date.now();
      const changed = await this.configure(client);
      if (this.stopped) return;
      this.failures = 0;
      this.deps.logger.info(
        { deviceId: this.target.deviceId, changed },
        'doorbell SIP set-up written and checked',
      );
      this.update({ state: 'waiting-for-register', error: null, changed });
      // A doorbell whose SIP server did not change keeps its registration: no new REGISTER comes.
      const since = changed.includes('sip server') ? this.writtenAt : 0;
      if (this.deps.registeredSince(since)) this.registered();
      else this.timer = setTimeout(() => this.registerMissing(), this.deps.registerWaitMs).unref();
    } catch (error) {
      if (!this.stopped) this.failed(error);
    } finally {
      this.running = false;
    }
  }

  /** Writes what differs and reads it back; returns what it changed. */
  private async configure(client: IsapiClient): Promise<string[]> {
    const { settings, password } = this.target;
    const changed: string[] = [];
    const wanted = this.wantedServer();
    const server = await readSipServer(client);
    if (!serverMatches(server, wanted) || password !== null) {
      await writeSipServer(client, { id: 1, ...wanted, ...(password !== null ? { password } : {}) });
      changed.push('sip server');
    }
    if (!(await this.roomCallsUs(client))) {
      await writePhoneNumberRecord(client, {
        roomNo: settings.roomNumber,
        phoneNumbers: [settings.proxyNumber],
      });
      changed.push('phone number record');
    }
    const key = await readKeyCfg(client, settings.buttonNumber);
    if (key.callNumber !== String(settings.roomNumber)) {
      await writeKeyCfg(client, { button: settings.buttonNumber, callNumber: settings.roomNumber });
      changed.push('call button');
    }
    await this.verify(client);
    return changed;
  }

  /**
   * True when the room's phone number record already calls us first. A doorbell that cannot list
   * its records gets the record written (writing the same record again changes nothing).
   */
  private async roomCallsUs(client: IsapiClient): Promise<boolean> {
    const { roomNumber, proxyNumber } = this.target.settings;
    try {
      const records = await readPhoneNumberRecords(client);
      return records.find((record) => record.roomNo === String(roomNumber))?.phoneNumbers[0] === proxyNumber;
    } catch (error) {
      if (error instanceof SipSettingUnsupportedError) return false;
      throw error;
    }
  }

  private wantedServer() {
    const { settings, proxyAddress, proxyPort, expiresSeconds } = this.target;
    return {
      enabled: true,
      proxy: proxyAddress,
      proxyPort,
      userName: settings.doorbellNumber,
      authId: settings.digestUsername ?? settings.doorbellNumber,
      displayName: settings.doorbellNumber,
      expires: expiresSeconds,
    };
  }

  private async verify(client: IsapiClient): Promise<void> {
    const server = await readSipServer(client);
    const wanted = this.wantedServer();
    const kept = (Object.keys(wanted) as Array<keyof typeof wanted>).find(
      (field) => field !== 'displayName' && String(server[field]) !== String(wanted[field]),
    );
    if (kept) {
      throw new Refused(
        `"${this.target.name}" kept ${kept} = ${JSON.stringify(server[kept])} after we wrote ` +
          `${JSON.stringify(wanted[kept])}. Check its SIP settings in its web page.`,
      );
    }
    const key = await readKeyCfg(client, this.target.settings.buttonNumber);
    if (key.callNumber !== String(this.target.settings.roomNumber)) {
      throw new Refused(
        `"${this.target.name}" kept call button ${this.target.settings.buttonNumber} on room ` +
          `${key.callNumber ?? 'none'} after we set room ${this.target.settings.roomNumber}.`,
      );
    }
  }

  private registerMissing(): void {
    if (this.stopped || this.current.state !== 'waiting-for-register') return;
    const { proxyAddress, proxyPort, name } = this.target;
    this.failed(
      new Unreachable(
        `"${name}" took its SIP settings but did not register within ${Math.round(this.deps.registerWaitMs / 1000)} s. ` +
          `Check that it can reach ${proxyAddress}:${proxyPort} over UDP (a firewall on this machine, ` +
          'or doorbell.advertisedHost if this machine has several addresses).',
      ),
    );
  }

  private failed(error: unknown): void {
    const message = describe(error, this.target.name);
    if (
      error instanceof Refused ||
      error instanceof SipSettingUnsupportedError ||
      error instanceof SipSettingInputError
    ) {
      this.deps.logger.warn(
        { deviceId: this.target.deviceId, reason: message },
        'doorbell SIP set-up failed',
      );
      this.update({ state: 'failed', error: message, nextAttemptAt: null });
      return;
    }
    this.failures += 1;
    const delay = Math.min(this.deps.retryMaxMs, this.deps.retryMinMs * 2 ** Math.min(this.failures - 1, 16));
    const level = this.failures === 1 || this.failures % 10 === 0 ? 'warn' : 'debug';
    this.deps.logger[level](
      { deviceId: this.target.deviceId, reason: message, retryInMs: delay },
      'doorbell SIP set-up will be tried again',
    );
    this.update({
      state: 'retrying',
      error: message,
      nextAttemptAt: new Date(Date.now() + delay).toISOString(),
    });
    this.schedule(delay);
  }

  private update(patch: Partial<AutoConfigStatus>): void {
    this.current = { ...this.current, ...patch };
    this.deps.onChange(this.status);
  }
}

/** The doorbell answered but did not take what we wrote: retrying will not help. */
class Refused extends Error {}

/** Not reachable now: worth trying again later. */
class Unreachable extends Error {}

function serverMatches(
  server: SipServerSettings,
  wanted: Record<string, string | number | boolean>,
): boolean {
  return Object.entries(wanted).every(
    ([field, value]) => String(server[field as keyof SipServerSettings]) === String(value),
  );
}

function describe(error: unknown, name: string): string {
  if (error instanceof Refused || error instanceof Unreachable) return error.message;
  if (error instanceof SipSettingUnsupportedError || error instanceof SipSettingInputError)
    return error.message;
  if (error instanceof DeviceError) return `"${name}": ${error.message}`;
  return `"${name}": ${error instanceof Error ? error.message : String(error)}`;
}
