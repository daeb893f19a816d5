/**
 * Device discovery: what a device is, which channels and streams it has, and how to reach them.
 *
 * Works from what the device answers, not from the model name: the same endpoint can be
 * missing (404), forbidden (403) or broken (500) depending on model and firmware, and a
 * missing stream id is "no such stream", never a failure of the whole probe.
 */
import { readChannelCapabilities } from './capabilities.ts';
import type { IsapiClient } from './client.ts';
import { buildRtspUrl } from './rtsp.ts';
import { readStorage, type StorageDevice } from './storage.ts';
import { attr, bool, child, children, int, text, type XmlNode } from './xml.ts';

export type DeviceKind = 'camera' | 'nvr' | 'dvr' | 'doorbell' | 'access-controller';

export type VideoCodec = 'H.264' | 'H.265' | 'MJPEG' | string;

export interface StreamInfo {
  /** ISAPI stream id: channel * 100 + stream number (101 main, 102 sub, 1201 = channel 12 main). */
  id: string;
  channelId: number;
  /** 1 main, 2 sub, 3 third, 4 transcoded. */
  streamNo: number;
  codec: VideoCodec | null;
  width: number | null;
  height: number | null;
  /** Frames per second; null when the device reports "full frame rate" (0). */
  fps: number | null;
  audioCodec: string | null;
  enabled: boolean;
  /** RTSP URL with URL-encoded credentials. Never show it to viewers or write it to logs. */
  rtspUrl: string;
}

export interface ChannelInfo {
  id: number;
  name: string;
  online: boolean;
  /** `local` = the device's own sensor or analog input, `proxy` = an IP camera behind an NVR/DVR. */
  source: 'local' | 'proxy';
  model: string | null;
  streams: StreamInfo[];
  /** Whether the channel has PTZ; only with `DiscoveryOptions.capabilities`. */
  ptz?: boolean;
  /** The device's event types for this channel (lower-cased); only with `DiscoveryOptions.capabilities`. */
  detections?: string[];
}

export interface TwoWayAudioInfo {
  channelId: number;
  codec: string;
}

export interface DeviceDescription {
  deviceType: DeviceKind;
  /** The device's own deviceType string (IPCamera, NVR, ...), when it gives one. */
  rawDeviceType: string | null;
  deviceName: string | null;
  model: string;
  serialNumber: string;
  firmwareVersion: string;
  macAddress: string | null;
  channels: ChannelInfo[];
  twoWayAudio: TwoWayAudioInfo | null;
  doors: number;
  alarmInputs: number;
  alarmOutputs: number;
  rtspPort: number;
  /** Disks, memory cards and NAS shares; only with `DiscoveryOptions.capabilities`. */
  storage?: StorageDevice[];
}

export interface DiscoveryOptions {
  /** Only these channels (the seed's "channel override"); also probes ids the device does not list. */
  channelIds?: number[];
  /** Stream numbers tried per channel (default 1-4). */
  streamNumbers?: number[];
  /** Host name put in RTSP URLs (default: the host of the client's base URL). */
  rtspHost?: string;
  /** Credentials put in RTSP URLs (default: none, the caller fills them in). */
  credentials?: { username: string; password: string };
  /** Progress for long probes (NVRs with many channels). */
  onProgress?: (message: string) => void;
  /**
   * Also read what the device can do: per channel PTZ and detections, and its storage (what
   * `hikbridge probe` shows). Costs two requests, plus one per channel on devices with PTZ
   * control (every NVR), so the gateway's own discovery leaves it off.
   */
  capabilities?: boolean;
}

const DEFAULT_STREAM_NUMBERS = [1, 2, 3, 4];

export async function discoverDevice(
  client: IsapiClient,
  options: DiscoveryOptions = {},
): Promise<DeviceDescription> {
  const info = (await client.getXml('/ISAPI/System/deviceInfo')).node;
  const caps = (await client.optional(() => client.getXml('/ISAPI/System/capabilities')))?.node;
  const rawType = text(info, 'deviceType') ?? null;
  const model = text(info, 'model') ?? 'unknown';
  const kind = await detectKind(client, rawType, model);
  options.onProgress?.(`${model}: ${kind}`);

  const rtspPort = await readRtspPort(client);
  const listed = await listChannels(client, kind);
  const channels = selectChannels(listed, options.channelIds);
  const online = kind === 'nvr' || kind === 'dvr' ? await readProxyChannelStatus(client) : new Map();
  const rtsp = {
    host: options.rtspHost ?? hostnameOf(client),
    port: rtspPort,
    credentials: options.credentials,
  };

  const described: ChannelInfo[] = [];
  for (const channel of channels) {
    options.onProgress?.(`channel ${channel.id} (${channel.name}): reading streams`);
    const streams = await readStreams(
      client,
      channel.id,
      options.streamNumbers ?? DEFAULT_STREAM_NUMBERS,
      rtsp,
    );
    const statusOnline = online.get(channel.id);
    described.push({
      ...channel,
      online: statusOnline ?? (channel.online && (channel.source === 'local' || streams.length > 0)),
      streams,
    });
  }

  const description: DeviceDescription = {
    deviceType: kind,
    rawDeviceType: rawType,
    deviceName: text(info, 'deviceName') ?? null,
    model,
    serialNumber: text(info, 'serialNumber') ?? '',
    firmwareVersion: [text(info, 'firmwareVersion'), text(info, 'firmwareReleasedDate')]
      .filter(Boolean)
      .join(' '),
    macAddress: text(info, 'macAddress') ?? null,
    channels: described,
    twoWayAudio: await readTwoWayAudio(client, caps),
    doors: kind === 'doorbell' || kind === 'access-controller' ? await readDoorCount(client) : 0,
    alarmInputs: int(caps, 'SysCap/IOCap/IOInputPortNums') ?? int(info, 'alarmInNum') ?? 0,
    alarmOutputs: int(caps, 'SysCap/IOCap/IOOutputPortNums') ?? int(info, 'alarmOutNum') ?? 0,
    rtspPort,
  };
  if (options.capabilities) await addCapabilities(client, description, caps, options.onProgress);
  return description;
}

