/**
 * Alarm outputs over ISAPI: the list (`System/IO/outputs`), each output's state
 * (`System/IO/outputs/{n}/status`, `ioState` active/inactive) and switching one
 * (`PUT System/IO/outputs/{n}/trigger` with `IOPortData/outputState` high/low), read back.
 *
 * Pure protocol: typed calls over an IsapiClient, no application state; inputs checked before
 * any request. A device without alarm outputs (the list is not supported) has none.
 */

import { DeviceError } from '../http/errors.ts';
import type { IsapiClient } from './client.ts';
import { InvalidResponseError, NotSupportedError } from './errors.ts';
import { attr, children, int, parseXml, text, type XmlNode } from './xml.ts';

const OUTPUTS_PATH = '/ISAPI/System/IO/outputs';
const statusPath = (id: number): string => `${OUTPUTS_PATH}/${id}/status`;
const triggerPath = (id: number): string => `${OUTPUTS_PATH}/${id}/trigger`;

export type OutputState = 'on' | 'off';

export interface AlarmOutput {
  id: number;
  /** The name set on the device; null when it has none. */
  name: string | null;
  state: OutputState;
}

/** A value given to an output call was refused before anything was sent to the device. */
export class OutputInputError extends RangeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'OutputInputError';
  }
}

/** The device has no alarm output with that number. */
export class OutputMissingError extends NotSupportedError {
  constructor(host: string, id: number, known: number[]) {
    super(host, statusPath(id));
    const have = known.length ? `its alarm outputs are ${known.join(', ')}` : 'it has no alarm outputs';
    this.message = `${host} has no alarm output ${id}; ${have}.`;
  }
}

/** The device answered OK but the output stayed as it was. */
export class OutputNotAppliedError extends DeviceError {
  constructor(host: string, id: number, state: OutputState) {
    super('device_error', `${host} accepted the command but alarm output ${id} is still ${state}.`);
  }
}

