/**
 * Checks of faults, events and call states coming from tests or the /__sim/ control API. They
 * throw SimInputError with a message saying exactly what is wrong (the control API answers 400).
 */
import type { CallStatus, FixtureEntry, SimEvent, SimFault } from './types.ts';

export class SimInputError extends Error {}

type Json = Record<string, unknown>;

const FAULT_KINDS = [
  'wrongPassword',
  'forbidden',
  'busy',
  'slow',
  'stall',
  'reset',
  'malformedXml',
  'notActivated',
  'noChallenge',
  'status',
  'streamStall',
  'streamTruncate',
  'streamDrip',
  'streamFraming',
  'motionDisabled',
  'motionGridEmpty',
  'motionNotLinked',
] as const;
const BOUNDARY_MODES = ['header', 'literal-mismatch', 'missing', 'MIME_boundary'];
const CALL_STATUSES: CallStatus[] = ['idle', 'ring', 'onCall'];

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new SimInputError(message);
}

function optionalPaths(input: Json, required: boolean): string[] | undefined {
  const paths = input.paths;
  if (paths === undefined && !required) return undefined;
  if (
    !Array.isArray(paths) ||
    paths.length === 0 ||
    !paths.every((p) => typeof p === 'string' && p.startsWith('/'))
  ) {
    fail(`fault "${String(input.kind)}": paths must be a non-empty array of paths starting with "/"`);
  }
  return paths as string[];
}

function optionalBoolean(input: Json, key: string): boolean | undefined {
  const value = input[key];
  if (value !== undefined && typeof value !== 'boolean') fail(`${key} must be true or false`);
  return value as boolean | undefined;
}

function positiveInt(value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    fail(`${what} must be an integer between 0 and ${max}`);
  }
  return value;
}

export function validateFault(input: unknown): SimFault {
  if (!isObject(input)) fail('fault must be a JSON object with a "kind"');
  const kind = input.kind;
  if (!FAULT_KINDS.includes(kind as (typeof FAULT_KINDS)[number])) {
    fail(`unknown fault kind ${JSON.stringify(kind)}; expected one of ${FAULT_KINDS.join(', ')}`);
  }
  switch (kind) {
    case 'forbidden':
      return { kind, paths: optionalPaths(input, true)! };
    case 'status': {
      const status = positiveInt(input.status, 'status', 599);
      if (status < 200) fail('status must be an HTTP status between 200 and 599');
      return { kind, status, paths: optionalPaths(input, true)! };
    }
    case 'slow':
      return {
        kind,
        delayMs: positiveInt(input.delayMs, 'delayMs', 600_000),
        paths: optionalPaths(input, false),
      };
    case 'busy':
    case 'stall':
    case 'reset':
    case 'malformedXml':
      return { kind, paths: optionalPaths(input, false) };
    case 'streamTruncate': {
      const after = input.after ?? 'close';
      if (after !== 'close' && after !== 'continue')
        fail('streamTruncate.after must be "close" or "continue"');
      return { kind, after };
    }
    case 'streamDrip': {
      const bytes = positiveInt(input.bytes, 'streamDrip.bytes', 1_048_576);
      if (bytes < 1) fail('streamDrip.bytes must be at least 1');
      return { kind, bytes, intervalMs: positiveInt(input.intervalMs, 'streamDrip.intervalMs', 600_000) };
    }
    case 'streamFraming':
      return validateFraming(input);
    case 'motionDisabled':
    case 'motionGridEmpty':
    case 'motionNotLinked':
      return { kind, channels: optionalChannels(input) };
    default:
      return { kind: kind as 'wrongPassword' | 'notActivated' | 'noChallenge' | 'streamStall' };
  }
}

function optionalChannels(input: Json): number[] | undefined {
  const channels = input.channels;
  if (channels === undefined) return undefined;
  if (!Array.isArray(channels) || channels.length === 0) {
    fail(`fault "${String(input.kind)}": channels must be a non-empty array of channel numbers`);
  }
  return channels.map((channel) => {
    const n = positiveInt(channel, 'each channel', 512);
    if (n < 1) fail('channel numbers start at 1');
    return n;
  });
}

function validateFraming(input: Json): SimFault {
  const mode = input.boundaryMode;
  if (mode !== undefined && !BOUNDARY_MODES.includes(mode as string)) {
    fail(`boundaryMode must be one of ${BOUNDARY_MODES.join(', ')}`);
  }
  return {
    kind: 'streamFraming',
    boundaryMode: mode as 'header' | undefined,
    contentLength: optionalBoolean(input, 'contentLength'),
    blankLines: optionalBoolean(input, 'blankLines'),
    emptyActivePostCount: optionalBoolean(input, 'emptyActivePostCount'),
    bareAmpersand: optionalBoolean(input, 'bareAmpersand'),
  };
}

