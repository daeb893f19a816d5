/** Profiles read from device capture files (the test/fixtures/devices format). */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDict, rootOf, text } from '../dict.ts';
import type { DeviceKind, FixtureIsapi, SimProfile, XmlDict } from '../types.ts';

/**
 * The repository's device captures (test/fixtures/devices), where fixture names are looked up.
 * The built-in profiles never read it: they carry their own data (data/*.ts), so `hikbridge sim`
 * works without the test tree; names and paths of captures are an extra for a checkout.
 */
export const FIXTURE_DIR = fileURLToPath(new URL('../../test/fixtures/devices/', import.meta.url));

export function listFixtureProfiles(): string[] {
  try {
    return readdirSync(FIXTURE_DIR)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .map((name) => join(FIXTURE_DIR, name));
  } catch {
    return []; // the captures are a test resource: absent where only the product was copied
  }
}

/** Device kind from DeviceInfo: deviceType first, model prefix for intercoms. */
export function kindOf(deviceInfo: XmlDict | undefined): DeviceKind {
  const type = (text(deviceInfo?.deviceType) ?? '').toUpperCase();
  const model = (text(deviceInfo?.model) ?? '').toUpperCase();
  if (type.includes('NVR')) return 'nvr'; // NVR, HybirdNVR (sic), HybridNVR
  if (type === 'DVR' || type === 'DVS') return 'dvr';
  if (type === 'VIS' || type === 'ACS' || /^DS-K[VDB]/.test(model)) return 'doorbell';
  return 'camera';
}

export function loadFixtureProfile(file: string): SimProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read fixture profile ${file}: ${(error as Error).message}`);
  }
  const isapi = isDict(parsed as XmlDict)
    ? (parsed as { data?: { ISAPI?: unknown } }).data?.ISAPI
    : undefined;
  if (!isDict(isapi as XmlDict)) throw new Error(`${file}: expected {"data": {"ISAPI": {...}}}`);
  return profileFromIsapi(basename(file, '.json'), isapi as FixtureIsapi, file);
}

export function profileFromIsapi(name: string, isapi: FixtureIsapi, source?: string): SimProfile {
  const deviceInfo = rootOf(isapi, 'System/deviceInfo');
  const kind = kindOf(deviceInfo);
  return {
    name,
    model: text(deviceInfo?.model) ?? name,
    kind,
    isapi,
    pictureViaStreamingProxy: kind === 'nvr',
    offlineChannels: [],
    source,
  };
}
