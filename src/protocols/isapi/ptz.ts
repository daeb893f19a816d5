/**
 * Pan/tilt/zoom over ISAPI: continuous moves and stop, presets (list, go to, save, delete), the
 * home position and patrols. A camera's own channel is `/ISAPI/PTZCtrl/channels/{ch}`; an IP
 * camera behind an NVR is reached through the NVR's proxy, `/ISAPI/ContentMgmt/PTZCtrlProxy/
 * channels/{ch}` (the paths the devices' own web pages use).
 *
 * What a channel can do comes from `.../capabilities` (`PTZChanelCap`, Hikvision's spelling;
 * `PTZChannelCap` on a few firmwares): continuous pan/tilt and zoom spaces with their speed
 * ranges, `maxPresetNum`, the reserved preset numbers (`PresetNameCap/specialNo`: saving one of
 * those runs a device function such as "remote reboot"), `maxPatrolNum`. A channel that answers
 * "not supported" there has no PTZ.
 *
 * Pure protocol: typed calls over an IsapiClient, no application state. Inputs are checked before
 * anything is sent (PtzInputError); a feature the channel lacks is PtzUnsupportedError, in words.
 */
import type { IsapiClient } from './client.ts';
import {
  InvalidResponseError,
  isAbsentEndpoint,
  NotSupportedError,
  PermissionDeniedError,
} from './errors.ts';
import { attr, bool, child, children, int, text, type XmlNode } from './xml.ts';

/** The channel to steer: its number on the device, and whether it is an NVR's proxied IP camera. */
export interface PtzTarget {
  channel: number;
  /** An IP camera behind an NVR/DVR: commands go through the recorder's PTZ proxy. */
  proxy: boolean;
}

export interface SpeedRange {
  min: number;
  max: number;
}

export interface PtzCapabilities {
  /** Continuous pan and tilt. */
  panTilt: boolean;
  /** Continuous zoom (also fixed cameras with a motorised lens). */
  zoom: boolean;
  pan: SpeedRange;
  tilt: SpeedRange;
  zoomSpeed: SpeedRange;
  /** Highest preset number (0 = no presets). */
  maxPresets: number;
  /** Preset numbers the device reserves for its functions (never saved or deleted by us). */
  specialPresets: number[];
  /** Patrols the channel can hold (0 = none). */
  maxPatrols: number;
}

export interface PtzPreset {
  id: number;
  name: string;
}

export interface PtzPatrol {
  id: number;
  name: string;
  enabled: boolean;
}

export interface PtzSpeeds {
  pan?: number;
  tilt?: number;
  zoom?: number;
}

/** Speeds of a continuous move, -100..100 (the ISAPI range); 0 on every axis stops. */
export const PTZ_SPEED = { min: -100, max: 100 } as const;
/** Preset numbers when the device does not say (a bound of ours; most domes have 255 or 300). */
export const DEFAULT_MAX_PRESETS = 255;
/** Preset names: the length the devices' web pages accept. */
export const MAX_PRESET_NAME = 32;

// --- errors -------------------------------------------------------------------------------------

/** A value was refused before anything was sent to the device. */
export class PtzInputError extends RangeError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'PtzInputError';
    this.field = field;
  }
}

export type PtzFeature = 'ptz' | 'presets' | 'home' | 'patrols';

const FEATURE: Record<PtzFeature, string> = {
  ptz: 'PTZ',
  presets: 'PTZ presets',
  home: 'PTZ home position',
  patrols: 'PTZ patrols',
};

/** The channel has no PTZ, or not this part of it. */
export class PtzUnsupportedError extends NotSupportedError {
  readonly feature: PtzFeature;

  constructor(host: string, path: string, channel: number, feature: PtzFeature) {
    super(host, path);
    this.feature = feature;
    this.message = `Channel ${channel} of ${host} has no ${FEATURE[feature]} (the device says it does not support ${path}).`;
  }
}

