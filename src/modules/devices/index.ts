/**
 * The devices module: the registry (what devices exist) and the supervisor (keeping them
 * connected), plus the operations other modules need on a device: its health, its shared
 * client, snapshots, door commands and the doctor.
 */
import type { Registry } from 'prom-client';
import type { Bus, DeviceHealth, DoorbellSipExpectation } from '../../core/bus.ts';
import type { Config } from '../../core/config/index.ts';
import { AppError, DeviceOperationError, InputError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import type { DeviceRecord, Store } from '../../core/store/types.ts';
import { type DoctorReport, runDoctor } from '../../diagnostics/doctor.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import { attr } from '../../protocols/isapi/xml.ts';
import { type CallAction, type CallView, DoorbellCalls } from './calls.ts';
import { baseUrlOf, snapshotRequestFor } from './connect.ts';
import { loginBlockedError } from './login-policy.ts';
import { registerDeviceMetrics } from './metrics.ts';
import { DeviceRegistry } from './registry.ts';
import { deviceRoutes } from './routes/index.ts';
import type { ChannelViewType } from './routes/schemas.ts';
import { migrateDeviceSettings } from './settings-version.ts';
import { DeviceSupervisor, type SupervisorSettings } from './supervisor.ts';
import { TamperLatch, type TamperState } from './tamper.ts';
import type { DeviceSnapshot, DoorCommand } from './types.ts';

export type { CallAction, CallView } from './calls.ts';
export type { DeviceInput, DevicePatch } from './input.ts';
export { loginBlockedError } from './login-policy.ts';
export { DeviceRegistry } from './registry.ts';
export type { ChannelViewType } from './routes/schemas.ts';
export { preferredStream } from './routes/views.ts';
export { DeviceSupervisor } from './supervisor.ts';
export type { TamperState } from './tamper.ts';
export type { DeviceSnapshot, DoorCommand } from './types.ts';

/** Channels another module owns (cloud cameras), as the channel routes show them. */
export interface ExternalChannels {
  list(): Promise<ChannelViewType[]>;
  get(channelId: string): Promise<ChannelViewType | undefined>;
  setEnabled(channelId: string, enabled: boolean): Promise<ChannelViewType>;
  snapshot(channelId: string): Promise<DeviceSnapshot>;
}

export type DevicesSettings = Config['devices'];

export interface DevicesModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  settings: DevicesSettings;
  /** Where the device gauges go (the gateway's /metrics); tests may leave it out. */
  metrics?: Registry;
}

/** The configuration in the units the registry and supervisor work in. */
export function supervisorSettings(settings: DevicesSettings): SupervisorSettings {
  return {
    requestTimeoutMs: settings.requestTimeoutMs,
    maxConcurrent: settings.maxConcurrentPerDevice,
    checkIntervalMs: settings.supervisor.checkIntervalSeconds * 1000,
    minBackoffMs: settings.supervisor.minBackoffSeconds * 1000,
    maxBackoffMs: settings.supervisor.maxBackoffSeconds * 1000,
    startsPerSecond: settings.supervisor.startsPerSecond,
  };
}

export class DevicesModule implements Module {
  readonly name = 'devices';
  readonly registry: DeviceRegistry;
  readonly supervisor: DeviceSupervisor;
  readonly routes;
  private snapshotFallback: ((channelId: string) => Promise<Buffer>) | undefined;
  private readonly externalChannels: ExternalChannels[] = [];
  private readonly unsubscribe: Array<() => void> = [];
  private readonly calls: DoorbellCalls;
  private readonly tamper: TamperLatch;

  constructor(private readonly deps: DevicesModuleDeps) {
    const settings = supervisorSettings(deps.settings);
    this.registry = new DeviceRegistry({ ...deps, connect: settings });
    this.supervisor = new DeviceSupervisor({ ...deps, settings });
    this.tamper = new TamperLatch(deps.store, deps.bus, deps.logger);
    this.calls = new DoorbellCalls({
      logger: deps.logger,
      endCallAfterDoorOpenMs: deps.settings.endCallAfterDoorOpenSeconds * 1000,
      endSipCall: (deviceId) => this.overSip(deviceId, 'hang-up'),
    });
    this.routes = deviceRoutes({
      devices: this,
      store: deps.store,
      bus: deps.bus,
      requestTimeoutMs: deps.settings.requestTimeoutMs,
    });
    if (deps.metrics) registerDeviceMetrics(deps.metrics, deps.bus, () => this.supervisor.allHealth());
  }