export function checkOutputId(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 4096) {
    throw new OutputInputError(
      'output',
      `output must be an alarm output number 1-4096 (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

export function checkOutputState(value: unknown): OutputState {
  if (value !== 'on' && value !== 'off') {
    throw new OutputInputError('state', `state must be "on" or "off" (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** The alarm outputs' numbers and names, in the device's order; [] when it has none. */
async function outputPorts(client: IsapiClient): Promise<Array<{ id: number; name: string | null }>> {
  const list = await client.optional(() => client.getXml(OUTPUTS_PATH), ['not_supported']);
  if (!list) return [];
  return children(list.node, 'IOOutputPort')
    .map((port) => ({ id: Number(text(port, 'id')), name: text(port, 'name') ?? null }))
    .filter((port) => Number.isInteger(port.id) && port.id > 0);
}

/** One output's state as the device reports it. */
export async function readOutputState(client: IsapiClient, id: number): Promise<OutputState> {
  checkOutputId(id);
  const path = statusPath(id);
  const doc = await client.getXml(path);
  const state = text(doc.node, 'ioState')?.toLowerCase();
  if (state === 'active') return 'on';
  if (state === 'inactive') return 'off';
  throw new InvalidResponseError(client.host, path, `ioState is ${JSON.stringify(state ?? null)}`);
}

/** Every alarm output with its state. */
export async function listOutputs(client: IsapiClient): Promise<AlarmOutput[]> {
  const outputs: AlarmOutput[] = [];
  for (const port of await outputPorts(client)) {
    outputs.push({ ...port, state: await readOutputState(client, port.id) });
  }
  return outputs;
}

/** Switches an alarm output on (high) or off (low) and reads it back. */
export async function setOutput(client: IsapiClient, id: number, state: OutputState): Promise<AlarmOutput> {
  checkOutputId(id);
  checkOutputState(state);
  const ports = await outputPorts(client);
  const port = ports.find((p) => p.id === id);
  if (!port)
    throw new OutputMissingError(
      client.host,
      id,
      ports.map((p) => p.id),
    );
  await client.sendXml('PUT', triggerPath(id), 'IOPortData', {
    outputState: state === 'on' ? 'high' : 'low',
  });
  const after = await readOutputState(client, id);
  if (after !== state) throw new OutputNotAppliedError(client.host, id, after);
  return { ...port, state: after };
}

// --- supplement light (white / IR) --------------------------------------------------------------

/**
 * A camera's supplement light (`Image/channels/{ch}/supplementLight`, root `SupplementLight`):
 * `supplementLightMode` is what lights at night (`colorVuWhiteLight` white always, `irLight` IR,
 * `eventIntelligence` IR with white on smart events, `close` off; models offer a subset, listed
 * in `.../supplementLight/capabilities` as the `opt` attribute), brightness 0-100 per light.
 * No capture holds these answers: the shapes are the ones public ISAPI clients use.
 */
const lightPath = (channel: number): string => `/ISAPI/Image/channels/${channel}/supplementLight`;

export interface SupplementLight {
  mode: string;
  /** The modes the camera offers; null when it does not say. */
  modes: string[] | null;
  whiteBrightness: number | null;
  irBrightness: number | null;
}

export interface SupplementLightChange {
  mode?: string;
  whiteBrightness?: number;
  irBrightness?: number;
}

/** The camera has no supplement light over ISAPI. */
export class LightMissingError extends NotSupportedError {
  constructor(host: string, channel: number) {
    super(host, lightPath(channel));
    this.message = `${host} has no supplement light on channel ${channel} (or does not offer it over ISAPI).`;
  }
}

function checkChannelNo(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 512) {
    throw new OutputInputError(
      'channel',
      `channel must be a channel number 1-512 (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function checkBrightness(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new OutputInputError(field, `${field} must be a whole number 0-100 (got ${JSON.stringify(value)})`);
  }
  return value;
}

function checkLightChange(change: SupplementLightChange): SupplementLightChange {
  const { mode, whiteBrightness, irBrightness, ...rest } = change;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new OutputInputError(unknown[0]!, `unknown setting "${unknown[0]}"`);
  if (mode === undefined && whiteBrightness === undefined && irBrightness === undefined) {
    throw new OutputInputError('mode', 'say what to change: mode, whiteBrightness and/or irBrightness');
  }
  if (mode !== undefined && (typeof mode !== 'string' || !/^[A-Za-z]{1,32}$/.test(mode))) {
    throw new OutputInputError(
      'mode',
      `mode must be a mode name such as irLight or close (got ${JSON.stringify(mode)})`,
    );
  }
  if (whiteBrightness !== undefined) checkBrightness(whiteBrightness, 'whiteBrightness');
  if (irBrightness !== undefined) checkBrightness(irBrightness, 'irBrightness');
  return change;
}

async function lightModes(client: IsapiClient, channel: number): Promise<string[] | null> {
  const caps = await client.optional(() => client.getXml(`${lightPath(channel)}/capabilities`));
  const opt = caps ? attr(caps.node, 'supplementLightMode', 'opt') : undefined;
  return opt
    ? opt
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : null;
}

async function lightDocument(client: IsapiClient, channel: number) {
  try {
    return await client.getXml(lightPath(channel));
  } catch (error) {
    if (error instanceof NotSupportedError) throw new LightMissingError(client.host, channel);
    throw error;
  }
}

/** The supplement light's mode and brightness. */
export async function readSupplementLight(client: IsapiClient, channel: number): Promise<SupplementLight> {
  checkChannelNo(channel);
  const doc = await lightDocument(client, channel);
  const mode = text(doc.node, 'supplementLightMode');
  if (!mode) throw new InvalidResponseError(client.host, lightPath(channel), 'no supplementLightMode');
  return {
    mode,
    modes: await lightModes(client, channel),
    whiteBrightness: int(doc.node, 'whiteLightBrightness') ?? null,
    irBrightness: int(doc.node, 'irLightBrightness') ?? null,
  };
}

/**
 * Changes the supplement light (read-modify-write keeping the rest, read back). A mode the
 * camera does not list, or a brightness for a light the camera does not report, is refused
 * before anything is written.
 */
export async function setSupplementLight(
  client: IsapiClient,
  channel: number,
  change: SupplementLightChange,
): Promise<SupplementLight> {
  checkChannelNo(channel);
  checkLightChange(change);
  const path = lightPath(channel);
  const response = await client.call({ method: 'GET', path }).catch((error: unknown) => {
    if (error instanceof NotSupportedError) throw new LightMissingError(client.host, channel);
    throw error;
  });
  const body = response.body.toString('utf8');
  const doc = parseXml(body);
  const modes = await lightModes(client, channel);
  if (change.mode !== undefined && modes && !modes.includes(change.mode)) {
    throw new OutputInputError(
      'mode',
      `${client.host} offers the modes ${modes.join(', ')}; not "${change.mode}"`,
    );
  }
  const node: XmlNode = { ...doc.node };
  if (change.mode !== undefined) node.supplementLightMode = change.mode;
  for (const [field, element] of [
    ['whiteBrightness', 'whiteLightBrightness'],
    ['irBrightness', 'irLightBrightness'],
  ] as const) {
    const value = change[field];
    if (value === undefined) continue;
    if (node[element] === undefined) {
      throw new OutputInputError(
        field,
        `${client.host} reports no ${element}; its light has no such setting`,
      );
    }
    node[element] = String(value);
  }
  const namespace = /<(?:[\w.-]+:)?SupplementLight\s[^>]*xmlns="([^"]*)"/.exec(body)?.[1];
  await client.sendXml('PUT', path, doc.root, namespace ? { ...node, '@xmlns': namespace } : node);
  const after = await readSupplementLight(client, channel);
  const kept =
    (change.mode === undefined || after.mode === change.mode) &&
    (change.whiteBrightness === undefined || after.whiteBrightness === change.whiteBrightness) &&
    (change.irBrightness === undefined || after.irBrightness === change.irBrightness);
  if (!kept) {
    throw new DeviceError('device_error', `${client.host} accepted the light change but did not apply it.`);
  }
  return after;
}
