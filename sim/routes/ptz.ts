/**
 * PTZ on a simulated device: continuous moves, presets, home position, patrols and status, on a
 * camera's own channel (`PTZCtrl/channels/{ch}/...`) and through an NVR's proxy
 * (`ContentMgmt/PTZCtrlProxy/channels/{ch}/...`). A channel has PTZ when the profile answers its
 * `.../capabilities` (the `ptz` profile does for channel 1; `setEndpoint` adds or removes it on
 * any device); every other channel falls through to the fixture answers (404 notSupport), as on a
 * camera without PTZ. Limits (presets, reserved numbers, patrols) are read from that document.
 *
 * No capture of a PTZ camera exists: the answers' shapes are those public ISAPI clients read and
 * write, and every answer here carries X-Sim-Invented. State is per device and channel: the
 * position moves while a continuous move runs (speed 100 = 90 degrees of pan or tilt a second)
 * and every request is recorded with its time (`simPtz(device).requests`), so a test sees when a
 * stop arrived. Checked like a device: broken XML → 400 statusCode 5; speeds outside -100..100,
 * preset or patrol numbers outside the capabilities, names over 32 characters, a reserved preset
 * number saved, an unset preset called → 400 statusCode 6.
 */
import type { RouteRequest } from '../context.ts';
import { dig, responseOf, text } from '../dict.ts';
import { INVENTED_HEADER } from '../invented.ts';
import { PTZ_INVENTED } from '../profiles/ptz.ts';
import { sendStatus, sendXml } from '../respond.ts';
import type { SimProfile, XmlDict, XmlValue } from '../types.ts';
import { toXml } from '../xml.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { badContent, readXmlBody } from './xml-body.ts';

export interface SimPtzPosition {
  /** Azimuth in tenths of a degree, 0..3599. */
  pan: number;
  /** Elevation in tenths of a degree, -900..900. */
  tilt: number;
  /** Absolute zoom, 10..250 (1.0x..25.0x). */
  zoom: number;
}

export interface SimPtzSpeeds {
  pan: number;
  tilt: number;
  zoom: number;
}

/** One PTZ request the device handled: what it asked for and what was answered. */
export interface SimPtzRequest {
  at: number;
  method: string;
  /** Path under /ISAPI/ without query. */
  path: string;
  channel: number;
  proxy: boolean;
  /** continuous, capabilities, presets, preset, goto, home, homeGoto, patrols, patrolStart, patrolStop, status */
  action: string;
  /** Continuous moves: the speeds sent (an axis left out counts as 0). */
  speeds?: SimPtzSpeeds;
  status: number;
}

export interface SimPtzChannel {
  position: SimPtzPosition;
  velocity: SimPtzSpeeds;
  /** When `position` was last brought up to date (ms). */
  since: number;
  presets: Map<number, { name: string; position: SimPtzPosition }>;
  home: SimPtzPosition;
  patrols: Array<{ id: number; name: string; presets: number[] }>;
  runningPatrol: number | null;
}

const MAX_RECORDS = 2000;
const START: SimPtzPosition = { pan: 0, tilt: 0, zoom: 10 };

/** The PTZ state of one simulated device. */
export class SimPtz {
  /** Every PTZ request, oldest first (the newest 2000 kept). */
  readonly requests: SimPtzRequest[] = [];
  private readonly channels = new Map<string, SimPtzChannel>();

  channel(channel: number, proxy = false): SimPtzChannel {
    const key = `${proxy ? 'proxy' : 'own'}:${channel}`;
    let state = this.channels.get(key);
    if (!state) {
      state = {
        position: { ...START },
        velocity: { pan: 0, tilt: 0, zoom: 0 },
        since: Date.now(),
        // Invented starting data: one preset and one patrol over it.
        presets: new Map([[1, { name: 'Entrance', position: { ...START } }]]),
        home: { ...START },
        patrols: [{ id: 1, name: 'Patrol 1', presets: [1] }],
        runningPatrol: null,
      };
      this.channels.set(key, state);
    }
    return state;
  }

