/**
 * What MediaMTX should serve, derived from the store: one on-demand path per stream of every
 * enabled camera channel. Path names are stable: a camera gets a slug once (from its name) and
 * keeps it when it is renamed, so embedded players and bookmarks keep working.
 */
import type { ChannelRecord, DeviceRecord, Store, StreamRecord } from '../../core/store/types.ts';
import { buildRtspUrl } from '../../protocols/isapi/rtsp.ts';
import { cameraPath, type PathConfig, rtmpPath, slugify } from '../../protocols/mediamtx/config.ts';

/** Settings key holding `{channelId: slug}`; the store is the single owner of path names. */
export const PATH_NAMES_KEY = 'media.pathNames';

/** Path prefix of two-way audio sessions (browsers publish their microphone there). */
export const TALK_PREFIX = 'talk/';

export interface PathTuning {
  rtspTransport: 'tcp' | 'udp' | 'automatic';
  startTimeoutSeconds: number;
  closeAfterSeconds: number;
}

/**
 * A camera that is not a device's channel (a cloud camera): one stream, whose path config its
 * module decides. Named, listed and served like any channel's stream.
 */
export interface ExternalCamera {
  channelId: string;
  /** Stands for the device in contact holds; the cloud account's id. */
  ownerId: string;
  /** What the path name is made of, once (a rename keeps the path, like a device's). */
  name: string;
  createdAt: string;
  stream: StreamRecord;
  /** Where MediaMTX gets it (an RTMP URL); null = no path now (no live URL, disabled, removed). */
  source: string | null;
}

export interface StreamPath {
  name: string;
  deviceId: string;
  channelId: string;
  stream: StreamRecord;
  config: PathConfig;
  /** The stream number the user chose for the channel (channel, else device setting), if any. */
  preferredStream: number | null;
}

/** `main`, `sub`, `third`, then `stream4`... as people call Hikvision's stream numbers. */
export function streamSuffix(streamNo: number): string {
  return ['main', 'sub', 'third'][streamNo - 1] ?? `stream${streamNo}`;
}

/** The camera part of a path name for a channel, before uniqueness is ensured. */
function baseSlug(device: DeviceRecord, channel: ChannelRecord, channelsOfDevice: number): string {
  // A single-channel device is "the camera"; NVR channels are named after the channel.
  if (channelsOfDevice <= 1) return slugify(device.name);
  return slugify(`${device.name} ${channel.name || `channel ${channel.channelNo}`}`);
}

/**
 * Gives every channel without a name one, keeping existing names; names of channels that no
 * longer exist are released. Returns the map and whether it changed (then the caller saves it).
 */
export function assignPathNames(
  existing: Record<string, string>,
  devices: DeviceRecord[],
  channels: ChannelRecord[],
  external: ExternalCamera[] = [],
): { names: Record<string, string>; changed: boolean } {
  const live = new Set([...channels.map((channel) => channel.id), ...external.map((each) => each.channelId)]);
  const names: Record<string, string> = {};
  let changed = false;
  for (const [channelId, slug] of Object.entries(existing)) {
    if (live.has(channelId)) names[channelId] = slug;
    else changed = true;
  }
  const taken = new Set(Object.values(names));
  const byDevice = new Map(devices.map((device) => [device.id, device]));
  const countByDevice = new Map<string, number>();
  for (const channel of channels)
    countByDevice.set(channel.deviceId, (countByDevice.get(channel.deviceId) ?? 0) + 1);
  const wanted: Array<{ id: string; createdAt: string; base: () => string | undefined }> = [
    ...channels.map((channel) => ({
      id: channel.id,
      createdAt: channel.createdAt,
      base: () => {
        const device = byDevice.get(channel.deviceId);
        return device && baseSlug(device, channel, countByDevice.get(channel.deviceId) ?? 1);
      },
    })),
    ...external.map((camera) => ({
      id: camera.channelId,
      createdAt: camera.createdAt,
      base: () => slugify(camera.name),
    })),
  ];
  // Stable order: the same store gives the same names on every instance.
  wanted.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  for (const { id, base: baseOf } of wanted) {
    if (names[id]) continue;
    const base = baseOf();
    if (!base) continue;
    let slug = base;
    // `talk` itself is the prefix of talk-session paths (`talk/<id>`); `talk-2` is fine.
    for (let suffix = 2; taken.has(slug) || slug === 'talk'; suffix += 1) slug = `${base}-${suffix}`;
    names[id] = slug;
    taken.add(slug);
    changed = true;
  }
  return { names, changed };
}