  async start(): Promise<void> {
    await this.migrateStoredSettings();
    await this.tamper.start();
    this.unsubscribe.push(
      this.deps.bus.on('device.removed', ({ deviceId }) => void this.tamper.forget(deviceId)),
    );
    await this.supervisor.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.calls.stop();
    await this.tamper.stop();
    await this.supervisor.stop();
  }

  /** The tamper latch of a device with a tamper sensor. */
  async tamperState(deviceId: string): Promise<TamperState> {
    await this.tamperDevice(deviceId);
    return this.tamper.state(deviceId);
  }

  /** Resets the tamper latch (the user has checked the device). */
  async resetTamper(deviceId: string): Promise<TamperState> {
    const device = await this.tamperDevice(deviceId);
    this.deps.logger.info({ deviceId: device.id }, "tamper latch reset at the user's request");
    return this.tamper.reset(device.id);
  }

  private async tamperDevice(deviceId: string): Promise<DeviceRecord> {
    const device = await this.registry.get(deviceId);
    const entities = await this.deps.store.entities.listByDevice(device.id);
    if (!entities.some((entity) => entity.kind === 'tamper')) {
      throw new AppError('no_tamper_sensor', 409, `"${device.name}" has no tamper sensor.`);
    }
    return device;
  }

  health(deviceId: string): DeviceHealth | undefined {
    return this.supervisor.health(deviceId);
  }

  /**
   * The user fixed the device's credentials on the device: lifts the login hold and tries once
   * (after the device's own lock, if it still holds one). Returns the health after that try.
   */
  async retryLogin(deviceId: string): Promise<DeviceHealth> {
    const device = await this.registry.get(deviceId);
    const health = device.enabled ? await this.supervisor.retryLogin(device.id) : undefined;
    if (!health) throw disabledError(device);
    this.deps.logger.info({ deviceId, state: health.state }, "login retried at the user's request");
    return health;
  }

  /** Probes the device again (new channels, names); not while logins to it are on hold. */
  async refresh(deviceId: string): Promise<DeviceRecord> {
    this.assertMayContact(await this.registry.get(deviceId));
    return this.registry.refresh(deviceId);
  }

  /** For `/health`: how many devices there are and how many are online. */
  async healthReport(): Promise<{ total: number; online: number }> {
    const all = await this.registry.list();
    const online = all.filter((device) => this.supervisor.health(device.id)?.state === 'online').length;
    return { total: all.length, online };
  }

  /** Runs the troubleshooting checks against a stored device (src/diagnostics). */
  async doctor(deviceId: string): Promise<DoctorReport> {
    const device = await this.registry.get(deviceId);
    this.assertMayContact(device);
    // A doorbell hikbridge is the SIP server of: the doctor compares the doorbell with that set-up.
    let expectedSip: DoorbellSipExpectation | undefined;
    this.deps.bus.emit('doorbell.sip.expected', {
      deviceId: device.id,
      answer: (value) => (expectedSip = value),
    });
    return runDoctor({
      baseUrl: baseUrlOf(device),
      username: device.username,
      password: device.password,
      tls: device.tlsFingerprint
        ? { pinnedFingerprint: device.tlsFingerprint }
        : { insecure: device.insecureTls },
      timeoutMs: this.deps.settings.requestTimeoutMs,
      ...(device.channelOverride ? { channels: device.channelOverride } : {}),
      ...(expectedSip ? { expectedSip } : {}),
    });
  }

  /**
   * Cameras that are channels without being a device's (cloud cameras): listed, shown, switched
   * and pictured through the channel routes like the devices' own.
   */
  addExternalChannels(source: ExternalChannels): void {
    this.externalChannels.push(source);
  }

