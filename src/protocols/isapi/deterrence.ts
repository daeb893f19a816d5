/**
 * Active deterrence over ISAPI: the audible alarm ("siren") and the flashing light ("strobe") of
 * cameras that have them (ColorVu / Smart Hybrid Light models). These are the settings of what the
 * camera does when an event's trigger links the audible warning (`notificationMethod` `beep`) or
 * the flashing light (`whiteLight`); the linkage itself is in detections.ts. No "sound it now"
 * resource is documented, so none is offered.
 *
 * - Siren: `Event/triggers/notifications/AudioAlarm` (JSON, root `AudioAlarm`: `audioID`,
 *   `audioVolume`, `alarmTimes`; newer firmware mirrors the sound in `audioClass`/`alertAudioID`),
 *   capabilities in `.../AudioAlarm/capabilities` (`AudioAlarmCap`: the sounds in
 *   `audioTypeListCap` or `AlertAudioTypeListCap`, ranges for `audioVolume` and `alarmTimes`).
 * - Strobe: `Event/triggers/notifications/channels/{ch}/whiteLightAlarm` (root `WhiteLightAlarm`:
 *   `durationTime` in seconds, `frequency` high/medium/low/normallyOn); older firmware has one
 *   device-wide `Event/triggers/notifications/whiteLightAlarm`. Capabilities (`WhiteLightAlarmCap`)
 *   under `.../capabilities`.
 * No capture holds these answers: the shapes are the ones in public ISAPI documentation.
 *
 * Pure protocol: typed calls over an IsapiClient, no application state. Input is checked against
 * the device's own capabilities before anything is written; writes are read-modify-write keeping
 * every field not changed, and are read back.
 */

import { DeviceError } from '../http/errors.ts';
import type { IsapiClient } from './client.ts';
import { InvalidResponseError, IsapiStatusError, isAbsentEndpoint, NotSupportedError } from './errors.ts';

const SIREN_PATH = '/ISAPI/Event/triggers/notifications/AudioAlarm';
const strobeChannelPath = (channel: number): string =>
  `/ISAPI/Event/triggers/notifications/channels/${channel}/whiteLightAlarm`;
const STROBE_DEVICE_PATH = '/ISAPI/Event/triggers/notifications/whiteLightAlarm';

type Json = Record<string, unknown>;

export interface Range {
  min: number;
  max: number;
}

export interface SirenSound {
  id: number;
  /** The device's name for it ("Siren", "Warning, this is a restricted area"...); null when none. */
  name: string | null;
}

export interface Siren {
  /** The sound played, by its id in `sounds`. */
  soundId: number;
  sounds: SirenSound[];
  volume: number | null;
  volumeRange: Range | null;
  /** How many times the sound is played per alarm. */
  times: number | null;
  timesRange: Range | null;
}

export interface SirenChange {
  soundId?: number;
  volume?: number;
  times?: number;
}

export type StrobeScope = 'channel' | 'device';

export interface Strobe {
  channel: number;
  /** `channel`: the camera's per-channel settings; `device`: older firmware's one device-wide setting. */
  scope: StrobeScope;
  /** Seconds the light flashes per alarm. */
  duration: number | null;
  durationRange: Range | null;
  frequency: string | null;
  /** The frequencies the device offers; null when it does not say. */
  frequencies: string[] | null;
}

export interface StrobeChange {
  duration?: number;
  frequency?: string;
}

// --- errors -------------------------------------------------------------------------------------

/** A value given to a siren/strobe call was refused before anything was sent to the device. */
export class DeterrenceInputError extends RangeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DeterrenceInputError';
  }
}

/** The device has no audible alarm (the settings are not offered). */
export class SirenMissingError extends NotSupportedError {
  constructor(host: string) {
    super(host, SIREN_PATH);
    this.message = `${host} has no audible alarm (or does not offer its settings over ISAPI).`;
  }
}

/** The channel has no flashing light (neither the channel's nor the device-wide settings answer). */
export class StrobeMissingError extends NotSupportedError {
  constructor(host: string, channel: number) {
    super(host, strobeChannelPath(channel));
    this.message = `${host} has no flashing light (strobe) on channel ${channel} (or does not offer its settings over ISAPI).`;
  }
}