export function validateEvent(input: unknown): SimEvent {
  if (!isObject(input)) fail('event must be a JSON object');
  if ('raw' in input) {
    if (typeof input.raw !== 'string' && !Buffer.isBuffer(input.raw)) fail('raw must be a string');
    return { raw: input.raw as string | Buffer };
  }
  if (typeof input.type !== 'string' || input.type === '') fail('event.type must be a non-empty string');
  if (input.type === 'AccessControllerEvent') {
    return {
      type: 'AccessControllerEvent',
      major: positiveInt(input.major, 'major'),
      minor: positiveInt(input.minor, 'minor'),
      door: input.door === undefined ? undefined : positiveInt(input.door, 'door', 64),
      currentEvent: optionalBoolean(input, 'currentEvent'),
    };
  }
  return validateAlarm(input);
}

function validateAlarm(input: Json): SimEvent {
  const state = input.state;
  if (state !== undefined && state !== 'active' && state !== 'inactive')
    fail('state must be "active" or "inactive"');
  const targets = input.targets;
  if (targets !== undefined) {
    if (!Array.isArray(targets) || !targets.every((t) => t === 'human' || t === 'vehicle')) {
      fail('targets must be an array of "human" | "vehicle"');
    }
  }
  const schema = input.schema;
  if (schema !== undefined && schema !== 'v1' && schema !== 'v2') fail('schema must be "v1" or "v2"');
  if (input.relationEvent !== undefined && typeof input.relationEvent !== 'string') {
    fail('relationEvent must be a string');
  }
  const description = input.description;
  if (description !== undefined && (typeof description !== 'string' || description.length > 256)) {
    fail('description must be a string of at most 256 characters');
  }
  return {
    type: input.type as string,
    channel: input.channel === undefined ? undefined : positiveInt(input.channel, 'channel', 512),
    state: state as 'active' | undefined,
    targets: targets as Array<'human' | 'vehicle'> | undefined,
    image: optionalBoolean(input, 'image'),
    ioPort: input.ioPort === undefined ? undefined : positiveInt(input.ioPort, 'ioPort', 512),
    schema: schema as 'v1' | undefined,
    relationEvent: input.relationEvent as string | undefined,
    emptyActivePostCount: optionalBoolean(input, 'emptyActivePostCount'),
    bareAmpersand: optionalBoolean(input, 'bareAmpersand'),
    description: description as string | undefined,
  };
}

export function validateCallStatus(input: unknown): CallStatus {
  if (!CALL_STATUSES.includes(input as CallStatus)) {
    fail(`status must be one of ${CALL_STATUSES.join(', ')}`);
  }
  return input as CallStatus;
}

/** Checks a `setEndpoint` entry: one of the fixture entry forms, or null to remove the endpoint. */
export function validateEndpointEntry(input: unknown): FixtureEntry | null {
  if (input === null) return null;
  if (!isObject(input)) fail('entry must be a fixture entry object or null');
  if ('response' in input) {
    const root = input.response;
    if (!isObject(root) || Object.keys(root).length !== 1) {
      fail('entry.response must be an object with exactly one root element, e.g. {"Integrate": {...}}');
    }
    return { response: root as never };
  }
  if ('json' in input) {
    if (!isObject(input.json)) fail('entry.json must be an object');
    const status =
      input.status_code === undefined ? undefined : positiveInt(input.status_code, 'status_code', 599);
    return status === undefined
      ? { json: input.json as never }
      : { json: input.json as never, status_code: status };
  }
  if ('status_code' in input) {
    const status = positiveInt(input.status_code, 'status_code', 599);
    if (status < 200) fail('status_code must be an HTTP status between 200 and 599');
    return { status_code: status };
  }
  if ('error' in input) return { error: String(input.error) };
  return fail('entry needs one of "response", "json", "status_code" or "error"');
}

/** `/ISAPI/System/x`, `ISAPI/System/x` and `System/x` all name the same endpoint. */
export function endpointKey(path: unknown): string {
  if (typeof path !== 'string' || path.trim() === '') fail('path must be a non-empty string');
  const key = path
    .split('?')[0]!
    .replace(/^\/?ISAPI\//, '')
    .replace(/^\//, '');
  if (key === '') fail('path must name an endpoint under /ISAPI/');
  return key;
}
