/** `hikbridge probe URL`: one device, described as JSON (contract in DESIGN.md) or as text. */

import { kindOfEventType } from '../modules/events/classify.ts';
import { DeviceError } from '../protocols/http/errors.ts';
import { IsapiClient, parseDeviceUrl } from '../protocols/isapi/client.ts';
import { type DeviceDescription, discoverDevice } from '../protocols/isapi/discovery.ts';
import { redactRtspUrl } from '../protocols/isapi/rtsp.ts';
import type { StorageDevice } from '../protocols/isapi/storage.ts';
import { withoutUrlPassword } from './credentials.ts';

export interface ProbeCommandOptions {
  json?: boolean;
  insecure?: boolean;
  fingerprint?: string;
  channels?: number[];
  timeout?: number;
  showCredentials?: boolean;
}

/** The stable `probe --json` shape. Extra detail stays in the library's DeviceDescription. */
export interface ProbeJson {
  deviceType: DeviceDescription['deviceType'];
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  macAddress: string | null;
  channels: Array<{
    id: number;
    name: string;
    online: boolean;
    /** Pan/tilt/zoom the device says the channel has. */
    ptz: boolean;
    /** Detections the device lists for the channel, in event-kind words where hikbridge has one. */
    detections: string[];
    streams: Array<{
      id: string;
      codec: string | null;
      width: number | null;
      height: number | null;
      fps: number | null;
      rtspUrl: string;
    }>;
  }>;
  twoWayAudio: { channelId: number; codec: string } | null;
  doors: number;
  alarmInputs: number;
  alarmOutputs: number;
  storage: Array<Pick<StorageDevice, 'id' | 'name' | 'type' | 'status' | 'capacityMb' | 'freeMb'>>;
}

export async function probe(
  url: string,
  options: ProbeCommandOptions,
  progress?: (line: string) => void,
): Promise<ProbeJson> {
  const address = parseDeviceUrl(url);
  const client = new IsapiClient({
    ...address,
    tls: {
      insecure: options.insecure ?? false,
      ...(options.fingerprint ? { pinnedFingerprint: options.fingerprint } : {}),
    },
    ...(options.timeout ? { requestTimeoutMs: options.timeout, connectTimeoutMs: options.timeout } : {}),
  });
  try {
    const description = await discoverDevice(client, {
      credentials: { username: address.username, password: address.password },
      ...(options.channels ? { channelIds: options.channels } : {}),
      ...(progress ? { onProgress: progress } : {}),
      capabilities: true,
    });
    return toProbeJson(description, options.showCredentials ?? false);
  } finally {
    await client.close();
  }
}

export function toProbeJson(description: DeviceDescription, showCredentials: boolean): ProbeJson {
  return {
    deviceType: description.deviceType,
    model: description.model,
    serialNumber: description.serialNumber,
    firmwareVersion: description.firmwareVersion,
    macAddress: description.macAddress,
    channels: description.channels.map((channel) => ({
      id: channel.id,
      name: channel.name,
      online: channel.online,
      ptz: channel.ptz ?? false,
      detections: detectionNames(channel.detections ?? []),
      streams: channel.streams.map((stream) => ({
        id: stream.id,
        codec: stream.codec,
        width: stream.width,
        height: stream.height,
        fps: stream.fps,
        rtspUrl: showCredentials ? stream.rtspUrl : redactRtspUrl(stream.rtspUrl),
      })),
    })),
    twoWayAudio: description.twoWayAudio,
    doors: description.doors,
    alarmInputs: description.alarmInputs,
    alarmOutputs: description.alarmOutputs,
    storage: (description.storage ?? []).map(({ id, name, type, status, capacityMb, freeMb }) => ({
      id,
      name,
      type,
      status,
      capacityMb,
      freeMb,
    })),
  };
}

/**
 * The device's event types in the words hikbridge's events use (`VMD` -> `motion`,
 * `fielddetection` -> `intrusion`), so what probe shows matches the events a user will get;
 * types without such a word keep the device's name, lower-cased.
 */
export function detectionNames(eventTypes: string[]): string[] {
  const names = eventTypes.map((eventType) => {
    const kind = kindOfEventType(eventType);
    return kind === 'other' ? eventType.toLowerCase() : kind;
  });
  return [...new Set(names)].sort();
}

export function formatProbeText(result: ProbeJson): string {
  const lines = [
    `${result.model} (${result.deviceType}) serial ${result.serialNumber}, firmware ${result.firmwareVersion}`,
    `alarm inputs ${result.alarmInputs}, outputs ${result.alarmOutputs}, doors ${result.doors}, two-way audio ${
      result.twoWayAudio ? `${result.twoWayAudio.codec} on channel ${result.twoWayAudio.channelId}` : 'none'
    }`,
  ];
  for (const channel of result.channels) {
    lines.push(`channel ${channel.id} "${channel.name}" ${channel.online ? 'online' : 'OFFLINE'}`);
    const detections = channel.detections.length > 0 ? channel.detections.join(', ') : 'none listed';
    lines.push(`  PTZ ${channel.ptz ? 'yes' : 'no'}, detections: ${detections}`);
    for (const s of channel.streams) {
      const size = s.width && s.height ? `${s.width}x${s.height}` : '?';
      lines.push(`  ${s.id}  ${s.codec ?? '?'}  ${size}  ${s.fps ?? 'full'} fps  ${s.rtspUrl}`);
    }
  }
  if (result.storage.length === 0) lines.push('storage: none reported');
  for (const disk of result.storage) {
    const space =
      disk.capacityMb === null ? 'size unknown' : `${disk.freeMb ?? '?'} of ${disk.capacityMb} MB free`;
    lines.push(`storage ${disk.id} ${disk.type} "${disk.name}" ${disk.status}, ${space}`);
  }
  return lines.join('\n');
}

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, auth: 4, tls: 5, notActivated: 6 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof TypeError) return EXIT.usage;
  if (!(error instanceof DeviceError)) return EXIT.failed;
  switch (error.code) {
    case 'unreachable':
    case 'timeout':
      return EXIT.unreachable;
    case 'bad_credentials':
    case 'locked_out':
    case 'auth_unsupported':
    case 'permission_denied':
      return EXIT.auth;
    case 'tls_fingerprint_mismatch':
    case 'tls_untrusted':
      return EXIT.tls;
    case 'not_activated':
      return EXIT.notActivated;
    default:
      return EXIT.failed;
  }
}

/** One line for stderr, never containing the password from the URL. */
export function describeFailure(error: unknown, url: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return withoutUrlPassword(message, url).replace(/\s*\n\s*/g, ' ');
}
