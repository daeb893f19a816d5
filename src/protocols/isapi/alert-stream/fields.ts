/** Shared by the XML and JSON extractors: the empty alert, number parsing, the extra-field whitelist. */
import type { RawAlert } from './types.ts';

/**
 * Other scalar fields worth keeping, by local element / JSON key name. Seen in the captures:
 * portNo, protocol(Type), ipv6Address, detectionPicture*, isDataRetransmission, serialNumber,
 * deviceName. The ANPR ones (licensePlate, plateColor, vehicleType, confidenceLevel) come from
 * public integrations, not from a capture here. A fixed list keeps `extra` bounded.
 */
// At most 30 names: the XML extractor keeps one bit per name.
export const EXTRA_FIELDS: readonly string[] = [
  'portNo',
  'protocol',
  'protocolType',
  'ipv6Address',
  'detectionPictureTransType',
  'detectionPicturesNumber',
  'isDataRetransmission',
  'serialNumber',
  'deviceName',
  'licensePlate',
  'plateColor',
  'vehicleType',
  'confidenceLevel',
  'currentVerifyMode',
];

/** Longest value kept in `extra` (a device must not be able to grow our events without bound). */
export const MAX_EXTRA_VALUE = 256;

/** Every alert is built with the same field order so V8 keeps one object shape. */
export function emptyAlert(format: RawAlert['format']): RawAlert {
  return {
    format,
    eventType: '',
    relationEvent: null,
    eventState: 'active',
    channelId: null,
    inputPortId: null,
    dateTime: null,
    activePostCount: null,
    description: null,
    channelName: null,
    ipAddress: null,
    macAddress: null,
    detections: [],
    access: null,
    extra: {},
  };
}

/** An integer, or null for empty / non-numeric text (e.g. a redacted "REDACTED"). */
export function toInt(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  const n = Number(text);
  return Number.isInteger(n) ? n : null;
}

export function toFloat(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

export function toBool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/** Non-empty trimmed text or null. */
export function toText(value: unknown): string | null {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return null;
  const text = value.trim();
  return text === '' ? null : text;
}

export function clip(value: string): string {
  return value.length > MAX_EXTRA_VALUE ? value.slice(0, MAX_EXTRA_VALUE) : value;
}