// --- paths and input checks ---------------------------------------------------------------------

export function ptzBasePath(target: PtzTarget): string {
  checkChannel(target.channel);
  return target.proxy
    ? `/ISAPI/ContentMgmt/PTZCtrlProxy/channels/${target.channel}`
    : `/ISAPI/PTZCtrl/channels/${target.channel}`;
}

function fail(field: string, message: string): never {
  throw new PtzInputError(field, message);
}

function checkChannel(channel: unknown): void {
  if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 1 || channel > 512) {
    fail('channel', `channel must be a channel number 1-512 (got ${JSON.stringify(channel)})`);
  }
}

function checkSpeed(value: unknown, field: string, range: SpeedRange): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
    fail(field, `${field} must be a speed ${range.min}..${range.max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** A preset number the channel has: 1..maxPresets. */
export function checkPresetNumber(value: unknown, caps: PtzCapabilities, field = 'preset'): number {
  const max = caps.maxPresets;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    fail(field, `${field} must be a preset number 1-${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** A preset number that may be written: not one the device reserves for a function. */
function checkWritablePreset(value: unknown, caps: PtzCapabilities): number {
  const id = checkPresetNumber(value, caps);
  if (caps.specialPresets.includes(id)) {
    fail(
      'preset',
      `preset ${id} is reserved by the device for one of its functions (saving it may run that function); use another number`,
    );
  }
  return id;
}

export function checkPresetName(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') fail('name', 'name must be a non-empty text');
  const name = value.trim();
  if ([...name].length > MAX_PRESET_NAME) fail('name', `name must be at most ${MAX_PRESET_NAME} characters`);
  if (/[\p{Cc}<>&"]/u.test(name)) fail('name', 'name must not contain control characters or < > & "');
  return name;
}

function checkPatrolNumber(value: unknown, caps: PtzCapabilities): number {
  const max = caps.maxPatrols;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    fail('patrol', `patrol must be a patrol number 1-${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

// --- capabilities -------------------------------------------------------------------------------

/** `Min`/`Max` (most firmware) or `min`/`max`. */
function range(node: XmlNode | undefined, axis: string, fallback: SpeedRange): SpeedRange {
  const r = child(node, axis);
  const min = int(r, 'Min') ?? int(r, 'min');
  const max = int(r, 'Max') ?? int(r, 'max');
  if (min === undefined || max === undefined || min >= max) return fallback;
  // Our own bound stays in force: speeds outside -100..100 are not ISAPI continuous speeds.
  return { min: Math.max(min, PTZ_SPEED.min), max: Math.min(max, PTZ_SPEED.max) };
}

/** Numbers in an `opt` list such as "33,34,35" (ranges "90-105" too). */
function numberList(opt: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (opt ?? '').split(',')) {
    const span = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!span) continue;
    const from = Number(span[1]);
    const to = span[2] === undefined ? from : Math.min(Number(span[2]), from + 1024);
    for (let n = from; n <= to; n++) out.push(n);
  }
  return out;
}

/** Reads a PTZChanelCap document; undefined when it describes no PTZ at all. */
export function parsePtzCapabilities(node: XmlNode): PtzCapabilities | undefined {
  const panTiltSpace = child(node, 'ContinuousPanTiltSpace');
  const zoomSpace = child(node, 'ContinuousZoomSpace');
  const speed = { min: PTZ_SPEED.min, max: PTZ_SPEED.max };
  const presetsSaid = int(node, 'maxPresetNum');
  const maxPresets = presetsSaid ?? (bool(node, 'isSupportPreset') === false ? 0 : DEFAULT_MAX_PRESETS);
  const caps: PtzCapabilities = {
    panTilt: panTiltSpace !== undefined,
    zoom: zoomSpace !== undefined,
    pan: range(panTiltSpace, 'XRange', speed),
    tilt: range(panTiltSpace, 'YRange', speed),
    zoomSpeed: range(zoomSpace, 'ZRange', speed),
    maxPresets: Math.max(0, Math.min(maxPresets, 1024)),
    specialPresets: numberList(attr(node, 'PresetNameCap/specialNo', 'opt')),
    maxPatrols: Math.max(0, Math.min(int(node, 'maxPatrolNum') ?? 0, 64)),
  };
  // Presets alone do not count: some fixed cameras list a preset table they cannot drive.
  return caps.panTilt || caps.zoom ? caps : undefined;
}

async function orUnsupported<T>(
  client: IsapiClient,
  target: PtzTarget,
  path: string,
  feature: PtzFeature,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isAbsentEndpoint(error)) throw new PtzUnsupportedError(client.host, path, target.channel, feature);
    throw error;
  }
}

/**
 * What the channel can do; undefined when it has no PTZ: the capabilities are missing, refused
 * (NVRs answer 403 for a proxied camera without PTZ, as for other features a channel lacks) or
 * offer no continuous pan/tilt or zoom.
 */
export async function readPtzCapabilities(
  client: IsapiClient,
  target: PtzTarget,
): Promise<PtzCapabilities | undefined> {
  const path = `${ptzBasePath(target)}/capabilities`;
  let node: XmlNode;
  try {
    node = (await client.getXml(path)).node;
  } catch (error) {
    if (isAbsentEndpoint(error) || error instanceof PermissionDeniedError) return undefined;
    throw error;
  }
  return parsePtzCapabilities(node);
}

// --- moves --------------------------------------------------------------------------------------

/**
 * Starts a continuous move at these speeds (left out = 0), or stops when every speed is 0. The
 * device keeps moving until told otherwise: the caller owns stopping it.
 */
export async function continuousMove(
  client: IsapiClient,
  target: PtzTarget,
  speeds: PtzSpeeds,
  caps: PtzCapabilities,
): Promise<void> {
  const pan = checkSpeed(speeds.pan, 'pan', caps.pan);
  const tilt = checkSpeed(speeds.tilt, 'tilt', caps.tilt);
  const zoom = checkSpeed(speeds.zoom, 'zoom', caps.zoomSpeed);
  if ((pan !== 0 || tilt !== 0) && !caps.panTilt)
    fail('pan', 'this channel can only zoom: pan and tilt must be 0');
  if (zoom !== 0 && !caps.zoom) fail('zoom', 'this channel has no zoom: zoom must be 0');
  const path = `${ptzBasePath(target)}/continuous`;
  await orUnsupported(client, target, path, 'ptz', () =>
    client.sendXml('PUT', path, 'PTZData', { pan: String(pan), tilt: String(tilt), zoom: String(zoom) }),
  );
}

export function stopMove(client: IsapiClient, target: PtzTarget, caps: PtzCapabilities): Promise<void> {
  return continuousMove(client, target, {}, caps);
}

// --- presets ------------------------------------------------------------------------------------

/** The presets that are set (a device may list unset numbers with `enabled` false). */
export async function listPresets(
  client: IsapiClient,
  target: PtzTarget,
  caps: PtzCapabilities,
): Promise<PtzPreset[]> {
  const path = `${ptzBasePath(target)}/presets`;
  if (caps.maxPresets === 0) throw new PtzUnsupportedError(client.host, path, target.channel, 'presets');
  const doc = await orUnsupported(client, target, path, 'presets', () => client.getXml(path));
  const presets: PtzPreset[] = [];
  for (const entry of children(doc.node, 'PTZPreset')) {
    const id = int(entry, 'id');
    if (id === undefined) throw new InvalidResponseError(client.host, path, 'a preset without an id');
    if (bool(entry, 'enabled') === false || caps.specialPresets.includes(id)) continue;
    presets.push({ id, name: text(entry, 'presetName') ?? `Preset ${id}` });
  }
  return presets.sort((a, b) => a.id - b.id);
}

async function putEmpty(client: IsapiClient, path: string): Promise<void> {
  await client.call({ method: 'PUT', path, headers: { 'content-type': 'application/xml; charset="UTF-8"' } });
}

export async function gotoPreset(
  client: IsapiClient,
  target: PtzTarget,
  preset: number,
  caps: PtzCapabilities,
): Promise<void> {
  const id = checkPresetNumber(preset, caps);
  const path = `${ptzBasePath(target)}/presets/${id}/goto`;
  await orUnsupported(client, target, path, 'presets', () => putEmpty(client, path));
}

/**
 * Saves the channel's current position as preset `preset` named `name`. The device stores the
 * position with every save, so renaming a preset also stores where the camera points now.
 */
export async function savePreset(
  client: IsapiClient,
  target: PtzTarget,
  preset: number,
  name: string,
  caps: PtzCapabilities,
): Promise<PtzPreset> {
  const id = checkWritablePreset(preset, caps);
  const presetName = checkPresetName(name);
  const path = `${ptzBasePath(target)}/presets/${id}`;
  await orUnsupported(client, target, path, 'presets', () =>
    client.sendXml('PUT', path, 'PTZPreset', { enabled: 'true', id: String(id), presetName }),
  );
  return { id, name: presetName };
}

export async function deletePreset(
  client: IsapiClient,
  target: PtzTarget,
  preset: number,
  caps: PtzCapabilities,
): Promise<void> {
  const id = checkWritablePreset(preset, caps);
  const path = `${ptzBasePath(target)}/presets/${id}`;
  await orUnsupported(client, target, path, 'presets', () => client.call({ method: 'DELETE', path }));
}

// --- home position ------------------------------------------------------------------------------

export async function gotoHome(client: IsapiClient, target: PtzTarget): Promise<void> {
  const path = `${ptzBasePath(target)}/homeposition/goto`;
  await orUnsupported(client, target, path, 'home', () => putEmpty(client, path));
}

/** Makes the current position the home position (where devices that have one return to). */
export async function setHome(client: IsapiClient, target: PtzTarget): Promise<void> {
  const path = `${ptzBasePath(target)}/homeposition`;
  await orUnsupported(client, target, path, 'home', () => putEmpty(client, path));
}

// --- patrols ------------------------------------------------------------------------------------

export async function listPatrols(
  client: IsapiClient,
  target: PtzTarget,
  caps: PtzCapabilities,
): Promise<PtzPatrol[]> {
  const path = `${ptzBasePath(target)}/patrols`;
  if (caps.maxPatrols === 0) throw new PtzUnsupportedError(client.host, path, target.channel, 'patrols');
  const doc = await orUnsupported(client, target, path, 'patrols', () => client.getXml(path));
  const patrols: PtzPatrol[] = [];
  for (const entry of children(doc.node, 'PTZPatrol')) {
    const id = int(entry, 'id');
    if (id === undefined) throw new InvalidResponseError(client.host, path, 'a patrol without an id');
    patrols.push({
      id,
      name: text(entry, 'patrolName') ?? `Patrol ${id}`,
      enabled: bool(entry, 'enabled') ?? true,
    });
  }
  return patrols.sort((a, b) => a.id - b.id);
}

export async function patrolCommand(
  client: IsapiClient,
  target: PtzTarget,
  patrol: number,
  command: 'start' | 'stop',
  caps: PtzCapabilities,
): Promise<void> {
  const path = `${ptzBasePath(target)}/patrols`;
  if (caps.maxPatrols === 0) throw new PtzUnsupportedError(client.host, path, target.channel, 'patrols');
  const id = checkPatrolNumber(patrol, caps);
  const commandPath = `${path}/${id}/${command}`;
  await orUnsupported(client, target, commandPath, 'patrols', () => putEmpty(client, commandPath));
}