  /** Where the channel points now (moves are applied up to this moment). */
  position(channel: number, proxy = false): SimPtzPosition {
    const state = this.channel(channel, proxy);
    advance(state);
    return { ...state.position };
  }

  moving(channel: number, proxy = false): boolean {
    const { velocity } = this.channel(channel, proxy);
    return velocity.pan !== 0 || velocity.tilt !== 0 || velocity.zoom !== 0;
  }

  record(entry: SimPtzRequest): void {
    this.requests.push(entry);
    if (this.requests.length > MAX_RECORDS) this.requests.splice(0, this.requests.length - MAX_RECORDS);
  }
}

const states = new WeakMap<SimProfile, SimPtz>();

/**
 * The PTZ state of a simulated device (`SimDevice`, or anything with its `profile`). Keyed by the
 * device's profile object: devices started from one shared `SimProfile` object share it.
 */
export function simPtz(device: { profile: SimProfile }): SimPtz {
  let state = states.get(device.profile);
  if (!state) {
    state = new SimPtz();
    states.set(device.profile, state);
  }
  return state;
}

/** Applies the running move up to now: pan wraps, tilt and zoom stop at their ends. */
function advance(state: SimPtzChannel, now = Date.now()): void {
  const seconds = (now - state.since) / 1000;
  state.since = now;
  const { position: p, velocity: v } = state;
  if (seconds <= 0) return;
  p.pan = Math.round((((p.pan + v.pan * 9 * seconds) % 3600) + 3600) % 3600);
  p.tilt = Math.round(Math.min(900, Math.max(-900, p.tilt + v.tilt * 9 * seconds)));
  p.zoom = Math.round(Math.min(250, Math.max(10, p.zoom + v.zoom * seconds)));
}

function place(state: SimPtzChannel, position: SimPtzPosition): void {
  advance(state);
  state.velocity = { pan: 0, tilt: 0, zoom: 0 };
  state.position = { ...position };
}

// --- request bodies -------------------------------------------------------------------------------

class BadContent extends Error {}

function intIn(value: XmlValue | undefined, min: number, max: number, name: string): number | undefined {
  if (value === undefined) return undefined;
  const raw = text(value) ?? '';
  const n = /^-?\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= min && n <= max)) throw new BadContent(`${name} must be ${min}..${max}`);
  return n;
}

// --- answers ----------------------------------------------------------------------------------------

function sendDoc(r: RouteRequest, root: string, body: XmlDict): void {
  const doc = { [root]: { '@version': '2.0', '@xmlns': r.device.model.namespace, ...body } };
  sendXml(r.res, 200, toXml(doc), { [INVENTED_HEADER]: PTZ_INVENTED });
}

interface Limits {
  maxPresets: number;
  special: Set<number>;
  maxPatrols: number;
}

function limitsOf(capabilities: XmlDict): Limits {
  const cap = Object.values(capabilities)[0];
  const number = (key: string): number => Number(text(dig(cap, key)) ?? '0') || 0;
  const opt = text(dig(cap, 'PresetNameCap', 'specialNo', '@opt')) ?? '';
  const special = new Set(
    opt
      .split(',')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0),
  );
  return { maxPresets: number('maxPresetNum'), special, maxPatrols: number('maxPatrolNum') };
}

const PATH =
  /^(PTZCtrl|ContentMgmt\/PTZCtrlProxy)\/channels\/(\d{1,3})\/(capabilities|continuous|status|presets|presets\/(\d{1,4})|presets\/(\d{1,4})\/goto|homeposition|homeposition\/goto|patrols|patrols\/(\d{1,3})\/(start|stop))$/;

interface Call {
  r: RouteRequest;
  ptz: SimPtz;
  state: SimPtzChannel;
  limits: Limits;
  record: Omit<SimPtzRequest, 'status' | 'action'>;
}

