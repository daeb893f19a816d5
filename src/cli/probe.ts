/** `hikbridge probe URL`: one device, described as JSON (contract in DESIGN.md) or as text. */
import { DeviceError } from '../protocols/http/errors.ts';
import { IsapiClient, parseDeviceUrl } from '../protocols/isapi/client.ts';
import { type DeviceDescription, discoverDevice } from '../protocols/isapi/discovery.ts';
import { redactRtspUrl } from '../protocols/isapi/rtsp.ts';
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
  };
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
    for (const s of channel.streams) {
      const size = s.width && s.height ? `${s.width}x${s.height}` : '?';
      lines.push(`  ${s.id}  ${s.codec ?? '?'}  ${size}  ${s.fps ?? 'full'} fps  ${s.rtspUrl}`);
    }
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