async function addCapabilities(
  client: IsapiClient,
  description: DeviceDescription,
  caps: XmlNode | undefined,
  onProgress: DiscoveryOptions['onProgress'],
): Promise<void> {
  onProgress?.('reading PTZ, detections and storage');
  const byChannel = await readChannelCapabilities(client, description.channels, caps);
  for (const channel of description.channels) {
    const found = byChannel.get(channel.id);
    channel.ptz = found?.ptz ?? false;
    channel.detections = found?.detections ?? [];
  }
  // Cameras and doorbells list their memory card among the disks.
  const recorder = description.deviceType === 'nvr' || description.deviceType === 'dvr';
  description.storage = await readStorage(client, { localMedia: recorder ? 'hdd' : 'sd' });
}

/** Maps the device's own type string, then its model, then its capabilities, to our kind. */
export async function detectKind(
  client: IsapiClient,
  rawType: string | null,
  model: string,
): Promise<DeviceKind> {
  const fromType = kindFromDeviceType(rawType ?? '');
  if (fromType) return fromType;
  const fromModel = kindFromModel(model);
  if (fromModel) return fromModel;
  if (await client.optional(() => client.getXml('/ISAPI/VideoIntercom/capabilities'))) return 'doorbell';
  if (await client.optional(() => client.getXml('/ISAPI/AccessControl/capabilities')))
    return 'access-controller';
  return 'camera';
}

export function kindFromDeviceType(rawType: string): DeviceKind | undefined {
  const type = rawType.toLowerCase();
  if (type.includes('nvr')) return 'nvr';
  if (type.includes('dvr') || type === 'dvs') return 'dvr';
  if (/^(vis|intercom|doorstation|villadoorstation|outdoorstation)/.test(type)) return 'doorbell';
  if (type.includes('acs') || type === 'accesscontroller') return 'access-controller';
  if (/camera|dome|ipzoom|ipc|thermal|speeddome|ptz/.test(type)) return 'camera';
  return undefined;
}

export function kindFromModel(model: string): DeviceKind | undefined {
  const m = model.toUpperCase();
  if (/^DS-K(V|D|B|IS)/.test(m)) return 'doorbell';
  if (/^DS-K(1T|2|1A|1F)/.test(m)) return 'access-controller';
  if (/^(I?DS-7[0-9]{3}N|DS-9[0-9]{3}N)/.test(m)) return 'nvr';
  if (/^I?DS-7[0-9]{3}H/.test(m)) return 'dvr';
  return undefined;
}

interface ListedChannel {
  id: number;
  name: string;
  online: boolean;
  source: 'local' | 'proxy';
  model: string | null;
}