/** The RTSP source of a stream, with the device's credentials (never shown to viewers). */
export function streamSource(device: DeviceRecord, stream: StreamRecord): string {
  return buildRtspUrl({
    host: device.host,
    port: device.rtspPort,
    streamId: stream.id,
    credentials: { username: device.username, password: device.password },
  });
}

/**
 * The stream a live-wall tile plays, which a kept-warm channel keeps running: the first H.264
 * stream other than the main one (the sub stream), else the first H.264 one, else the first.
 */
export function wallStream(streams: StreamRecord[]): StreamRecord | undefined {
  const h264 = streams.filter((s) => s.codec === 'H.264');
  return h264.find((s) => s.streamNo !== 1) ?? h264[0] ?? streams[0];
}

export function desiredStreamPaths(
  devices: DeviceRecord[],
  channels: ChannelRecord[],
  names: Record<string, string>,
  tuning: PathTuning,
): StreamPath[] {
  const byDevice = new Map(devices.map((device) => [device.id, device]));
  const paths: StreamPath[] = [];
  for (const channel of channels) {
    const device = byDevice.get(channel.deviceId);
    const slug = names[channel.id];
    if (!device?.enabled || !channel.enabled || !slug) continue;
    const warm = channel.keepWarm ? wallStream(channel.streams) : undefined;
    for (const stream of channel.streams) {
      paths.push({
        name: `${slug}/${streamSuffix(stream.streamNo)}`,
        deviceId: device.id,
        channelId: channel.id,
        stream,
        config: cameraPath({ source: streamSource(device, stream), ...tuning, alwaysOn: stream === warm }),
        preferredStream: channel.defaultStream ?? device.defaultStream ?? null,
      });
    }
  }
  return paths;
}

export function externalStreamPaths(
  external: ExternalCamera[],
  names: Record<string, string>,
  tuning: PathTuning,
): StreamPath[] {
  const paths: StreamPath[] = [];
  for (const camera of external) {
    const slug = names[camera.channelId];
    if (!slug || !camera.source) continue;
    paths.push({
      name: `${slug}/${streamSuffix(camera.stream.streamNo)}`,
      deviceId: camera.ownerId,
      channelId: camera.channelId,
      stream: camera.stream,
      config: /^rtmps?:/i.test(camera.source)
        ? rtmpPath({ source: camera.source, ...tuning })
        : cameraPath({ source: camera.source, ...tuning }),
      preferredStream: null,
    });
  }
  return paths;
}

/**
 * Reads the store and returns the desired paths, saving newly assigned names. External cameras
 * (cloud) are named in the same space, so no two paths ever share a name.
 */
export async function loadStreamPaths(
  store: Store,
  tuning: PathTuning,
  external: ExternalCamera[] = [],
): Promise<StreamPath[]> {
  const [devices, channels, stored] = await Promise.all([
    store.devices.list(),
    store.channels.list(),
    store.settings.get<Record<string, string>>(PATH_NAMES_KEY),
  ]);
  const { names, changed } = assignPathNames(stored ?? {}, devices, channels, external);
  if (changed) await store.settings.set(PATH_NAMES_KEY, names);
  return [
    ...desiredStreamPaths(devices, channels, names, tuning),
    ...externalStreamPaths(external, names, tuning),
  ];
}
