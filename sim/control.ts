/**
 * The /__sim/ control API (no auth), mirroring the programmatic API for tests in other processes
 * and for `hikbridge sim`. Bad input answers 400 with {"error": "..."}. Also the event load
 * generator (`startEventLoad`, `POST /__sim/load`) that benchmarks drive.
 */
import { performance } from 'node:perf_hooks';
import { localDateTime } from './clock.ts';
import type { HttpRequest, HttpResponse } from './http/connection.ts';
import type { SimAlarmEvent, SimDevice } from './types.ts';
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
  'POST press': (device, req, res) => {
    const text = req.body.toString('utf8').trim();
    const body = (text ? parseJson(req) : {}) as { button?: unknown };
    if (!body || typeof body !== 'object') throw new SimInputError('body must be {"button": 1}');
    const result = device.press((body.button ?? 1) as number);
    reply(res, 200, {
      ok: true,
      calling: result.calling,
      callId: result.callId,
      reason: result.reason ?? null,
    });
  },
  'GET sip': (device, _req, res) => reply(res, 200, device.sipMessages),
  'GET sip-state': (device, _req, res) => {
    if (!device.sipState) throw new SimInputError('this device is not a doorbell');
    reply(res, 200, { ...device.sipState, presses: device.sipPresses });
  },
  'POST sip-hangup': (device, _req, res) => reply(res, 200, { ok: true, ended: device.sipHangUp() }),
  'GET requests': (device, _req, res) => reply(res, 200, device.requests),
  'GET doors': (device, _req, res) => reply(res, 200, device.doorCommands),
  'GET call-signals': (device, _req, res) => reply(res, 200, device.callSignals),
  'GET audio': (device, req, res) => {
    const channel = Number(req.query.get('channel') ?? 1);
    if (!Number.isInteger(channel) || channel < 1)
      throw new SimInputError('channel must be a positive integer');
    res.send(200, { 'Content-Type': 'application/octet-stream' }, device.audioReceived(channel));
  },
  'POST load': (device, req, res) => {
    loads.get(device)?.stop();
    const load = startEventLoad(device, validateLoad(parseJson(req)));
    loads.set(device, load);
    reply(res, 200, { ok: true, events: load.total });
  },
  'GET load': (device, _req, res) => {
    const load = loads.get(device);
    reply(res, 200, { running: load?.running ?? false, sent: load?.sent ?? 0, total: load?.total ?? 0 });
  },
  'DELETE load': (device, _req, res) => {
    loads.get(device)?.stop();
    reply(res, 200, { ok: true, sent: loads.get(device)?.sent ?? 0 });
  },
  'GET snapshot-delay': (device, _req, res) => reply(res, 200, { snapshotDelayMs: device.snapshotDelayMs }),
  'POST snapshot-delay': (device, req, res) => {
    const body = parseJson(req) as { snapshotDelayMs?: unknown };
    if (!body || typeof body !== 'object' || !('snapshotDelayMs' in body)) {
      throw new SimInputError('body must be {"snapshotDelayMs": ms | [min, max]}');
    }
    device.setSnapshotDelay(body.snapshotDelayMs as number);
    reply(res, 200, { ok: true, snapshotDelayMs: device.snapshotDelayMs });
  },
  'GET clock': (device, _req, res) => reply(res, 200, clockState(device)),
  'POST clock': (device, req, res) => {
    const body = parseJson(req) as { clockOffsetMs?: unknown };
    if (!body || typeof body !== 'object' || !('clockOffsetMs' in body)) {
      throw new SimInputError('body must be {"clockOffsetMs": ms} (negative = the device is behind)');
    }
    device.setClockOffset(body.clockOffsetMs as number);
    reply(res, 200, { ok: true, ...clockState(device) });
  },
  'GET info': (device, _req, res) =>
    reply(res, 200, {
      name: device.profile.name,
      model: device.profile.model,
      kind: device.profile.kind,
      serialNumber: serialOf(device),
      url: device.url,
      certificateFingerprint: device.certificateFingerprint ?? null,
      openAlertStreams: device.openAlertStreams,
    }),
};

/** The device clock: its offset, and the time it believes it is (UTC and as the device writes it). */
function clockState(device: SimDevice): { clockOffsetMs: number; deviceTime: string; localTime: string } {
  const now = device.deviceTime();
  return {
    clockOffsetMs: device.clockOffsetMs,
    deviceTime: now.toISOString(),
    localTime: localDateTime(now),
  };
}

/** The serial number the device reports (the profile's, or the `serialNumber` option). */
function serialOf(device: SimDevice): string | null {
  const entry = device.profile.isapi['System/deviceInfo'];
  const info =
    entry && 'response' in entry ? (entry.response.DeviceInfo as Record<string, unknown>) : undefined;
  const serial = info?.serialNumber;
  return typeof serial === 'string' ? serial : null;
}

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

