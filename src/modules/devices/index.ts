/**
 * The devices module: the registry (what devices exist) and the supervisor (keeping them
 * connected), plus the operations other modules need on a device: its health, its shared
 * client and snapshots.
 */
import type { Bus, DeviceHealth, Module } from '../../core/bus.ts';
import { AppError, DeviceOperationError, InputError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { Snapshot } from '../../protocols/isapi/snapshot.ts';

/** A picture and where it came from: the device (ISAPI, NVR proxy, override) or the live stream. */
export type DeviceSnapshot = Omit<Snapshot, 'source'> & { source: Snapshot['source'] | 'stream' };

import { snapshotRequestFor } from './connect.ts';
import { DeviceRegistry } from './registry.ts';
import { migrateDeviceSettings } from './settings-version.ts';
import { DeviceSupervisor, type SupervisorSettings } from './supervisor.ts';

export type { DeviceInput, DevicePatch } from './input.ts';
export { DeviceRegistry } from './registry.ts';
export { DeviceSupervisor } from './supervisor.ts';

/** ISAPI RemoteControl/door commands. */
export type DoorCommand = 'open' | 'close' | 'alwaysOpen' | 'alwaysClose' | 'resume';

export interface DevicesModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  settings: SupervisorSettings;
}

export class DevicesModule implements Module {
  readonly name = 'devices';
  readonly registry: DeviceRegistry;
  readonly supervisor: DeviceSupervisor;
  private snapshotFallback: ((channelId: string) => Promise<Buffer>) | undefined;

  constructor(private readonly deps: DevicesModuleDeps) {
    this.registry = new DeviceRegistry({ ...deps, connect: deps.settings });
    this.supervisor = new DeviceSupervisor(deps);
  }

  async start(): Promise<void> {
    await this.migrateStoredSettings();
    await this.supervisor.start();
  }

  async stop(): Promise<void> {
    await this.supervisor.stop();
  }

  health(deviceId: string): DeviceHealth | undefined {
    return this.supervisor.health(deviceId);
  }

  /** A JPEG of the channel, coalesced with concurrent requests for the same picture. */
  async snapshot(channelId: string, size: { width?: number; height?: number } = {}): Promise<DeviceSnapshot> {
    const channel = await this.deps.store.channels.get(channelId);
    if (!channel) throw new NotFoundError('channel', channelId);
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
    if (!client) throw new AppError('device_disabled', 409, `The device "${device.name}" is disabled.`);
    try {
      await client.sendXml('PUT', `/ISAPI/AccessControl/RemoteControl/door/${door}`, 'RemoteControlDoor', {
        cmd: command,
      });
    } catch (error) {
      if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
      throw error;
    }
    this.deps.logger.info({ deviceId, door, command }, 'door command sent');
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
