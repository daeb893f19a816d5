/** Records as the API shows them: no secrets, health and derived stream facts added. */
import type { DeviceHealth } from '../../../core/bus.ts';
import type { ChannelRecord, DeviceRecord, EntityRecord, StreamRecord } from '../../../core/store/types.ts';
import { maskUrlPassword } from '../input.ts';

export function deviceView(device: DeviceRecord, health: DeviceHealth | undefined) {
  const { password: _secret, settingsVersion: _version, ...visible } = device;
  return {
    ...visible,
    snapshotUrlOverride: maskUrlPassword(device.snapshotUrlOverride),
    health: health ?? null,
  };
}

/** Browsers decode H.264 everywhere; H.265 only in some (Safari, recent Chromium with hardware support). */
export function isBrowserCompatible(stream: StreamRecord): boolean {
  return stream.codec === 'H.264';
}

/** The stream to use by default: the configured one, else the first H.264 stream, else the first. */
export function preferredStream(channel: ChannelRecord, device?: DeviceRecord): StreamRecord | undefined {
  const wanted = channel.defaultStream ?? device?.defaultStream ?? null;
  if (wanted !== null) {
    const chosen = channel.streams.find((s) => s.streamNo === wanted);
    if (chosen) return chosen;
  }
  return channel.streams.find(isBrowserCompatible) ?? channel.streams[0];
}

export function channelView(channel: ChannelRecord, device?: DeviceRecord) {
  return {
    id: channel.id,
    deviceId: channel.deviceId,
    channelNo: channel.channelNo,
    name: channel.name,
    source: channel.source,
    model: channel.model,
    enabled: channel.enabled,
    online: channel.online,
    snapshotUrlOverride: maskUrlPassword(channel.snapshotUrlOverride),
    defaultStream: channel.defaultStream,
    keepWarm: channel.keepWarm ?? false,
    preferredStream: preferredStream(channel, device)?.id ?? null,
    streams: channel.streams.map((stream) => ({ ...stream, browserCompatible: isBrowserCompatible(stream) })),
    snapshotUrl: `/api/v1/channels/${channel.id}/snapshot.jpg`,
  };
}

export function entityView(entity: EntityRecord) {
  const { createdAt: _created, ...visible } = entity;
  return visible;
}
