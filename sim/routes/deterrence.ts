/**
 * **Invented**: active deterrence settings, JSON only (no capture holds them; shapes from public
 * ISAPI documentation):
 * - the audible alarm, `Event/triggers/notifications/AudioAlarm` (GET, PUT) and `.../capabilities`;
 * - the flashing light per channel, `Event/triggers/notifications/channels/{ch}/whiteLightAlarm`
 *   (GET, PUT) and `.../capabilities`, or device-wide `Event/triggers/notifications/whiteLightAlarm`
 *   as older firmware has it.
 * A device has a siren / a strobe when its profile holds the capabilities entry (the `ptz` profile
 * does, see sim/profiles/ptz.ts; `setEndpoint` can add or remove one at run time); others answer
 * 404 notSupport. The settings are kept across PUTs (stored as sent, so a client dropping fields
 * is seen doing so); a PUT with a sound not listed, a value outside the capabilities' range or an
 * unlisted frequency answers 400 badParameters and changes nothing. Served with `X-Sim-Invented`.
 */
import type { DeviceContext, RouteRequest } from '../context.ts';
import { INVENTED_HEADER } from '../invented.ts';
import { sendJson, sendOk, sendStatus } from '../respond.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';

export const DETERRENCE_INVENTED =
  'Event/triggers/notifications AudioAlarm/whiteLightAlarm: in none of the captures; shape of public ISAPI docs, state simulated';

const SIREN = 'Event/triggers/notifications/AudioAlarm';
const strobePath = (channel: number | null): string =>
  channel === null
    ? 'Event/triggers/notifications/whiteLightAlarm'
    : `Event/triggers/notifications/channels/${channel}/whiteLightAlarm`;

type Json = Record<string, unknown>;

interface DeterrenceState {
  siren?: Json;
  /** By channel; `device` for the device-wide setting. */
  strobes: Map<number | 'device', Json>;
}

const states = new WeakMap<DeviceContext, DeterrenceState>();

function stateOf(device: DeviceContext): DeterrenceState {
  let state = states.get(device);
  if (!state) {
    state = { strobes: new Map() };
    states.set(device, state);
  }
  return state;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The capabilities the profile holds for a path (the "this device has it" flag). */
function capabilities(device: DeviceContext, path: string, root: string): Json | undefined {
  const entry = device.model.isapi[`${path}/capabilities`];
  const json = entry && 'json' in entry ? entry.json : undefined;
  return isObject(json) && isObject(json[root]) ? (json[root] as Json) : undefined;
}

function inRange(value: unknown, range: unknown): boolean {
  if (typeof value !== 'number' || !Number.isInteger(value)) return false;
  if (!isObject(range)) return true;
  return value >= Number(range['@min']) && value <= Number(range['@max']);
}

function badParameters(r: RouteRequest): void {
  sendStatus(r, 400, { statusCode: 6, statusString: 'Invalid Content', subStatusCode: 'badParameters' });
}

/** The JSON body's root object, or undefined after answering 400. */
function readJsonBody(r: RouteRequest, root: string): Json | undefined {
  let body: unknown;
  try {
    body = JSON.parse(r.req.body.toString('utf8'));
  } catch {
    sendStatus(r, 400, { statusCode: 5, statusString: 'Invalid Format', subStatusCode: 'badJsonFormat' });
    return undefined;
  }
  const node = isObject(body) ? body[root] : undefined;
  if (!isObject(node)) {
    sendStatus(r, 400, { statusCode: 6, statusString: 'Invalid Content', subStatusCode: 'badJsonContent' });
    return undefined;
  }
  return node;
}

const headers = { [INVENTED_HEADER]: DETERRENCE_INVENTED };

// --- siren --------------------------------------------------------------------------------------

function soundIds(cap: Json): number[] {
  const list = cap.AlertAudioTypeListCap ?? cap.audioTypeListCap;
  return (Array.isArray(list) ? list : [])
    .filter(isObject)
    .map((item) => Number(item.alertAudioID ?? item.audioID));
}

function handleSiren(r: RouteRequest, match: RegExpExecArray): void {
  const cap = capabilities(r.device, SIREN, 'AudioAlarmCap');
  if (match[1] && r.req.method !== 'GET') {
    sendStatus(r, 405);
    return;
  }
  if (match[1] || !cap || r.device.model.isapi[r.path]) {
    serveFixture(r); // the capabilities entry itself, a path set at run time, or 404 notSupport
    return;
  }
  const state = stateOf(r.device);
  const first = soundIds(cap)[0] ?? 1;
  state.siren ??= {
    audioClass: 'alertAudio',
    alertAudioID: first,
    audioID: first,
    audioVolume: 50,
    alarmTimes: 5,
  };
  if (r.req.method === 'GET') {
    sendJson(r.res, 200, { AudioAlarm: state.siren }, headers);
    return;
  }
  const sent = readJsonBody(r, 'AudioAlarm');
  if (!sent) return;
  const id = sent.alertAudioID ?? sent.audioID;
  const mirrored =
    sent.alertAudioID === undefined || sent.audioID === undefined || sent.alertAudioID === sent.audioID;
  if (
    typeof id !== 'number' ||
    !soundIds(cap).includes(id) ||
    !mirrored ||
    !inRange(sent.audioVolume, cap.audioVolume) ||
    !inRange(sent.alarmTimes, cap.alarmTimes)
  ) {
    badParameters(r);
    return;
  }
  state.siren = sent;
  sendOk(r);
}

// --- strobe -------------------------------------------------------------------------------------

function handleStrobe(r: RouteRequest, match: RegExpExecArray): void {
  const channel = match[1] === undefined ? null : Number(match[1]);
  const cap = capabilities(r.device, strobePath(channel), 'WhiteLightAlarmCap');
  if (match[2] && r.req.method !== 'GET') {
    sendStatus(r, 405);
    return;
  }
  if (match[2] || !cap || r.device.model.isapi[r.path]) {
    serveFixture(r);
    return;
  }
  const strobes = stateOf(r.device).strobes;
  const key = channel ?? 'device';
  const current = strobes.get(key) ?? {
    ...(channel === null ? {} : { channelID: channel }),
    durationTime: 15,
    frequency: 'medium',
  };
  strobes.set(key, current);
  if (r.req.method === 'GET') {
    sendJson(r.res, 200, { WhiteLightAlarm: current }, headers);
    return;
  }
  const sent = readJsonBody(r, 'WhiteLightAlarm');
  if (!sent) return;
  const frequencies = isObject(cap.frequency) ? cap.frequency['@opt'] : undefined;
  const frequencyListed = Array.isArray(frequencies) && frequencies.includes(sent.frequency);
  const sameChannel = channel === null || sent.channelID === undefined || sent.channelID === channel;
  if (!inRange(sent.durationTime, cap.durationTime) || !frequencyListed || !sameChannel) {
    badParameters(r);
    return;
  }
  strobes.set(key, sent);
  sendOk(r);
}

export const deterrenceRoutes: Route[] = [
  {
    pattern: /^Event\/triggers\/notifications\/AudioAlarm(\/capabilities)?$/,
    methods: ['GET', 'PUT'],
    handle: handleSiren,
  },
  {
    pattern: /^Event\/triggers\/notifications\/(?:channels\/(\d+)\/)?whiteLightAlarm(\/capabilities)?$/,
    methods: ['GET', 'PUT'],
    handle: handleStrobe,
  },
];
