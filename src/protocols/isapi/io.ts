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
import { children, text } from './xml.ts';

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