/** What `startEventLoad` (and `POST /__sim/load`) takes. */
export interface EventLoadOptions {
  /** Events per second from this device (> 0). */
  rate: number;
  /** For how long; the device sends `round(rate * seconds)` events. */
  seconds: number;
  /** Wall-clock time (ms since the epoch) of the first event; default now. */
  startAt?: number;
  /** This device's first event comes this long after `startAt` (spreads a fleet evenly). */
  offsetMs?: number;
  /** The alarm to send (default VMD on channel 1). */
  event?: SimAlarmEvent;
  /** Alternate active / inactive, so every post starts or ends an episode (default false). */
  toggle?: boolean;
  /**
   * With `toggle`: each "inactive" follows its "active" after this many ms, and the actives keep
   * two periods apart, so how long an episode lasts does not depend on the rate (must be less
   * than two periods). Default: one period, evenly spaced posts.
   */
  activeMs?: number;
  /** Write the emit time into eventDescription (`emitted-at:<ms since the epoch>`, µs precision). */
  stamp?: boolean;
}

export interface EventLoad {
  readonly total: number;
  readonly sent: number;
  readonly running: boolean;
  stop(): void;
  /** Resolves when the last event was sent or the load was stopped. */
  readonly done: Promise<void>;
}

const STAMP_PREFIX = 'emitted-at:';
const MAX_LOAD_EVENTS = 10_000_000;

/** Emit time as a fractional ms since the epoch; same clock in every process on the machine. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The emit time a stamped event carries in its description (an event's `attributes.description`). */
export function stampOf(text: unknown): number | undefined {
  if (typeof text !== 'string' || !text.startsWith(STAMP_PREFIX)) return undefined;
  const value = Number(text.slice(STAMP_PREFIX.length));
  return Number.isFinite(value) ? value : undefined;
}

const loads = new WeakMap<SimDevice, EventLoad>();

/**
 * Sends alarms at a steady rate on every open alertStream: event k goes out at
 * `startAt + offsetMs + k / rate` (with `toggle` and `activeMs`: each pair's active at
 * `2 * floor(k / 2) / rate`, its inactive `activeMs` later). Timers are re-aimed at that
 * schedule, so lateness does not accumulate. With `stamp`, the time is read right before the
 * bytes are written.
 */
export function startEventLoad(device: SimDevice, options: EventLoadOptions): EventLoad {
  const template: SimAlarmEvent = options.event ?? { type: 'VMD', channel: 1 };
  const total = Math.min(MAX_LOAD_EVENTS, Math.round(options.rate * options.seconds));
  const periodMs = 1000 / options.rate;
  const firstAt = (options.startAt ?? Date.now()) + (options.offsetMs ?? 0);
  const activeMs = options.toggle ? (options.activeMs ?? periodMs) : periodMs;
  if (activeMs < 0 || activeMs >= 2 * periodMs)
    throw new SimInputError('activeMs must be less than 2 / rate');
  /** When event k goes out, relative to firstAt. */
  const dueMs = (k: number): number => (k - (k % 2)) * periodMs + (k % 2) * activeMs;
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let running = total > 0;
  const stop = (): void => {
    running = false;
    clearTimeout(timer);
    finish();
  };
  const next = (): void => {
    if (!running) return;
    if (sent >= total) {
      stop();
      return;
    }
    timer = setTimeout(fire, Math.max(0, firstAt + dueMs(sent) - Date.now()));
    timer.unref();
  };
  const fire = (): void => {
    const event: SimAlarmEvent = { ...template };
    if (options.toggle) event.state = sent % 2 === 0 ? 'active' : 'inactive';
    if (options.stamp) event.description = `${STAMP_PREFIX}${wallClockMs().toFixed(3)}`;
    device.trigger(event);
    sent += 1;
    next();
  };
  if (running) next();
  else finish();
  return {
    total,
    get sent() {
      return sent;
    },
    get running() {
      return running;
    },
    stop,
    done,
  };
}

function validateLoad(input: unknown): EventLoadOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SimInputError('load must be a JSON object {"rate": N, "seconds": N, ...}');
  }
  const o = input as Record<string, unknown>;
  const number = (key: string, min: number, max: number, required: boolean): number | undefined => {
    const value = o[key];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new SimInputError(`${key} must be a number between ${min} and ${max}`);
    }
    return value;
  };
  const flag = (key: string): boolean | undefined => {
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      throw new SimInputError(`${key} must be true or false`);
    return o[key] as boolean | undefined;
  };
  const rate = number('rate', 0.001, 100_000, true)!;
  let event: SimAlarmEvent | undefined;
  if (o.event !== undefined) {
    const checked = validateEvent(o.event);
    if ('raw' in checked || checked.type === 'AccessControllerEvent') {
      throw new SimInputError('load.event must be an alarm event ({"type": "VMD", ...})');
    }
    event = checked as SimAlarmEvent;
  }
  const options: EventLoadOptions = { rate, seconds: number('seconds', 0, 86_400, true)! };
  const startAt = number('startAt', 0, Number.MAX_SAFE_INTEGER, false);
  const offsetMs = number('offsetMs', 0, 86_400_000, false);
  const activeMs = number('activeMs', 0, 86_400_000, false);
  const toggle = flag('toggle');
  const stamp = flag('stamp');
  if (startAt !== undefined) options.startAt = startAt;
  if (offsetMs !== undefined) options.offsetMs = offsetMs;
  if (activeMs !== undefined) options.activeMs = activeMs;
  if (event) options.event = event;
  if (toggle !== undefined) options.toggle = toggle;
  if (stamp !== undefined) options.stamp = stamp;
  return options;
}