async function listChannels(client: IsapiClient, kind: DeviceKind): Promise<ListedChannel[]> {
  const local = kind === 'nvr' ? [] : await readLocalInputs(client);
  const proxy = kind === 'nvr' || kind === 'dvr' ? await readProxyChannels(client) : [];
  const byId = new Map<number, ListedChannel>();
  for (const channel of [...local, ...proxy]) if (!byId.has(channel.id)) byId.set(channel.id, channel);
  if (byId.size === 0 && kind !== 'nvr') {
    // Cameras and doorbells that hide Video/inputs still have their one sensor.
    byId.set(1, { id: 1, name: 'Camera 1', online: true, source: 'local', model: null });
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

async function readLocalInputs(client: IsapiClient): Promise<ListedChannel[]> {
  const doc = await client.optional(() => client.getXml('/ISAPI/System/Video/inputs/channels'));
  return children(doc?.node, 'VideoInputChannel').flatMap((node) => {
    const id = int(node, 'id');
    if (id === undefined) return [];
    // DVRs describe an unplugged analog input as "NO VIDEO".
    const noVideo = /no\s*video/i.test(text(node, 'resDesc') ?? '');
    const online = bool(node, 'videoInputEnabled') !== false && !noVideo;
    return [
      { id, name: text(node, 'name') ?? `Camera ${id}`, online, source: 'local' as const, model: null },
    ];
  });
}

async function readProxyChannels(client: IsapiClient): Promise<ListedChannel[]> {
  const doc = await client.optional(() => client.getXml('/ISAPI/ContentMgmt/InputProxy/channels'));
  return children(doc?.node, 'InputProxyChannel').flatMap((node) => {
    const id = int(node, 'id');
    if (id === undefined) return [];
    const source = child(node, 'sourceInputPortDescriptor');
    return [
      {
        id,
        name: text(node, 'name') ?? `Camera ${id}`,
        online: true,
        source: 'proxy' as const,
        model: text(source, 'model') ?? null,
      },
    ];
  });
}

/** Online flags of NVR channels; empty when the firmware lacks the status endpoint. */
async function readProxyChannelStatus(client: IsapiClient): Promise<Map<number, boolean>> {
  const doc = await client.optional(() => client.getXml('/ISAPI/ContentMgmt/InputProxy/channels/status'));
  const result = new Map<number, boolean>();
  for (const node of children(doc?.node, 'InputProxyChannelStatus')) {
    const id = int(node, 'id');
    const online = bool(node, 'online');
    if (id !== undefined && online !== undefined) result.set(id, online);
  }
  return result;
}

function selectChannels(listed: ListedChannel[], wanted: number[] | undefined): ListedChannel[] {
  if (!wanted || wanted.length === 0) return listed;
  return wanted.map(
    (id) =>
      listed.find((c) => c.id === id) ?? {
        id,
        name: `Camera ${id}`,
        online: true,
        source: 'local',
        model: null,
      },
  );
}

interface RtspTarget {
  host: string;
  port: number;
  credentials: { username: string; password: string } | undefined;
}

async function readStreams(
  client: IsapiClient,
  channelId: number,
  streamNumbers: number[],
  rtsp: RtspTarget,
): Promise<StreamInfo[]> {
  const streams: StreamInfo[] = [];
  for (const streamNo of streamNumbers) {
    const id = String(channelId * 100 + streamNo);
    // A missing stream answers 400/403/404/500 depending on the model: all mean "absent".
    const doc = await client.optional(() => client.getXml(`/ISAPI/Streaming/channels/${id}`));
    if (doc?.root !== 'StreamingChannel') continue;
    streams.push(describeStream(doc.node, id, channelId, streamNo, rtsp));
  }
  return streams;
}

export function describeStream(
  node: XmlNode,
  id: string,
  channelId: number,
  streamNo: number,
  rtsp: RtspTarget,
): StreamInfo {
  const video = child(node, 'Video');
  const frameRate = int(video, 'maxFrameRate');
  return {
    id,
    channelId,
    streamNo,
    codec: normalizeCodec(text(video, 'videoCodecType')),
    width: int(video, 'videoResolutionWidth') ?? null,
    height: int(video, 'videoResolutionHeight') ?? null,
    // maxFrameRate is in hundredths of a frame per second; 0 means "full frame rate".
    fps: frameRate ? frameRate / 100 : null,
    audioCodec: bool(node, 'Audio/enabled') ? (text(node, 'Audio/audioCompressionType') ?? null) : null,
    enabled: bool(node, 'enabled') !== false && bool(video, 'enabled') !== false,
    rtspUrl: buildRtspUrl({ ...rtsp, streamId: id }),
  };
}

export function normalizeCodec(raw: string | undefined): VideoCodec | null {
  if (!raw) return null;
  const upper = raw.toUpperCase().replace(/\s+/g, '');
  if (upper === 'H264' || upper === 'H.264' || upper === 'AVC') return 'H.264';
  if (upper === 'H265' || upper === 'H.265' || upper === 'HEVC') return 'H.265';
  if (upper === 'MJPEG' || upper === 'MJPG') return 'MJPEG';
  return raw;
}

async function readRtspPort(client: IsapiClient): Promise<number> {
  const doc = await client.optional(() => client.getXml('/ISAPI/Security/adminAccesses'));
  for (const node of children(doc?.node, 'AdminAccessProtocol')) {
    if (text(node, 'protocol')?.toUpperCase() === 'RTSP' && bool(node, 'enabled') !== false) {
      return int(node, 'portNo') ?? 554;
    }
  }
  return 554;
}

async function readTwoWayAudio(
  client: IsapiClient,
  caps: XmlNode | undefined,
): Promise<TwoWayAudioInfo | null> {
  if (int(caps, 'voicetalkNums') === 0) return null;
  const doc = await client.optional(() => client.getXml('/ISAPI/System/TwoWayAudio/channels'));
  const first = children(doc?.node, 'TwoWayAudioChannel').find((node) => bool(node, 'enabled') !== false);
  const channelId = int(first, 'id');
  if (channelId === undefined) return null;
  return { channelId, codec: text(first, 'audioCompressionType') ?? 'unknown' };
}

async function readDoorCount(client: IsapiClient): Promise<number> {
  const doc = await client.optional(() =>
    client.getXml('/ISAPI/AccessControl/RemoteControl/door/capabilities'),
  );
  const max = attr(doc?.node, 'doorNo', 'max');
  return max !== undefined && /^\d+$/.test(max) ? Number(max) : 0;
}

function hostnameOf(client: IsapiClient): string {
  return new URL(client.baseUrl).hostname;
}