/** Runs one action: BadContent becomes the device's 400; the request is recorded with its status. */
function act(call: Call, action: string, work: () => void): void {
  let status = 200;
  try {
    work();
  } catch (error) {
    if (!(error instanceof BadContent)) throw error;
    status = 400;
    badContent(
      call.r,
      error.message === 'unset' || error.message === 'reserved' ? 'badParameters' : undefined,
    );
  }
  call.ptz.record({ ...call.record, action, status });
}

function ok(r: RouteRequest): void {
  sendStatus(r, 200);
}

function presetNumber(raw: string, limits: Limits): number {
  const id = Number(raw);
  if (!(id >= 1 && id <= limits.maxPresets)) throw new BadContent(`preset must be 1..${limits.maxPresets}`);
  return id;
}

function continuous(call: Call) {
  const { r, state } = call;
  const node = readXmlBody(r, 'PTZData');
  if (!node) return call.ptz.record({ ...call.record, action: 'continuous', status: 400 });
  let speeds: SimPtzSpeeds;
  try {
    speeds = {
      pan: intIn(node.pan, -100, 100, 'pan') ?? 0,
      tilt: intIn(node.tilt, -100, 100, 'tilt') ?? 0,
      zoom: intIn(node.zoom, -100, 100, 'zoom') ?? 0,
    };
  } catch (error) {
    if (!(error instanceof BadContent)) throw error;
    badContent(r);
    return call.ptz.record({ ...call.record, action: 'continuous', status: 400 });
  }
  advance(state);
  state.velocity = speeds;
  state.runningPatrol = null;
  ok(r);
  call.ptz.record({ ...call.record, action: 'continuous', status: 200, speeds });
}

function presetList(call: Call): XmlDict {
  const entries = [...call.state.presets.entries()].sort(([a], [b]) => a - b);
  return {
    PTZPreset: entries.map(([id, preset]) => ({ enabled: 'true', id: String(id), presetName: preset.name })),
  };
}

function savePreset(call: Call, raw: string) {
  const { r, state, limits } = call;
  const node = readXmlBody(r, 'PTZPreset');
  if (!node) return call.ptz.record({ ...call.record, action: 'preset', status: 400 });
  act(call, 'preset', () => {
    const id = presetNumber(raw, limits);
    const bodyId = intIn(node.id, 1, 9999, 'id');
    if (bodyId !== undefined && bodyId !== id) throw new BadContent('id differs from the URL');
    if (limits.special.has(id)) throw new BadContent('reserved');
    const name = text(node.presetName) ?? `Preset ${id}`;
    if ([...name].length > 32) throw new BadContent('presetName is longer than 32');
    advance(state);
    state.presets.set(id, { name, position: { ...state.position } });
    ok(r);
  });
}

