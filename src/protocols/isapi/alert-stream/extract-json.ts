/**
 * JSON alert parts (doorbells, access control) -> RawAlert. The top-level object carries the
 * same names as the XML form (notes/isapi.md; captures in fixtures/doorbell/.../alert_stream.json);
 * `{"EventNotificationAlert": {...}}` wrapping is accepted too. Values may be numbers or strings.
 */

import type { Extracted } from './extract-xml.ts';
import { clip, EXTRA_FIELDS, emptyAlert, toBool, toFloat, toInt, toText } from './fields.ts';
import type { AccessEventInfo, DetectionInfo } from './types.ts';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One value or a list of them, as JSON renderings of repeated XML elements come either way. */
function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function extractJson(text: string): Extracted {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Stray bytes after a complete object (a part read up to its delimiter): keep the object.
    const end = objectEnd(text);
    if (end < 0) return { failure: 'truncated', detail: `invalid JSON: ${(error as Error).message}` };
    try {
      value = JSON.parse(text.slice(0, end));
    } catch {
      return { failure: 'malformed', detail: `invalid JSON: ${(error as Error).message}` };
    }
  }
  if (isObj(value) && isObj(value.EventNotificationAlert)) value = value.EventNotificationAlert;
  if (!isObj(value)) return { failure: 'malformed', detail: 'the JSON part is not an object' };
  const eventType = toText(value.eventType);
  if (eventType === null) return { failure: 'malformed', detail: 'the JSON alert has no eventType' };
  return { alert: fromObject(value, eventType) };
}

/** End of the first top-level JSON object in text (strings respected), -1 when it is not closed. */
function objectEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = text.indexOf('{'); i >= 0 && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // an escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return i + 1;
  }
  return -1;
}

function fromObject(o: Obj, eventType: string) {
  const alert = emptyAlert('json');
  alert.eventType = eventType;
  alert.relationEvent = relationEvent(o.DurationList);
  alert.eventState = toText(o.eventState)?.toLowerCase() ?? 'active';
  alert.channelId = toInt(o.channelID) ?? toInt(o.dynChannelID);
  alert.inputPortId = toInt(o.inputIOPortID) ?? toInt(o.dynInputIOPortID);
  alert.dateTime = toText(o.dateTime);
  alert.activePostCount = toInt(o.activePostCount);
  alert.description = toText(o.eventDescription);
  alert.channelName = toText(o.channelName);
  alert.ipAddress = toText(o.ipAddress);
  alert.macAddress = toText(o.macAddress);
  alert.detections = detections(o.DetectionRegionList);
  alert.access = access(o.AccessControllerEvent);
  alert.extra = extras(o);
  return alert;
}

function relationEvent(durations: unknown): string | null {
  const holder = isObj(durations) ? durations.Duration : durations;
  for (const item of list(holder)) {
    const relation = isObj(item) ? toText(item.relationEvent) : null;
    if (relation !== null) return relation;
  }
  return null;
}

function detections(regions: unknown): DetectionInfo[] {
  const entries = isObj(regions) ? regions.DetectionRegionEntry : regions;
  const out: DetectionInfo[] = [];
  for (const entry of list(entries)) {
    if (!isObj(entry)) continue;
    out.push({
      regionId: toInt(entry.regionID),
      target: toText(entry.detectionTarget)?.toLowerCase() ?? null,
      rect: rect(entry.TargetRect),
    });
  }
  return out;
}

function rect(value: unknown): DetectionInfo['rect'] {
  if (!isObj(value)) return null;
  const x = toFloat(value.X);
  const y = toFloat(value.Y);
  const width = toFloat(value.width);
  const height = toFloat(value.height);
  return x === null || y === null || width === null || height === null ? null : { x, y, width, height };
}

function access(value: unknown): AccessEventInfo | null {
  if (!isObj(value)) return null;
  const major = toInt(value.majorEventType);
  const minor = toInt(value.subEventType);
  if (major === null || minor === null) return null;
  return {
    major,
    minor,
    door: toInt(value.doorNo),
    serialNo: toInt(value.serialNo),
    currentEvent: toBool(value.currentEvent),
    cardNo: toText(value.cardNo),
    name: toText(value.name),
  };
}

/** Whitelisted scalars from the top level, then from the access-control detail. */
function extras(o: Obj): Record<string, string> {
  const out: Record<string, string> = {};
  const detail = isObj(o.AccessControllerEvent) ? o.AccessControllerEvent : undefined;
  for (const name of EXTRA_FIELDS) {
    const text = toText(o[name]) ?? (detail ? toText(detail[name]) : null);
    if (text !== null) out[name] = clip(text);
  }
  return out;
}
