/** Small helpers to read and build xmltodict-style dicts. */
import type { FixtureEntry, FixtureIsapi, XmlDict, XmlValue } from './types.ts';

export function isDict(value: XmlValue | undefined): value is XmlDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows keys through nested dicts; undefined as soon as one is missing. */
export function dig(value: XmlValue | undefined, ...keys: string[]): XmlValue | undefined {
  let current = value;
  for (const key of keys) {
    if (!isDict(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Text of a leaf (plain value or `#text`), undefined for containers. */
export function text(value: XmlValue | undefined): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (isDict(value) && value['#text'] !== undefined) return String(value['#text']);
  return undefined;
}

/** A repeated element as an array whether it occurred once or many times. */
export function asList(value: XmlValue | undefined): XmlValue[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function responseOf(entry: FixtureEntry | undefined): XmlDict | undefined {
  return entry && 'response' in entry ? entry.response : undefined;
}

/** The root element of a served document (e.g. the DeviceInfo dict). */
export function rootOf(isapi: FixtureIsapi, path: string): XmlDict | undefined {
  const doc = responseOf(isapi[path]);
  const root = doc ? Object.values(doc)[0] : undefined;
  return isDict(root) ? root : undefined;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}