function handle(r: RouteRequest, match: RegExpExecArray) {
  const proxy = match[1] !== 'PTZCtrl';
  const channel = Number(match[2]);
  const capabilities = responseOf(r.device.model.isapi[`${match[1]}/channels/${channel}/capabilities`]);
  // No PTZ on this channel: whatever the profile has (usually 404 notSupport), like a fixed camera.
  if (!capabilities) return serveFixture(r);
  const ptz = simPtz({ profile: r.device.model.profile });
  const call: Call = {
    r,
    ptz,
    state: ptz.channel(channel, proxy),
    limits: limitsOf(capabilities),
    record: { at: Date.now(), method: r.req.method, path: r.path, channel, proxy },
  };
  const what = match[3]!;
  const method = r.req.method === 'HEAD' ? 'GET' : r.req.method;
  const allowed = (methods: string[]): boolean => {
    if (methods.includes(method)) return true;
    sendStatus(r, 405);
    ptz.record({ ...call.record, action: what, status: 405 });
    return false;
  };
  if (what === 'capabilities') {
    if (allowed(['GET'])) act(call, 'capabilities', () => serveFixture(r));
  } else if (what === 'continuous') {
    if (allowed(['PUT'])) continuous(call);
  } else if (what === 'status') {
    if (allowed(['GET'])) act(call, 'status', () => sendDoc(r, 'PTZStatus', statusOf(ptz, channel, proxy)));
  } else if (what === 'presets') {
    if (allowed(['GET'])) act(call, 'presets', () => sendDoc(r, 'PTZPresetList', presetList(call)));
  } else if (match[4] !== undefined) {
    if (!allowed(['GET', 'PUT', 'DELETE'])) return;
    if (method === 'PUT') return savePreset(call, match[4]);
    act(call, 'preset', () => {
      const id = presetNumber(match[4]!, call.limits);
      const preset = call.state.presets.get(id);
      if (method === 'DELETE') {
        if (call.limits.special.has(id)) throw new BadContent('reserved');
        call.state.presets.delete(id);
        return ok(r);
      }
      sendDoc(r, 'PTZPreset', { enabled: String(!!preset), id: String(id), presetName: preset?.name ?? '' });
    });
  } else if (match[5] !== undefined) {
    if (!allowed(['PUT'])) return;
    act(call, 'goto', () => {
      const preset = call.state.presets.get(presetNumber(match[5]!, call.limits));
      if (!preset) throw new BadContent('unset');
      place(call.state, preset.position);
      call.state.runningPatrol = null;
      ok(r);
    });
  } else if (what === 'homeposition') {
    if (!allowed(['PUT'])) return;
    act(call, 'home', () => {
      advance(call.state);
      call.state.home = { ...call.state.position };
      ok(r);
    });
  } else if (what === 'homeposition/goto') {
    if (!allowed(['PUT'])) return;
    act(call, 'homeGoto', () => {
      place(call.state, call.state.home);
      call.state.runningPatrol = null;
      ok(r);
    });
  } else if (what === 'patrols') {
    if (allowed(['GET'])) act(call, 'patrols', () => sendDoc(r, 'PTZPatrolList', patrolList(call)));
  } else if (match[6] !== undefined) {
    if (!allowed(['PUT'])) return;
    const start = match[7] === 'start';
    act(call, start ? 'patrolStart' : 'patrolStop', () => {
      const id = Number(match[6]);
      if (!(id >= 1 && id <= call.limits.maxPatrols))
        throw new BadContent(`patrol must be 1..${call.limits.maxPatrols}`);
      if (start) {
        advance(call.state);
        call.state.velocity = { pan: 0, tilt: 0, zoom: 0 };
        call.state.runningPatrol = id;
      } else if (call.state.runningPatrol === id) call.state.runningPatrol = null;
      ok(r);
    });
  }
}

function statusOf(ptz: SimPtz, channel: number, proxy: boolean): XmlDict {
  const p = ptz.position(channel, proxy);
  return {
    AbsoluteHigh: { elevation: String(p.tilt), azimuth: String(p.pan), absoluteZoom: String(p.zoom) },
  };
}

function patrolList(call: Call): XmlDict {
  const patrols: XmlDict[] = [];
  for (let id = 1; id <= call.limits.maxPatrols; id++) {
    const patrol = call.state.patrols.find((p) => p.id === id);
    const sequence = (patrol?.presets ?? []).map((preset, index) => ({
      id: String(index + 1),
      presetID: String(preset),
      dwellTime: '10',
      speed: '30',
    }));
    patrols.push({
      id: String(id),
      enabled: String(!!patrol),
      patrolName: patrol?.name ?? `Patrol ${id}`,
      PatrolSequenceList: sequence.length > 0 ? { PatrolSequence: sequence } : null,
    });
  }
  return { PTZPatrol: patrols };
}

export const ptzRoutes: Route[] = [
  {
    pattern: PATH,
    methods: ['GET', 'PUT', 'DELETE', 'POST'],
    handle,
  },
];