/** The device answered OK but reports other values than the ones written. */
export class DeterrenceNotAppliedError extends DeviceError {
  constructor(host: string, what: string) {
    super('device_error', `${host} accepted the ${what} change but did not apply it.`);
  }
}

/** The device lacks the endpoint (as opposed to refusing what we sent). */
function isAbsent(error: unknown): boolean {
  if (isAbsentEndpoint(error)) return true;
  if (error instanceof DeviceError && error.code === 'permission_denied') return true;
  return error instanceof IsapiStatusError && error.httpStatus === 403;
}

// --- JSON helpers -------------------------------------------------------------------------------

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A number the device wrote as a number or a numeric string. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

/** `{"@min": 1, "@max": 100}` (or without the `@`) as a range; null when absent or odd. */
function rangeOf(value: unknown): Range | null {
  if (!isObject(value)) return null;
  const min = numberOf(value['@min'] ?? value.min);
  const max = numberOf(value['@max'] ?? value.max);
  return min !== undefined && max !== undefined && min <= max ? { min, max } : null;
}

/** `@opt` as a list: devices write it as an array or a comma-separated string. */
function optionsOf(value: unknown): string[] | null {
  const opt = isObject(value) ? (value['@opt'] ?? value.opt) : undefined;
  const list = Array.isArray(opt) ? opt : typeof opt === 'string' ? opt.split(',') : undefined;
  if (!list) return null;
  const names = list.filter((v): v is string => typeof v === 'string').map((v) => v.trim());
  return names.filter(Boolean);
}

function rootObject(client: IsapiClient, path: string, doc: unknown, root: string): Json {
  const node = isObject(doc) ? doc[root] : undefined;
  if (!isObject(node)) throw new InvalidResponseError(client.host, path, `no ${root} object`);
  return node;
}

/** A whole number, within the device's range when it states one (`host` names it in the message). */
function checkWhole(value: unknown, field: string, range: Range | null, host: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new DeterrenceInputError(field, `${field} must be a whole number (got ${JSON.stringify(value)})`);
  }
  if (range && (value < range.min || value > range.max)) {
    throw new DeterrenceInputError(
      field,
      `${field} must be ${range.min}-${range.max} on ${host} (got ${value})`,
    );
  }
  return value;
}

function checkKnownFields(change: object, known: string[], say: string): void {
  const unknown = Object.keys(change).filter((key) => !known.includes(key));
  if (unknown.length) throw new DeterrenceInputError(unknown[0]!, `unknown setting "${unknown[0]}"`);
  const given = known.filter((key) => (change as Json)[key] !== undefined);
  if (!given.length) throw new DeterrenceInputError(known[0]!, `say what to change: ${say}`);
}