  /** The external source that has `channelId`, if any. */
  async externalChannel(
    channelId: string,
  ): Promise<{ source: ExternalChannels; view: ChannelViewType } | undefined> {
    for (const source of this.externalChannels) {
      const view = await source.get(channelId);
      if (view) return { source, view };
    }
    return undefined;
  }

  /** Every external channel, in the order their sources were added. */
  async listExternalChannels(): Promise<ChannelViewType[]> {
    return (await Promise.all(this.externalChannels.map((source) => source.list()))).flat();
  }

  /** A JPEG of the channel, coalesced with concurrent requests for the same picture. */
  async snapshot(channelId: string, size: { width?: number; height?: number } = {}): Promise<DeviceSnapshot> {
    const channel = await this.deps.store.channels.get(channelId);
    if (!channel) {
      const external = await this.externalChannel(channelId);
      if (external) return external.source.snapshot(channelId);
      throw new NotFoundError('channel', channelId);
    }
    const device = await this.registry.get(channel.deviceId);
    let fetcher = this.supervisor.snapshots(device.id);
    if (!fetcher && device.enabled) {
      // Just added or reconfigured: the supervisor is still connecting it.
      await this.supervisor.settled();
      fetcher = this.supervisor.snapshots(device.id);
    }
    if (!fetcher || !device.enabled) {
      throw new AppError(
        'device_disabled',
        409,
        `The device "${device.name}" is disabled; enable it to take snapshots.`,
      );
    }
    this.assertMayContact(device);
    try {
      return await fetcher.get(snapshotRequestFor(device, channel, size));
    } catch (error) {
      if (!(error instanceof DeviceError)) throw error;
      const failure = new DeviceOperationError(error.code, error.message);
      if (!this.snapshotFallback) throw failure;
      try {
        return { jpeg: await this.snapshotFallback(channelId), takenAt: Date.now(), source: 'stream' };
      } catch (fallbackError) {
        this.deps.logger.debug({ err: fallbackError, channelId }, 'no snapshot from the live stream either');
        throw failure;
      }
    }
  }

  /**
   * The last resort when the device's picture endpoints fail: a frame from the live stream. Set
   * by the gateway when live video is on (the media module owns the streams).
   */
  setSnapshotFallback(fallback: ((channelId: string) => Promise<Buffer>) | undefined): void {
    this.snapshotFallback = fallback;
  }

