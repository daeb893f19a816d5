/**
 * Reaching a device for a control (shared by every part): its record, its shared ISAPI client,
 * the 4xx that says why it cannot be reached, and device failures as API errors.
 */
import { AppError, DeviceOperationError, NotFoundError } from '../../core/errors.ts';
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { loginBlockedError } from '../devices/index.ts';
import type { ControlsContext } from './types.ts';

export interface DeviceAccess {
  device: DeviceRecord;
  client: IsapiClient;
}

/** The device and its client; 404 for an unknown id, 409 while disabled or its login is blocked. */
export async function deviceAccess(controls: ControlsContext, deviceId: string): Promise<DeviceAccess> {
  const { registry, supervisor } = controls.deps.devices;
  const device = await registry.get(deviceId);
  const client = supervisor.client(device.id);
  if (!device.enabled || !client) {
    throw new AppError('device_disabled', 409, `The device "${device.name}" is disabled; enable it first.`);
  }
  const block = supervisor.loginBlock(device.id);
  if (block) throw loginBlockedError(device.name, block);
  return { device, client };
}

/** A channel, its device and the device's client; `what` names the control for a cloud camera's 409. */
export async function channelAccess(
  controls: ControlsContext,
  channelId: string,
  what: string,
): Promise<DeviceAccess & { channel: ChannelRecord }> {
  const { store } = controls.deps;
  const channel = await store.channels.get(channelId);
  if (!channel) {
    if (await store.cloud.getCamera(channelId)) {
      throw new AppError(
        'control_unsupported',
        409,
        `This is a HikCentral Connect cloud camera: hikbridge can change ${what} only on devices it reaches over ISAPI.`,
      );
    }
    throw new NotFoundError('channel', channelId);
  }
  return { channel, ...(await deviceAccess(controls, channel.deviceId)) };
}

/** Runs device work; a device's failure becomes a 502 in its own words. */
export async function onDevice<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeviceError) throw new DeviceOperationError(error.code, error.message);
    throw error;
  }
}
