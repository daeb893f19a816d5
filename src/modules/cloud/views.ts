/** Cloud accounts and cameras as the API shows them: never a key, a secret or a live URL. */
import type { CloudAccountRecord, CloudCameraRecord, StreamRecord } from '../../core/store/types.ts';
import type { ChannelViewType } from '../devices/index.ts';
import type { AccountState } from './account.ts';

/** The last four characters tell accounts apart without giving the key away. */
export function keyHint(appKey: string): string {
  return appKey.length > 8 ? `…${appKey.slice(-4)}` : '…';
}

export function accountView(
  account: CloudAccountRecord,
  state: AccountState | undefined,
  cameras: CloudCameraRecord[],
  defaultBaseUrl: string,
) {
  const count = (status: CloudCameraRecord['status']) =>
    cameras.filter((camera) => effectiveStatus(camera) === status).length;
  return {
    id: account.id,
    name: account.name,
    appKeyHint: keyHint(account.appKey),
    baseUrl: account.baseUrl || defaultBaseUrl,
    quality: account.quality,
    enabled: account.enabled,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
    lastSync: account.lastSync,
    sync: state?.sync ?? null,
    trouble: state?.trouble ?? null,
    nextRenewalAt: state?.nextRenewalAt ?? null,
    cameras: {
      total: cameras.length,
      ok: count('ok'),
      pending: count('pending'),
      offline: count('offline'),
      error: count('error'),
      removed: count('removed'),
      disabled: count('disabled'),
    },
  };
}

/** A switched-off camera is `disabled` whatever its last renewal said; a removed one stays `removed`. */
export function effectiveStatus(camera: CloudCameraRecord): CloudCameraRecord['status'] {
  if (camera.removedAt) return 'removed';
  if (!camera.enabled) return 'disabled';
  return camera.status;
}

export function cameraView(
  camera: CloudCameraRecord,
  account: CloudAccountRecord | undefined,
  path: string | null,
) {
  return {
    id: camera.id,
    accountId: camera.accountId,
    deviceSerial: camera.deviceSerial,
    channelNo: camera.channelNo,
    resourceId: camera.resourceId,
    name: camera.name,
    area: typeof camera.attributes.area === 'string' ? camera.attributes.area : null,
    deviceName: typeof camera.attributes.deviceName === 'string' ? camera.attributes.deviceName : null,
    online: camera.online,
    enabled: camera.enabled,
    status: effectiveStatus(camera),
    lastError: camera.lastError,
    quality: camera.quality ?? account?.quality ?? 'main',
    qualityOverride: camera.quality,
    streamCodeSet: camera.streamCode !== null,
    urlExpiresAt: camera.urlExpiresAt,
    nextRenewalAt: camera.nextRenewalAt,
    removedAt: camera.removedAt,
    path,
    createdAt: camera.createdAt,
    updatedAt: camera.updatedAt,
  };
}

/** The one stream of a cloud camera: RTMP from the cloud is H.264 only. */
export function cloudStream(quality: 'main' | 'sub'): StreamRecord {
  return {
    id: quality,
    streamNo: quality === 'main' ? 1 : 2,
    codec: 'H.264',
    width: null,
    height: null,
    fps: null,
    audioCodec: null,
  };
}

export function cloudChannelView(
  camera: CloudCameraRecord,
  account: CloudAccountRecord | undefined,
): ChannelViewType {
  const quality = camera.quality ?? account?.quality ?? 'main';
  const stream = cloudStream(quality);
  return {
    id: camera.id,
    deviceId: camera.accountId,
    channelNo: camera.channelNo,
    name: camera.name,
    source: 'cloud',
    model: typeof camera.attributes.deviceModel === 'string' ? camera.attributes.deviceModel : null,
    enabled: camera.enabled && !camera.removedAt,
    online: camera.online,
    snapshotUrlOverride: null,
    defaultStream: null,
    keepWarm: false,
    preferredStream: stream.id,
    streams: [{ ...stream, browserCompatible: true }],
    snapshotUrl: `/api/v1/channels/${camera.id}/snapshot.jpg`,
    cloud: {
      accountId: camera.accountId,
      deviceSerial: camera.deviceSerial,
      resourceId: camera.resourceId,
      status: effectiveStatus(camera),
      lastError: camera.lastError,
      urlExpiresAt: camera.urlExpiresAt,
    },
  };
}

export type AccountViewType = ReturnType<typeof accountView>;
export type CameraViewType = ReturnType<typeof cameraView>;
