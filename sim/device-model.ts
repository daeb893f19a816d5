/**
 * What the server needs to know about a profile, derived once at start: streams, channels,
 * two-way audio, doors. Also completes the served answers a real device always has (stream list,
 * RTSP port) so fixture and built-in profiles behave the same.
 */
import { asList, clone, dig, isDict, responseOf, rootOf, text } from './dict.ts';
import { INVENTED, invented } from './invented.ts';
import type { FixtureIsapi, SimProfile, XmlDict } from './types.ts';
import { namespaceOf } from './xml.ts';

export interface StreamInfo {
  id: number;
  channel: number;
  width: number;
  height: number;
  dict: XmlDict;
}

export interface DeviceModel {
  profile: SimProfile;
  isapi: FixtureIsapi;
  namespace: string;
  deviceName: string;
  macAddress: string;
  serialNumber: string;
  realm: string;
  streams: Map<number, StreamInfo>;
  /** IP channels of an NVR/DVR (InputProxy ids). */
  proxiedChannels: number[];
  twoWayChannels: number[];
  twoWayCodec: string;
  doorCount: number;
  channelName(channel: number): string;
  channelOnline(channel: number): boolean;
}

const STREAM_PATH = /^Streaming\/channels\/(\d+)$/;

function streamInfo(dict: XmlDict): StreamInfo | undefined {
  const id = Number(text(dict.id));
  if (!Number.isInteger(id) || id <= 0) return undefined;
  const video = dict.Video;
  return {
    id,
    channel: Math.floor(id / 100),
    width: Number(text(dig(video, 'videoResolutionWidth')) ?? 0),
    height: Number(text(dig(video, 'videoResolutionHeight')) ?? 0),
    dict,
  };
}

function collectStreams(isapi: FixtureIsapi): Map<number, StreamInfo> {
  const streams = new Map<number, StreamInfo>();
  for (const [path, entry] of Object.entries(isapi)) {
    const match = STREAM_PATH.exec(path);
    if (!match || !('response' in entry)) continue;
    const dict = entry.response.StreamingChannel;
    if (!isDict(dict)) continue;
    const info = streamInfo({ ...dict, id: text(dict.id) ?? match[1]! });
    if (info) streams.set(Number(match[1]), { ...info, id: Number(match[1]) });
  }
  for (const item of asList(dig(rootOf(isapi, 'Streaming/channels'), 'StreamingChannel'))) {
    const info = isDict(item) ? streamInfo(item) : undefined;
    if (info && !streams.has(info.id)) streams.set(info.id, info);
  }
  return streams;
}

/**
 * Devices always list their streams; fixtures sometimes lack the list (every NVR/DVR capture,
 * the doorbell). The list is then invented: assembled from the per-stream answers, in id order.
 */
function ensureStreamList(isapi: FixtureIsapi, streams: Map<number, StreamInfo>, namespace: string): void {
  if (isapi['Streaming/channels']) return;
  const list = [...streams.values()].sort((a, b) => a.id - b.id).map((s) => s.dict);
  isapi['Streaming/channels'] = invented(
    {
      response: { StreamingChannelList: { '@version': '2.0', '@xmlns': namespace, StreamingChannel: list } },
    },
    INVENTED.streamList,
  );
}

/**
 * Every device answers System/time; no capture has it, so its shape is invented (the fields
 * public ISAPI clients read). `localTime` and `timeZone` are filled per request from the device's
 * clock (routes/time.ts); replacing or removing these entries with setEndpoint is respected.
 */
function ensureTime(isapi: FixtureIsapi, namespace: string): void {
  isapi['System/time'] ??= invented(
    {
      response: {
        Time: { '@version': '2.0', '@xmlns': namespace, timeMode: 'NTP', localTime: '', timeZone: '' },
      },
    },
    INVENTED.time,
  );
  isapi['System/time/timeZone'] ??= invented({ response: { timeZone: '' } }, INVENTED.time);
}

/**
 * Makes Security/adminAccesses report the RTSP port the caller asked for. A profile without the
 * endpoint at all gets one with the standard ports (HTTP 80, RTSP 554 unless asked otherwise).
 */
