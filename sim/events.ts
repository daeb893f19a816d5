/**
 * Bodies of alertStream parts, shaped like the real captures: XML EventNotificationAlert v2.0
 * (test/fixtures/alerts/*.xml), the v1.0 psialliance PIR body, and the doorbell's JSON parts
 * (test/fixtures/doorbell/.../historical_alert_stream.json).
 */
import type { DeviceClock } from './clock.ts';
import type { DeviceModel } from './device-model.ts';
import { clone } from './dict.ts';
import { doorbellData } from './profiles/data/doorbell-data.ts';
import type { SimAccessEvent, SimAlarmEvent, SmartTarget, XmlDict } from './types.ts';
import { JSON_CONTENT_TYPE, NS_PSIA, toXml, XML_CONTENT_TYPE } from './xml.ts';

export interface Part {
  contentType: string;
  body: Buffer;
}

export interface EventSource {
  model: DeviceModel;
  host: string;
  port: number;
  https: boolean;
  snapshot: Buffer;
  /** The device's clock: every `dateTime` is its time, offset included. */
  clock: DeviceClock;
}

export interface PartFlags {
  emptyActivePostCount?: boolean;
  bareAmpersand?: boolean;
}

export const SMART_TYPES = new Set(['linedetection', 'fielddetection', 'regionEntrance', 'regionExiting']);

const DESCRIPTIONS: Record<string, string> = { VMD: 'Motion alarm', IO: 'IO alarm', PIR: 'PIR alarm' };

// Region and target boxes of the real fielddetection captures.
const REGION: XmlDict = {
  RegionCoordinates: [
    { positionX: '572', positionY: '100' },
    { positionX: '572', positionY: '995' },
    { positionX: '999', positionY: '998' },
    { positionX: '992', positionY: '210' },
  ],
};
const TARGET_RECTS: Record<SmartTarget, XmlDict> = {
  human: { X: '0.6', Y: '0.215278', width: '0.135937', height: '0.505556' },
  vehicle: { X: '0.779688', Y: '0.409722', width: '0.209375', height: '0.459722' },
};

function description(type: string): string {
  return DESCRIPTIONS[type] ?? `${type} alarm`;
}

function detectionRegions(targets: SmartTarget[]): XmlDict {
  return {
    DetectionRegionEntry: targets.map((target, index) => ({
      regionID: String(index + 1),
      sensitivityLevel: '50',
      RegionCoordinatesList: clone(REGION),
      detectionTarget: target,
      TargetRect: clone(TARGET_RECTS[target]),
    })),
  };
}

function withBareAmpersand(xml: string, flags: PartFlags): string {
  if (!flags.bareAmpersand) return xml;
  // Seen in the field: an unescaped '&' in free text. Clients must not choke on it.
  return xml.replace(
    /<eventDescription>([^<]*)<\/eventDescription>/,
    '<eventDescription>$1 & more</eventDescription>',
  );
}

function xmlPart(doc: XmlDict, flags: PartFlags): Part {
  return { contentType: XML_CONTENT_TYPE, body: Buffer.from(withBareAmpersand(toXml(doc), flags)) };
}

function alarmV2(event: SimAlarmEvent, source: EventSource, count: number, flags: PartFlags): Part {
  const { model } = source;
  const channel = event.channel ?? 1;
  const alert: XmlDict = {
    '@version': '2.0',
    '@xmlns': model.namespace,
    ipAddress: source.host,
    portNo: String(source.port),
    protocol: source.https ? 'HTTPS' : 'HTTP',
    macAddress: model.macAddress,
    channelID: String(channel),
  };
  if (model.profile.kind === 'nvr') alert.dynChannelID = String(channel);
  Object.assign(alert, {
    dateTime: source.clock.localDateTime(),
    activePostCount: flags.emptyActivePostCount ? null : String(count),
    eventType: event.type,
    eventState: event.state ?? 'active',
    eventDescription: event.description ?? description(event.type),
  });
  if (event.type === 'IO') alert.inputIOPortID = String(event.ioPort ?? 1);
  if (event.targets?.length) alert.DetectionRegionList = detectionRegions(event.targets);
  alert.channelName = model.channelName(channel);
  if (event.type === 'duration') {
    alert.DurationList = { Duration: { relationEvent: event.relationEvent ?? 'fielddetection' } };
  }
  if (wantsImage(event)) {
    alert.detectionPictureTransType = 'binary';
    alert.detectionPicturesNumber = '1';
  }
  if (SMART_TYPES.has(event.type) || event.type === 'duration') alert.isDataRetransmission = 'false';
  return xmlPart({ EventNotificationAlert: alert }, flags);
}