  /** Sends a door command (open = unlock for the door's open time). Doors are numbered from 1. */
  async doorCommand(deviceId: string, door: number, command: DoorCommand = 'open'): Promise<void> {
    const device = await this.registry.get(deviceId);
    if (!Number.isInteger(door) || door < 1 || door > Math.max(device.doors, 0)) {
      throw new InputError(
        `door: "${device.name}" has ${device.doors} door(s); ${door} is not one of them`,
        'door',
      );
    }
    const client = this.supervisor.client(device.id);
    if (!client) throw disabledError(device);
    this.assertMayContact(device);
    try {
      await client.sendXml('PUT', `/ISAPI/AccessControl/RemoteControl/door/${door}`, 'RemoteControlDoor', {
        cmd: command,
      });
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
    this.deps.logger.info({ deviceId, door, command }, 'door command sent');
    if (command === 'open' && device.kind === 'doorbell') this.calls.endAfterDoorOpen(device.id, client);
  }

  /** A doorbell's call state, asked of the doorbell now. */
  async callState(deviceId: string): Promise<CallView> {
    const { client } = await this.doorbellClient(deviceId);
    const sip = this.sipCallState(deviceId);
    if (sip) return sip;
    try {
      return await this.calls.state(client);
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
  }

  /** Answers, hangs up, or stops the ringing; returns the call state after it. */
  async callAction(deviceId: string, action: CallAction): Promise<CallView> {
    const { device, client } = await this.doorbellClient(deviceId);
    const overSip = this.overSip(device.id, action);
    if (overSip) return overSip;
    try {
      return await this.calls.act(device.id, device.name, client, action);
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
  }

  /** Picks up a ringing doorbell's call (before talking to the visitor); true when it rang. */
  async answerIfRinging(deviceId: string): Promise<boolean> {
    const { device, client } = await this.doorbellClient(deviceId);
    if (this.sipCallState(device.id) === 'ringing') {
      await this.overSip(device.id, 'answer');
      return true;
    }
    try {
      return await this.calls.answerIfRinging(device.id, client);
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
  }

  /**
   * A call command the doorbell module carries out over SIP when the doorbell has a SIP call
   * with us (the bus asks; whoever holds the call claims it); undefined otherwise.
   */
  private overSip(deviceId: string, action: CallAction): Promise<CallView> | undefined {
    let claimed: Promise<CallView> | undefined;
    this.deps.bus.emit('doorbell.call.command', { deviceId, action, claim: (done) => (claimed = done) });
    return claimed;
  }

  /** The state of a doorbell's SIP call, when it has one (the doorbell module says). */
  private sipCallState(deviceId: string): CallView | undefined {
    let state: CallView | undefined;
    this.deps.bus.emit('doorbell.call.query', { deviceId, answer: (value) => (state = value) });
    return state;
  }

  private async doorbellClient(deviceId: string) {
    const device = await this.registry.get(deviceId);
    if (device.kind !== 'doorbell') {
      throw new AppError('not_a_doorbell', 409, `"${device.name}" is a ${device.kind}, not a doorbell.`);
    }
    const client = this.supervisor.client(device.id);
    if (!client) throw disabledError(device);
    this.assertMayContact(device);
    return { device, client };
  }

  /**
   * The door commands the device lists (`cmd opt` of RemoteControl/door/capabilities), or
   * undefined when it does not say. Not every door station lists `close`: one captured lists
   * `open,alwaysOpen,resume` (test/fixtures/doorbell/other).
   */
  async doorCommands(deviceId: string): Promise<string[] | undefined> {
    const device = await this.registry.get(deviceId);
    const client = this.supervisor.client(device.id);
    if (!client) throw disabledError(device);
    this.assertMayContact(device);
    try {
      const doc = await client.optional(() =>
        client.getXml('/ISAPI/AccessControl/RemoteControl/door/capabilities'),
      );
      const listed = attr(doc?.node, 'cmd', 'opt');
      return listed
        ?.split(',')
        .map((command) => command.trim())
        .filter(Boolean);
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
  }

  /**
   * Refuses an operation that would log in while logins to the device are on hold (a login of
   * its own could be one failed login too many), or reach another device than the one added.
   */
  private assertMayContact(device: DeviceRecord): void {
    const block = this.supervisor.loginBlock(device.id);
    if (block) throw loginBlockedError(device.name, block);
    const health = this.supervisor.health(device.id);
    if (health?.lastErrorCode === 'wrong_device') {
      throw new AppError('device_wrong_device', 409, health.lastError ?? 'A different device answers.');
    }
  }

  /** Upgrades devices saved by an older hikbridge to the current settings layout. */
  private async migrateStoredSettings(): Promise<void> {
    const { store, logger } = this.deps;
    for (const device of await store.devices.list()) {
      const channels = await store.channels.listByDevice(device.id);
      const result = migrateDeviceSettings({ device, channels });
      if (result.applied.length === 0) continue;
      await store.transaction(async (tx) => {
        const { id, createdAt: _c, updatedAt: _u, ...fields } = result.device;
        await tx.devices.update(id, fields);
        for (const channel of result.channels) {
          const { id: channelId, deviceId: _d, createdAt: _cc, updatedAt: _uu, ...channelFields } = channel;
          await tx.channels.update(channelId, channelFields);
        }
      });
      logger.info({ deviceId: device.id, applied: result.applied }, 'device settings migrated');
    }
  }
}

function disabledError(device: DeviceRecord): AppError {
  return new AppError('device_disabled', 409, `The device "${device.name}" is disabled.`);
}

export const devicesModule = defineModule({
  name: 'devices',
  settings: (config) => config.devices,
  create: (context) => new DevicesModule({ ...context }),
});
