/**
 * What each channel of a device can do: whether it has PTZ, and which detections the device
 * lists for it. Read-only, for `hikbridge probe` and the device-control parts.
 *
 * - Detections come from `Event/triggers`: one trigger per event type and channel
 *   (`videoInputChannelID`, or `dynVideoInputChannelID` on NVRs). Device-level exceptions
 *   (disk full, network down, illegal login...) and alarm inputs are triggers too, often
 *   carrying channel 1 on cameras; they are not detections and are left out.
 * - PTZ: the device's `System/capabilities` names a `PTZCtrlCap` when it can drive PTZ at all
 *   (PTZ cameras; NVRs and DVRs too, as they relay PTZ to whatever is connected). Only then
 *   is each channel asked: `PTZCtrl/channels/{id}/capabilities` for the device's own inputs,
 *   `ContentMgmt/PTZCtrlProxy/channels/{id}/capabilities` for IP cameras behind an NVR. A
 *   channel has PTZ when that answer offers a way to move (a pan/tilt or zoom space). Without
 *   `PTZCtrlCap` no channel is asked, which keeps the probe of a fixed camera as short as before.
 */
import type { IsapiClient } from './client.ts';
import { parsePtzCapabilities } from './ptz.ts';
import { bool, children, int, text, type XmlNode, type XmlValue } from './xml.ts';

export interface ChannelCapabilities {
  ptz: boolean;
  /** The device's event types for this channel, lower-cased, de-duplicated, sorted (`vmd`, `linedetection`...). */
  detections: string[];
}

/** The part of a channel the capability reads need (discovery's ChannelInfo fits). */
export interface ChannelRef {
  id: number;
  /** `local`: the device's own input; `proxy`: an IP camera behind an NVR/DVR. */
  source: 'local' | 'proxy';
}

const TRIGGERS_PATH = '/ISAPI/Event/triggers';

/**
 * Trigger event types (lower-cased) that are not a channel's detection: device exceptions and
 * alarm inputs, as the captured cameras, NVRs and the DVR list them.
 */
const NOT_DETECTIONS: ReadonlySet<string> = new Set([
  'io', // alarm input (cameras tie it to channel 1)
  'softio', // NVR software alarm input
  'diskfull',
  'diskerror',
  'nicbroken',
  'ipconflict',
  'illaccess',
  'recordingfailure',
  'badvideo', // "video signal exception": a device exception, not something to switch per channel
  'videomismatch',
  'storagedetection', // memory card / disk health, not the picture
]);

/** Capabilities per channel id, for the given channels; one `Event/triggers` read, PTZ asked only when the device has it. */
export async function readChannelCapabilities(
  client: IsapiClient,
  channels: ChannelRef[],
  deviceCapabilities?: XmlNode,
): Promise<Map<number, ChannelCapabilities>> {
  const triggers = await readEventTriggers(client);
  const detections = detectionsByChannel(triggers);
  const mayHavePtz = deviceHasPtzControl(deviceCapabilities);
  const result = new Map<number, ChannelCapabilities>();
  for (const channel of channels) {
    // One channel at a time: devices have few connections to spare.
    const ptz = mayHavePtz ? await channelHasPtz(client, channel) : false;
    result.set(channel.id, { ptz, detections: detections.get(channel.id) ?? [] });
  }
  return result;
}

/** The device's trigger list, or undefined when it has none (404) or the user may not read it. */
export async function readEventTriggers(client: IsapiClient): Promise<XmlNode | undefined> {
  return (await client.optional(() => client.getXml(TRIGGERS_PATH)))?.node;
}

/** Detections per channel id from an `EventTriggerList` (see NOT_DETECTIONS for what is left out). */
export function detectionsByChannel(triggerList: XmlNode | undefined): Map<number, string[]> {
  const found = new Map<number, Set<string>>();
  for (const trigger of children(triggerList, 'EventTrigger')) {
    const eventType = text(trigger, 'eventType')?.trim().toLowerCase();
    if (!eventType || NOT_DETECTIONS.has(eventType)) continue;
    for (const channelId of channelsOf(trigger)) {
      const types = found.get(channelId) ?? new Set<string>();
      types.add(eventType);
      found.set(channelId, types);
    }
  }
  return new Map([...found].map(([id, types]) => [id, [...types].sort()]));
}

/** A trigger's channel: `videoInputChannelID` (cameras, DVR inputs) or `dynVideoInputChannelID` (NVR IP channels). */
function channelsOf(trigger: XmlNode): number[] {
  const ids = [int(trigger, 'videoInputChannelID'), int(trigger, 'dynVideoInputChannelID')];
  return [...new Set(ids.filter((id): id is number => id !== undefined))];
}

/**
 * Whether `System/capabilities` says the device can drive PTZ at all: its `isSupportPTZ` when it
 * gives one, else a `PTZCtrlCap` anywhere (DeviceCap/PTZCtrlCap on cameras, deeper on some NVRs).
 */
export function deviceHasPtzControl(capabilities: XmlNode | undefined): boolean {
  if (!capabilities) return false;
  const said = bool(capabilities, 'SysCap/isSupportPTZ') ?? bool(capabilities, 'isSupportPTZ');
  return said ?? containsElement(capabilities, 'PTZCtrlCap', 6);
}

function containsElement(node: XmlNode, name: string, depth: number): boolean {
  if (name in node) return true;
  if (depth === 0) return false;
  return Object.entries(node).some(
    ([key, value]) =>
      !key.startsWith('@') && key !== '#text' && someNode(value, (n) => containsElement(n, name, depth - 1)),
  );
}

function someNode(value: XmlValue, test: (node: XmlNode) => boolean): boolean {
  if (typeof value === 'string') return false;
  if (Array.isArray(value)) return value.some((item) => someNode(item, test));
  return test(value);
}

/** The capabilities path of a channel's PTZ: the device's own, or the NVR's proxy for an IP camera. */
export function ptzCapabilitiesPath(channel: ChannelRef): string {
  return channel.source === 'proxy'
    ? `/ISAPI/ContentMgmt/PTZCtrlProxy/channels/${channel.id}/capabilities`
    : `/ISAPI/PTZCtrl/channels/${channel.id}/capabilities`;
}

/** Asks the channel's PTZ capabilities; absent, forbidden or refused means no PTZ. */
export async function channelHasPtz(client: IsapiClient, channel: ChannelRef): Promise<boolean> {
  const doc = await client.optional(() => client.getXml(ptzCapabilitiesPath(channel)));
  return doc !== undefined && offersPtzMovement(doc.node);
}

/**
 * A PTZ capabilities answer (`PTZChanelCap`, Hikvision's spelling) that offers continuous pan/tilt
 * or zoom, which is what hikbridge's PTZ control drives (probe and control agree). Presets alone
 * do not count: some fixed cameras list a preset table they cannot drive.
 */
export function offersPtzMovement(capabilities: XmlNode): boolean {
  // The same rule the PTZ control applies: something it can move continuously.
  return parsePtzCapabilities(capabilities) !== undefined;
}