function applyRtspPort(isapi: FixtureIsapi, asked: number | undefined, namespace: string): void {
  const missing = !isapi['Security/adminAccesses'];
  const rtspPort = asked ?? (missing ? 554 : undefined);
  if (rtspPort === undefined) return;
  if (missing) {
    const http: XmlDict = { id: '1', enabled: 'true', protocol: 'HTTP', portNo: '80' };
    isapi['Security/adminAccesses'] = invented(
      {
        response: {
          AdminAccessProtocolList: { '@version': '2.0', '@xmlns': namespace, AdminAccessProtocol: http },
        },
      },
      INVENTED.adminAccesses,
    );
  }
  const root = rootOf(isapi, 'Security/adminAccesses');
  const entries = asList(root?.AdminAccessProtocol).filter(isDict);
  const rtsp = entries.find((entry) => text(entry.protocol) === 'RTSP');
  if (rtsp) {
    rtsp.portNo = String(rtspPort);
    return;
  }
  const added: XmlDict = {
    id: String(entries.length + 1),
    enabled: 'true',
    protocol: 'RTSP',
    portNo: String(rtspPort),
  };
  isapi['Security/adminAccesses'] = invented(
    {
      response: {
        AdminAccessProtocolList: {
          '@version': '2.0',
          '@xmlns': namespace,
          AdminAccessProtocol: [...entries, added],
        },
      },
    },
    isapi['Security/adminAccesses']?.invented ?? INVENTED.rtspEntry,
  );
}

function proxiedChannelsOf(isapi: FixtureIsapi): number[] {
  const list = asList(dig(rootOf(isapi, 'ContentMgmt/InputProxy/channels'), 'InputProxyChannel'));
  return list
    .map((item) => Number(text(dig(item, 'id'))))
    .filter((id) => Number.isInteger(id) && id > 0)
    .sort((a, b) => a - b);
}

function channelNames(isapi: FixtureIsapi, streams: Map<number, StreamInfo>): Map<number, string> {
  const names = new Map<number, string>();
  for (const stream of streams.values()) {
    const name = text(stream.dict.channelName);
    if (name && !names.has(stream.channel)) names.set(stream.channel, name);
  }
  const sources = [
    asList(dig(rootOf(isapi, 'System/Video/inputs/channels'), 'VideoInputChannel')),
    asList(dig(rootOf(isapi, 'ContentMgmt/InputProxy/channels'), 'InputProxyChannel')),
  ];
  for (const item of sources.flat()) {
    const id = Number(text(dig(item, 'id')));
    const name = text(dig(item, 'name'));
    if (id > 0 && name) names.set(id, name);
  }
  return names;
}

/** The lock the device really applies (SimDeviceOptions), as Security/illegalLoginLock reports it. */
export interface LockoutPolicy {
  after: number;
  seconds: number;
}

/**
 * Makes a profile's Security/illegalLoginLock (when it has one) report the lock the simulator
 * applies, so what a client reads matches what it would meet. lockDuration is in minutes (assumed).
 */
function applyLockoutPolicy(isapi: FixtureIsapi, lockout: LockoutPolicy | undefined): void {
  const policy = rootOf(isapi, 'Security/illegalLoginLock');
  if (!policy || !lockout) return;
  policy.enabled = 'true';
  policy.maxIllegalLoginTimes = String(lockout.after);
  policy.lockDuration = String(Math.max(1, Math.round(lockout.seconds / 60)));
}

export function buildDeviceModel(
  profile: SimProfile,
  rtspPort: number | undefined,
  lockout?: LockoutPolicy,
): DeviceModel {
  const isapi = clone(profile.isapi);
  const namespace = namespaceOf(responseOf(isapi['System/deviceInfo']));
  const deviceInfo = rootOf(isapi, 'System/deviceInfo');
  const streams = collectStreams(isapi);
  ensureStreamList(isapi, streams, namespace);
  ensureTime(isapi, namespace);
  applyRtspPort(isapi, rtspPort, namespace);
  applyLockoutPolicy(isapi, lockout);

  const capabilities = rootOf(isapi, 'System/capabilities');
  const voiceTalk = Number(text(capabilities?.voicetalkNums) ?? 0);
  const names = channelNames(isapi, streams);
  const offline = new Set(profile.offlineChannels);
  const serialNumber = text(deviceInfo?.serialNumber) ?? 'SIM000000000';
  return {
    profile,
    isapi,
    namespace,
    deviceName: text(deviceInfo?.deviceName) ?? profile.name,
    macAddress: text(deviceInfo?.macAddress) ?? '00:00:00:00:00:00',
    serialNumber,
    realm: profile.kind === 'camera' ? `IP Camera(${serialNumber.slice(-5)})` : profile.model,
    streams,
    proxiedChannels: proxiedChannelsOf(isapi),
    twoWayChannels: Array.from({ length: Number.isInteger(voiceTalk) ? voiceTalk : 0 }, (_, i) => i + 1),
    twoWayCodec: text(dig(streams.get(101)?.dict, 'Audio', 'audioCompressionType')) ?? 'G.711ulaw',
    doorCount: Number(
      text(dig(rootOf(isapi, 'AccessControl/RemoteControl/door/capabilities'), 'doorNo', '@max')) ?? 0,
    ),
    channelName: (channel) => names.get(channel) ?? `Camera ${String(channel).padStart(2, '0')}`,
    channelOnline: (channel) =>
      !offline.has(channel) && [...streams.values()].some((stream) => stream.channel === channel),
  };
}