/** The old psialliance v1.0 schema (captured from a DS-2CD2443G0-IW PIR alarm). */
function alarmV1(event: SimAlarmEvent, source: EventSource, count: number, flags: PartFlags): Part {
  const { model } = source;
  const channel = event.channel ?? 1;
  const dateTime = source.clock.localDateTime();
  const ext = 'urn:selfextension:psiaext-ver10-xsd';
  const alert: XmlDict = {
    '@version': '1.0',
    '@xmlns': NS_PSIA,
    ipAddress: source.host,
    protocolType: source.https ? 'HTTPS' : 'HTTP',
    macAddress: model.macAddress,
    channelID: String(channel),
    dateTime,
    activePostCount: flags.emptyActivePostCount ? null : String(count),
    eventType: event.type,
    eventState: event.state ?? 'active',
    eventDescription: event.description ?? description(event.type),
    channelName: model.channelName(channel),
    Extensions: {
      '@version': '1.0',
      '@xmlns': NS_PSIA,
      serialNumber: { '@xmlns': ext, '#text': model.serialNumber },
      eventPush: {
        '@xmlns': ext,
        '#text': `${event.type}&&${model.serialNumber},${dateTime},${channel},1.0`,
      },
    },
  };
  return xmlPart({ EventNotificationAlert: alert }, flags);
}

export function wantsImage(event: SimAlarmEvent): boolean {
  return event.image ?? (SMART_TYPES.has(event.type) && (event.targets?.length ?? 0) > 0);
}

function jsonPart(value: unknown): Part {
  return { contentType: JSON_CONTENT_TYPE, body: Buffer.from(JSON.stringify(value)) };
}

/** Doorbells send every part as JSON, in the captured field order. */
function alarmJson(event: SimAlarmEvent, source: EventSource, count: number): Part {
  const part = clone(doorbellData.alertStreamParts[0]) as Record<string, unknown>;
  Object.assign(part, {
    ipAddress: source.host,
    portNo: source.port,
    protocol: source.https ? 'HTTPS' : 'HTTP',
    channelID: event.channel ?? 1,
    dateTime: source.clock.localDateTime(),
    activePostCount: count,
    eventType: event.type,
    eventState: event.state ?? 'active',
    eventDescription: event.description ?? description(event.type),
  });
  return jsonPart(part);
}

export function accessControllerPart(event: SimAccessEvent, source: EventSource, serialNo: number): Part {
  const part = clone(doorbellData.alertStreamParts[1]) as Record<string, unknown>;
  const detail: Record<string, unknown> = {
    deviceName: source.model.deviceName,
    majorEventType: event.major,
    subEventType: event.minor,
  };
  if (event.door !== undefined) detail.doorNo = event.door;
  detail.serialNo = serialNo;
  detail.currentEvent = event.currentEvent ?? true;
  Object.assign(part, {
    ipAddress: source.host,
    portNo: source.port,
    protocol: source.https ? 'HTTPS' : 'HTTP',
    dateTime: source.clock.localDateTime(),
    eventDescription: 'Access Controller Event',
    AccessControllerEvent: detail,
  });
  return jsonPart(part);
}

/** Parts of one alarm event: the notification, then the detection picture when wanted. */
export function alarmParts(
  event: SimAlarmEvent,
  source: EventSource,
  count: number,
  flags: PartFlags,
): Part[] {
  if (source.model.profile.kind === 'doorbell') return [alarmJson(event, source, count)];
  const v1 = event.schema === 'v1' || (event.schema === undefined && event.type === 'PIR');
  const parts = [v1 ? alarmV1(event, source, count, flags) : alarmV2(event, source, count, flags)];
  if (wantsImage(event)) parts.push({ contentType: 'image/jpeg', body: source.snapshot });
  return parts;
}

/** The videoloss/inactive keep-alive most devices send every few seconds. */
export function heartbeatPart(source: EventSource, flags: PartFlags): Part {
  const event: SimAlarmEvent = { type: 'videoloss', state: 'inactive', channel: 1, image: false };
  if (source.model.profile.kind === 'doorbell') return alarmJson(event, source, 1);
  return alarmV2(event, source, 0, flags);
}
