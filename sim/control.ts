/**
 * The /__sim/ control API (no auth), mirroring the programmatic API for tests in other processes
 * and for `hikbridge sim`. Bad input answers 400 with {"error": "..."}.
 */
import type { HttpRequest, HttpResponse } from './http/connection.ts';
import type { SimDevice } from './types.ts';
import { SimInputError, validateCallStatus, validateEvent, validateFault } from './validate.ts';
import { JSON_CONTENT_TYPE } from './xml.ts';

export const CONTROL_PREFIX = '/__sim/';

function reply(res: HttpResponse, status: number, value: unknown): void {
  res.send(status, { 'Content-Type': JSON_CONTENT_TYPE }, JSON.stringify(value));
}

function parseJson(req: HttpRequest): unknown {
  const text = req.body.toString('utf8').trim();
  if (!text) throw new SimInputError('request body must be JSON');
  try {
    return JSON.parse(text);
  } catch {
    throw new SimInputError('request body is not valid JSON');
  }
}

type ControlHandler = (device: SimDevice, req: HttpRequest, res: HttpResponse) => void;

const HANDLERS: Record<string, ControlHandler> = {
  'POST event': (device, req, res) => {
    device.trigger(validateEvent(parseJson(req)));
    reply(res, 200, { ok: true, delivered: device.openAlertStreams });
  },
  'POST fault': (device, req, res) => {
    device.setFault(validateFault(parseJson(req)));
    reply(res, 200, { ok: true });
  },
  'POST endpoint': (device, req, res) => {
    const body = parseJson(req) as { path?: unknown; entry?: unknown };
    if (!body || typeof body !== 'object' || !('entry' in body)) {
      throw new SimInputError('body must be {"path": "/ISAPI/...", "entry": {...} | null}');
    }
    device.setEndpoint(body.path as string, body.entry as never);
    reply(res, 200, { ok: true });
  },
  'DELETE faults': (device, _req, res) => {
    device.clearFaults();
    reply(res, 200, { ok: true });
  },
  'POST call': (device, req, res) => {
    const body = parseJson(req) as { status?: unknown };
    const status = validateCallStatus(body?.status);
    if (device.profile.kind !== 'doorbell') throw new SimInputError('this device is not a doorbell');
    if (status === 'ring') device.ring();
    else device.setCallStatus(status);
    reply(res, 200, { ok: true, status: device.callStatus });
  },
  'GET call': (device, _req, res) => reply(res, 200, { status: device.callStatus }),
  'GET requests': (device, _req, res) => reply(res, 200, device.requests),
  'GET doors': (device, _req, res) => reply(res, 200, device.doorCommands),
  'GET audio': (device, req, res) => {
    const channel = Number(req.query.get('channel') ?? 1);
    if (!Number.isInteger(channel) || channel < 1)
      throw new SimInputError('channel must be a positive integer');
    res.send(200, { 'Content-Type': 'application/octet-stream' }, device.audioReceived(channel));
  },
  'GET info': (device, _req, res) =>
    reply(res, 200, {
      name: device.profile.name,
      model: device.profile.model,
      kind: device.profile.kind,
      url: device.url,
      certificateFingerprint: device.certificateFingerprint ?? null,
      openAlertStreams: device.openAlertStreams,
    }),
};

export function handleControl(device: SimDevice, req: HttpRequest, res: HttpResponse): void {
  const name = req.path.slice(CONTROL_PREFIX.length);
  const handler = HANDLERS[`${req.method} ${name}`];
  if (!handler) {
    const known = Object.keys(HANDLERS).map((key) => key.replace(' ', ` ${CONTROL_PREFIX}`));
    reply(res, 404, { error: `no control endpoint ${req.method} ${req.path}`, endpoints: known });
    return;
  }
  try {
    handler(device, req, res);
  } catch (error) {
    if (error instanceof SimInputError) reply(res, 400, { error: error.message });
    else reply(res, 500, { error: (error as Error).message });
  }
}
