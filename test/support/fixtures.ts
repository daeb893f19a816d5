/**
 * Where the real captures live (test/fixtures, see its README for where each came from), and
 * expectations derived from the device captures, so tests check discovery against what each
 * device really answered instead of numbers typed by hand.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** test/fixtures: the captures, inside the repository so that any clone runs its tests. */
export const FIXTURES = new URL('../fixtures/', import.meta.url);
/** Real EventNotificationAlert and snapshot-error bodies. */
export const ALERT_FIXTURES = new URL('alerts/', FIXTURES);
/** Doorbell captures (one JSON file per exchange). */
export const DOORBELL_FIXTURES = new URL('doorbell/', FIXTURES);
/** Device captures in the {"data": {"ISAPI": {...}}} format, as a directory path. */
export const DEVICE_FIXTURE_DIR = fileURLToPath(new URL('devices/', FIXTURES));

type Dict = Record<string, unknown>;
interface FixtureEntry {
  response?: Dict;
  status_code?: number;
}

export interface ExpectedStream {
  id: string;
  codec: string;
  width: number;
  height: number;
}
export interface ExpectedChannel {
  id: number;
  name: string;
  /** Cameras/DVR inputs: from the captured video inputs. NVR channels: the simulator's rule. */
  online: boolean;
  streams: ExpectedStream[];
}
export interface ExpectedDevice {
  model: string;
  deviceType: 'camera' | 'nvr' | 'dvr';
  serialNumber: string;
  channels: ExpectedChannel[];
  alarmInputs: number;
  alarmOutputs: number;
}

export function loadFixture(path: string): Record<string, FixtureEntry> {
  return (JSON.parse(readFileSync(path, 'utf8')) as { data: { ISAPI: Record<string, FixtureEntry> } }).data
    .ISAPI;
}

function list(value: unknown): Dict[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Dict[];
}

function root(entry: FixtureEntry | undefined, name: string): Dict | undefined {
  return entry?.response?.[name] as Dict | undefined;
}

const KINDS: Record<string, ExpectedDevice['deviceType']> = { IPCamera: 'camera', NVR: 'nvr', DVR: 'dvr' };

export function expectedFromFixture(path: string): ExpectedDevice {
  const isapi = loadFixture(path);
  const info = root(isapi['System/deviceInfo'], 'DeviceInfo')!;
  const deviceType = KINDS[info.deviceType as string];
  if (!deviceType) throw new Error(`fixture ${path} has an unexpected deviceType ${String(info.deviceType)}`);

  const streamsByChannel = new Map<number, ExpectedStream[]>();
  for (const [key, entry] of Object.entries(isapi)) {
    const match = /^Streaming\/channels\/(\d+)$/.exec(key);
    const channel = root(entry, 'StreamingChannel');
    if (!match || !channel) continue;
    const video = channel.Video as Dict;
    const id = match[1]!;
    const channelId = Math.floor(Number(id) / 100);
    const streams = streamsByChannel.get(channelId) ?? [];
    streams.push({
      id,
      codec: video.videoCodecType as string,
      width: Number(video.videoResolutionWidth),
      height: Number(video.videoResolutionHeight),
    });
    streamsByChannel.set(channelId, streams);
  }

  const channels = new Map<number, ExpectedChannel>();
  if (deviceType !== 'nvr') {
    for (const input of list(
      root(isapi['System/Video/inputs/channels'], 'VideoInputChannelList')?.VideoInputChannel,
    )) {
      const id = Number(input.id);
      const online = input.videoInputEnabled !== 'false' && !/NO VIDEO/i.test(String(input.resDesc ?? ''));
      channels.set(id, { id, name: String(input.name), online, streams: [] });
    }
  }
  if (deviceType !== 'camera') {
    for (const proxy of list(
      root(isapi['ContentMgmt/InputProxy/channels'], 'InputProxyChannelList')?.InputProxyChannel,
    )) {
      const id = Number(proxy.id);
      if (channels.has(id)) continue;
      // No capture has the NVR channel status: `online` here is the simulator's invented rule
      // (online when at least one stream of the channel answers), not what the device said.
      channels.set(id, { id, name: String(proxy.name), online: streamsByChannel.has(id), streams: [] });
    }
  }
  for (const channel of channels.values()) {
    channel.streams = (streamsByChannel.get(channel.id) ?? []).sort((a, b) => a.id.localeCompare(b.id));
  }

  const ioCap = ((root(isapi['System/capabilities'], 'DeviceCap')?.SysCap as Dict | undefined)?.IOCap ??
    {}) as Dict;
  return {
    model: info.model as string,
    deviceType,
    serialNumber: info.serialNumber as string,
    channels: [...channels.values()].sort((a, b) => a.id - b.id),
    alarmInputs: Number(ioCap.IOInputPortNums ?? 0),
    alarmOutputs: Number(ioCap.IOOutputPortNums ?? 0),
  };
}