function checkChannelNo(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 512) {
    throw new DeterrenceInputError(
      'channel',
      `channel must be a channel number 1-512 (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

// --- siren --------------------------------------------------------------------------------------

interface SirenCapabilities {
  sounds: SirenSound[];
  volumeRange: Range | null;
  timesRange: Range | null;
}

async function sirenCapabilities(client: IsapiClient): Promise<SirenCapabilities> {
  const path = `${SIREN_PATH}/capabilities`;
  const doc = await client.getJson(path).catch((error: unknown) => {
    if (isAbsent(error)) throw new SirenMissingError(client.host);
    throw error;
  });
  const cap = rootObject(client, path, doc, 'AudioAlarmCap');
  const list = cap.audioTypeListCap ?? cap.AlertAudioTypeListCap ?? cap.alertAudioTypeListCap;
  const sounds: SirenSound[] = [];
  for (const item of Array.isArray(list) ? list : []) {
    if (!isObject(item)) continue;
    const id = numberOf(item.audioID ?? item.alertAudioID);
    const name = item.audioDescription ?? item.alertAudioDescription;
    if (id !== undefined) sounds.push({ id, name: typeof name === 'string' && name ? name : null });
  }
  return { sounds, volumeRange: rangeOf(cap.audioVolume), timesRange: rangeOf(cap.alarmTimes) };
}

async function sirenSettings(client: IsapiClient): Promise<Json> {
  const doc = await client.getJson(SIREN_PATH).catch((error: unknown) => {
    if (isAbsent(error)) throw new SirenMissingError(client.host);
    throw error;
  });
  return rootObject(client, SIREN_PATH, doc, 'AudioAlarm');
}

/** The sound in use: newer firmware names alert sounds in `alertAudioID` next to `audioClass`. */
function soundIdOf(settings: Json): number | undefined {
  if (settings.audioClass === 'alertAudio' && settings.alertAudioID !== undefined) {
    return numberOf(settings.alertAudioID);
  }
  return numberOf(settings.audioID ?? settings.alertAudioID);
}

function sirenOf(client: IsapiClient, settings: Json, caps: SirenCapabilities): Siren {
  const soundId = soundIdOf(settings);
  if (soundId === undefined) throw new InvalidResponseError(client.host, SIREN_PATH, 'no audioID');
  return {
    soundId,
    sounds: caps.sounds,
    volume: numberOf(settings.audioVolume) ?? null,
    volumeRange: caps.volumeRange,
    times: numberOf(settings.alarmTimes) ?? null,
    timesRange: caps.timesRange,
  };
}

/** The siren's sound, volume and repeat count, with what the device allows. */
export async function readSiren(client: IsapiClient): Promise<Siren> {
  const caps = await sirenCapabilities(client);
  return sirenOf(client, await sirenSettings(client), caps);
}

/** Whether the device has an audible alarm (its settings answer). */
export async function hasSiren(client: IsapiClient): Promise<boolean> {
  try {
    await sirenCapabilities(client);
    return true;
  } catch (error) {
    if (error instanceof SirenMissingError) return false;
    throw error;
  }
}

function checkSirenChange(change: SirenChange, caps: SirenCapabilities, host: string): void {
  if (change.soundId !== undefined) {
    checkWhole(change.soundId, 'soundId', null, host);
    if (!caps.sounds.some((s) => s.id === change.soundId)) {
      const offered = caps.sounds.map((s) => (s.name ? `${s.id} (${s.name})` : String(s.id))).join(', ');
      throw new DeterrenceInputError(
        'soundId',
        offered
          ? `${host} offers the sounds ${offered}; not ${change.soundId}`
          : `${host} lists no sounds, so the sound cannot be changed`,
      );
    }
  }
  if (change.volume !== undefined) checkWhole(change.volume, 'volume', caps.volumeRange, host);
  if (change.times !== undefined) checkWhole(change.times, 'times', caps.timesRange, host);
}

/**
 * Changes the siren's sound (by id from the device's list), volume and/or times within the
 * device's ranges; anything else is refused before a write. Keeps every other field; read back.
 */
export async function setSiren(client: IsapiClient, change: SirenChange): Promise<Siren> {
  checkKnownFields(change, ['soundId', 'volume', 'times'], 'soundId, volume and/or times');
  const caps = await sirenCapabilities(client);
  checkSirenChange(change, caps, client.host);
  const settings = await sirenSettings(client);
  const next: Json = { ...settings };
  if (change.soundId !== undefined) {
    // Newer firmware keeps the sound in both places; write it wherever the device has it.
    if ('audioID' in settings || !('alertAudioID' in settings)) next.audioID = change.soundId;
    if ('alertAudioID' in settings) next.alertAudioID = change.soundId;
  }
  if (change.volume !== undefined) next.audioVolume = change.volume;
  if (change.times !== undefined) next.alarmTimes = change.times;
  await client.sendJson('PUT', SIREN_PATH, { AudioAlarm: next });
  const after = sirenOf(client, await sirenSettings(client), caps);
  const applied =
    (change.soundId === undefined || after.soundId === change.soundId) &&
    (change.volume === undefined || after.volume === change.volume) &&
    (change.times === undefined || after.times === change.times);
  if (!applied) throw new DeterrenceNotAppliedError(client.host, 'siren');
  return after;
}

// --- strobe -------------------------------------------------------------------------------------

interface StrobeTarget {
  path: string;
  scope: StrobeScope;
}

interface StrobeCapabilities {
  durationRange: Range | null;
  frequencies: string[] | null;
}

/** The channel's own settings, or the device-wide ones on older firmware. */
async function strobeTarget(
  client: IsapiClient,
  channel: number,
): Promise<StrobeTarget & { settings: Json }> {
  for (const target of [
    { path: strobeChannelPath(channel), scope: 'channel' as const },
    { path: STROBE_DEVICE_PATH, scope: 'device' as const },
  ]) {
    try {
      const doc = await client.getJson(target.path);
      return { ...target, settings: rootObject(client, target.path, doc, 'WhiteLightAlarm') };
    } catch (error) {
      if (!isAbsent(error)) throw error;
    }
  }
  throw new StrobeMissingError(client.host, channel);
}

async function strobeCapabilities(client: IsapiClient, target: StrobeTarget): Promise<StrobeCapabilities> {
  const doc = await client.optional(() => client.getJson(`${target.path}/capabilities`));
  const cap = isObject(doc) && isObject(doc.WhiteLightAlarmCap) ? doc.WhiteLightAlarmCap : {};
  return { durationRange: rangeOf(cap.durationTime), frequencies: optionsOf(cap.frequency) };
}

function strobeOf(channel: number, target: StrobeTarget, settings: Json, caps: StrobeCapabilities): Strobe {
  const frequency = settings.frequency;
  return {
    channel,
    scope: target.scope,
    duration: numberOf(settings.durationTime) ?? null,
    durationRange: caps.durationRange,
    frequency: typeof frequency === 'string' && frequency ? frequency : null,
    frequencies: caps.frequencies,
  };
}

/** The strobe's duration and frequency for a channel (or the device-wide setting). */
export async function readStrobe(client: IsapiClient, channel: number): Promise<Strobe> {
  checkChannelNo(channel);
  const target = await strobeTarget(client, channel);
  return strobeOf(channel, target, target.settings, await strobeCapabilities(client, target));
}

/** Whether the channel has a flashing light (its settings, or the device-wide ones, answer). */
export async function hasStrobe(client: IsapiClient, channel: number): Promise<boolean> {
  try {
    await strobeTarget(client, checkChannelNo(channel));
    return true;
  } catch (error) {
    if (error instanceof StrobeMissingError) return false;
    throw error;
  }
}

function checkStrobeChange(change: StrobeChange, caps: StrobeCapabilities, host: string): void {
  if (change.duration !== undefined) {
    checkWhole(change.duration, 'duration', caps.durationRange, host);
    if (!caps.durationRange && change.duration < 1) {
      throw new DeterrenceInputError(
        'duration',
        `duration must be at least 1 second (got ${change.duration})`,
      );
    }
  }
  if (change.frequency !== undefined) {
    if (typeof change.frequency !== 'string' || !/^[A-Za-z]{1,32}$/.test(change.frequency)) {
      throw new DeterrenceInputError(
        'frequency',
        `frequency must be a name such as high, medium, low or normallyOn (got ${JSON.stringify(change.frequency)})`,
      );
    }
    if (caps.frequencies && !caps.frequencies.includes(change.frequency)) {
      throw new DeterrenceInputError(
        'frequency',
        `${host} offers the frequencies ${caps.frequencies.join(', ')}; not "${change.frequency}"`,
      );
    }
  }
}

/**
 * Changes the strobe's duration (within the device's range) and/or frequency (from its list);
 * anything else is refused before a write. Keeps every other field; read back.
 */
export async function setStrobe(client: IsapiClient, channel: number, change: StrobeChange): Promise<Strobe> {
  checkChannelNo(channel);
  checkKnownFields(change, ['duration', 'frequency'], 'duration and/or frequency');
  const target = await strobeTarget(client, channel);
  const caps = await strobeCapabilities(client, target);
  checkStrobeChange(change, caps, client.host);
  const next: Json = { ...target.settings };
  if (change.duration !== undefined) next.durationTime = change.duration;
  if (change.frequency !== undefined) next.frequency = change.frequency;
  await client.sendJson('PUT', target.path, { WhiteLightAlarm: next });
  const doc = await client.getJson(target.path);
  const after = strobeOf(channel, target, rootObject(client, target.path, doc, 'WhiteLightAlarm'), caps);
  const applied =
    (change.duration === undefined || after.duration === change.duration) &&
    (change.frequency === undefined || after.frequency === change.frequency);
  if (!applied) throw new DeterrenceNotAppliedError(client.host, 'strobe');
  return after;
}
