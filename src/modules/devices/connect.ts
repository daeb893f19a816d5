/** Builds ISAPI clients and snapshot targets for stored devices. */
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';
import { IsapiClient } from '../../protocols/isapi/client.ts';
import type { SnapshotRequest } from '../../protocols/isapi/snapshot.ts';
import type { LoginPolicy } from './login-policy.ts';

export interface ConnectSettings {
  requestTimeoutMs: number;
  maxConcurrent: number;
}

type Address = Pick<
  DeviceRecord,
  'host' | 'port' | 'https' | 'username' | 'password' | 'tlsFingerprint' | 'insecureTls'
>;

export function baseUrlOf(device: Pick<DeviceRecord, 'host' | 'port' | 'https'>): string {
  const host = device.host.includes(':') ? `[${device.host}]` : device.host;
  return `${device.https ? 'https' : 'http'}://${host}:${device.port}`;
}

export interface ClientExtras {
  /** Trust on first use: the fingerprint of the certificate the device presented. */
  onCertificate?: (fingerprint: string) => void;
  /** The device's login policy, for the client every module shares. */
  login?: LoginPolicy;
}

/**
 * A client for the device. With HTTPS and nothing pinned yet, the first connection accepts the
 * certificate and reports its fingerprint through `onCertificate` (trust on first use); from
 * then on the stored fingerprint is pinned.
 */
export function createDeviceClient(
  device: Address,
  settings: ConnectSettings,
  extras: ClientExtras = {},
): IsapiClient {
  const { onCertificate, login } = extras;
  const tls = device.tlsFingerprint
    ? { pinnedFingerprint: device.tlsFingerprint }
    : { insecure: device.insecureTls || (device.https && onCertificate !== undefined) };
  return new IsapiClient({
    baseUrl: baseUrlOf(device),
    username: device.username,
    password: device.password,
    tls,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxConcurrent: settings.maxConcurrent,
    ...(onCertificate ? { onCertificate } : {}),
    ...login?.clientOptions(),
  });
}

/** The picture request for a channel, honouring stream choice and the seed's override settings. */
export function snapshotRequestFor(
  device: DeviceRecord,
  channel: ChannelRecord,
  size: { width?: number; height?: number } = {},
): SnapshotRequest {
  const streamNo = channel.defaultStream ?? device.defaultStream ?? 1;
  const streamId = String(channel.channelNo * 100 + streamNo);
  const template = channel.snapshotUrlOverride ?? device.snapshotUrlOverride;
  const request: SnapshotRequest = { streamId, ...size };
  if (template) {
    request.overrideUrl = template
      .replaceAll('{channel}', String(channel.channelNo))
      .replaceAll('{stream}', streamId);
  } else if (device.httpPortOverride) {
    request.httpPort = device.httpPortOverride;
  }
  return request;
}
