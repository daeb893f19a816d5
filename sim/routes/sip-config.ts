/**
 * A doorbell's SIP settings over ISAPI (../shared/notes/isapi.md, "Doorbells"): the SIP server
 * (`System/Network/SIP/1` and the list form `System/Network/SIP`), the call button mapping
 * (`VideoIntercom/keyCfg/{button}`) and the ring/talk times (`VideoIntercom/operationTime`).
 * Phone number records are JSON and live in sip-phone-records.ts.
 *
 * State is `context.sip` (sim/sip-settings.ts), which the simulated SIP agent follows; every
 * accepted write calls `sip.changed()`. No capture has these answers: they are marked invented.
 * Elements the simulator models keep their value when a PUT leaves them out (the password above
 * all: GET never shows it, so a client cannot send it back). Any other element is stored as the
 * last PUT sent it, so a client that drops settings it does not understand is seen doing so.
 * `setEndpoint` on one of these paths wins over the simulated answer (e.g. `{status_code: 404}`
 * for a doorbell without the single form).
 */
import type { DeviceContext, RouteRequest } from '../context.ts';
import { isDict } from '../dict.ts';
import { INVENTED_HEADER } from '../invented.ts';
import { sendStatus, sendXml } from '../respond.ts';
import type { SimSipServer, SimSipSettings } from '../sip-settings.ts';
import type { XmlDict } from '../types.ts';
import { toXml } from '../xml.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { badContent, readXmlBody } from './xml-body.ts';

export const SIP_INVENTED =
  'doorbell SIP settings: in none of the captures; shapes from public clients (notes/isapi.md), state simulated';

const isDoorbell = (device: DeviceContext): boolean => device.model.profile.kind === 'doorbell';

/** An entry set with setEndpoint on this very path answers instead of the simulation. */
export function overridden(r: RouteRequest): boolean {
  return r.device.model.isapi[r.path] !== undefined;
}

export function invented(): Record<string, string> {
  return { [INVENTED_HEADER]: SIP_INVENTED };
}

// --- reading PUT bodies -------------------------------------------------------------------

export class BadContent extends Error {}

/** Text of a leaf child; undefined when absent; BadContent when it is a container or repeated. */
function leaf(node: XmlDict, name: string): string | undefined {
  const value = node[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (isDict(value) && typeof value['#text'] === 'string' && Object.keys(value).every(isTextOrAttr))
    return value['#text'];
  if (isDict(value) && Object.keys(value).every((key) => key.startsWith('@'))) return '';
  throw new BadContent(`${name} is not a plain value`);
}

const isTextOrAttr = (key: string): boolean => key === '#text' || key.startsWith('@');

function intIn(value: string | undefined, min: number, max: number, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw new BadContent(`${name} must be ${min}..${max}`);
  return n;
}

function textUpTo(value: string | undefined, max: number, name: string): string | undefined {
  if (value !== undefined && value.length > max) throw new BadContent(`${name} is longer than ${max}`);
  return value;
}

function boolOf(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new BadContent(`${name} must be true or false`);
  return value === 'true';
}

/** Children of `node` other than attributes and `known`: what the simulator stores as sent. */
function others(node: XmlDict, known: readonly string[]): XmlDict {
  const out: XmlDict = {};
  for (const [key, value] of Object.entries(node)) {
    if (!key.startsWith('@') && key !== '#text' && !known.includes(key)) out[key] = value;
  }
  return out;
}

/** Runs a PUT handler: BadContent becomes the device's 400, success calls `sip.changed()`. */
function applyPut(r: RouteRequest, apply: () => void): void {
  try {
    apply();
  } catch (error) {
    if (!(error instanceof BadContent)) throw error;
    badContent(r);
    return;
  }
  r.device.sip.changed();
  sendStatus(r, 200);
}

// --- state the routes keep beside context.sip ---------------------------------------------------

interface KeyExtras {
  moduleId: string;
  templateNo: string;
  others: XmlDict;
}

interface RouteState {
  /** SIPServer children the simulator does not model (streamID, as in the notes' PUT shape). */
  server: XmlDict;
  standard: XmlDict;
  keys: Map<number, KeyExtras>;
  /** messageTime as a real door station showed it beside maxRingTime and talkTime. */
  operationTime: XmlDict;
}

const states = new WeakMap<SimSipSettings, RouteState>();

function stateOf(sip: SimSipSettings): RouteState {
  let state = states.get(sip);
  if (!state) {
    state = {
      server: { streamID: '1' },
      standard: {},
      keys: new Map(),
      operationTime: { messageTime: '30' },
    };
    states.set(sip, state);
  }
  return state;
}

// --- System/Network/SIP -------------------------------------------------------------------------

const SERVER_KNOWN = ['id', 'localPort', 'Standard'] as const;
const STANDARD_KNOWN = [
  'enabled',
  'registerStatus',
  'proxy',
  'proxyPort',
  'displayName',
  'userName',
  'authID',
  'password',
  'expires',
] as const;

/** The one SIP server as GET shows it: never the password, registerStatus from the agent. */
function serverDict(sip: SimSipSettings): XmlDict {
  const state = stateOf(sip);
  const s = sip.server;
  return {
    id: '1',
    localPort: String(s.localPort),
    ...state.server,
    Standard: {
      enabled: String(s.enabled),
      registerStatus: sip.registerStatus,
      proxy: s.proxy,
      proxyPort: String(s.proxyPort),
      displayName: s.displayName,
      userName: s.userName,
      authID: s.authId,
      expires: String(s.expires),
      ...state.standard,
    },
  };
}

/** Checks one SIPServer element completely, then applies it (all or nothing). */
function applyServer(sip: SimSipSettings, node: XmlDict): void {
  const id = leaf(node, 'id');
  if (id !== undefined && id !== '1') throw new BadContent('this doorbell has one SIP server, id 1');
  const standardValue = node.Standard;
  if (standardValue !== undefined && !isDict(standardValue) && standardValue !== '')
    throw new BadContent('Standard must be an element');
  const standard = isDict(standardValue) ? standardValue : {};
  const localPort = intIn(leaf(node, 'localPort'), 1, 65535, 'localPort');
  const change: Partial<SimSipServer> = {
    enabled: boolOf(leaf(standard, 'enabled'), 'enabled'),
    proxy: textUpTo(leaf(standard, 'proxy'), 128, 'proxy'),
    proxyPort: intIn(leaf(standard, 'proxyPort'), 1, 65535, 'proxyPort'),
    displayName: textUpTo(leaf(standard, 'displayName'), 64, 'displayName'),
    userName: textUpTo(leaf(standard, 'userName'), 64, 'userName'),
    authId: textUpTo(leaf(standard, 'authID'), 64, 'authID'),
    password: textUpTo(leaf(standard, 'password'), 64, 'password'),
    expires: intIn(leaf(standard, 'expires'), 1, 86400, 'expires'),
    localPort,
  };
  const state = stateOf(sip);
  for (const [key, value] of Object.entries(change)) {
    if (value !== undefined) (sip.server as unknown as Record<string, unknown>)[key] = value;
  }
  state.server = others(node, SERVER_KNOWN);
  if (standardValue !== undefined) state.standard = others(standard, STANDARD_KNOWN);
}

function sendDoc(r: RouteRequest, root: string, body: XmlDict): void {
  const doc = { [root]: { '@version': '2.0', '@xmlns': r.device.model.namespace, ...body } };
  sendXml(r.res, 200, toXml(doc), invented());
}

const sipServerRoute: Route = {
  pattern: /^System\/Network\/SIP\/(\d+)$/,
  methods: ['GET', 'PUT'],
  when: isDoorbell,
  handle(r, match) {
    if (overridden(r)) return serveFixture(r);
    if (match[1] !== '1') return sendStatus(r, 404);
    const { sip } = r.device;
    if (r.req.method !== 'PUT') return sendDoc(r, 'SIPServer', serverDict(sip));
    const node = readXmlBody(r, 'SIPServer');
    if (node) applyPut(r, () => applyServer(sip, node));
  },
};

const sipServerListRoute: Route = {
  pattern: /^System\/Network\/SIP$/,
  methods: ['GET', 'PUT'],
  when: isDoorbell,
  handle(r) {
    if (overridden(r)) return serveFixture(r);
    const { sip } = r.device;
    if (r.req.method !== 'PUT') return sendDoc(r, 'SIPServerList', { SIPServer: serverDict(sip) });
    const list = readXmlBody(r, 'SIPServerList');
    if (!list) return;
    applyPut(r, () => {
      const servers = list.SIPServer;
      const items = Array.isArray(servers) ? servers : servers === undefined ? [] : [servers];
      if (items.length !== 1 || !isDict(items[0])) throw new BadContent('expected one SIPServer');
      applyServer(sip, items[0]);
    });
  },
};

// --- VideoIntercom/keyCfg/{button} ------------------------------------------------------------------

const KEY_KNOWN = ['id', 'callNumber', 'moduleId', 'templateNo'] as const;

function keyExtras(sip: SimSipSettings, button: number): KeyExtras {
  return stateOf(sip).keys.get(button) ?? { moduleId: '1', templateNo: '0', others: {} };
}

const keyCfgRoute: Route = {
  pattern: /^VideoIntercom\/keyCfg\/([^/]+)$/,
  methods: ['GET', 'PUT'],
  when: isDoorbell,
  handle(r, match) {
    if (overridden(r)) return serveFixture(r);
    const button = /^\d{1,2}$/.test(match[1]!) ? Number(match[1]) : 0;
    // A button the device does not have: 400 badParameters, as devices answer out-of-range ids.
    if (button < 1 || button > 99) return sendStatus(r, 400);
    const { sip } = r.device;
    const extras = keyExtras(sip, button);
    if (r.req.method !== 'PUT') {
      const body = {
        id: String(button),
        callNumber: sip.keys.get(button) ?? '',
        moduleId: extras.moduleId,
        templateNo: extras.templateNo,
        ...extras.others,
      };
      return sendDoc(r, 'KeyCfg', body);
    }
    const node = readXmlBody(r, 'KeyCfg');
    if (!node) return;
    applyPut(r, () => {
      const id = leaf(node, 'id');
      if (id !== undefined && id !== String(button)) throw new BadContent('id differs from the URL');
      const callNumber = leaf(node, 'callNumber');
      if (callNumber !== undefined && !/^\d{0,32}$/.test(callNumber))
        throw new BadContent('callNumber must be up to 32 digits');
      const moduleId = intIn(leaf(node, 'moduleId'), 0, 255, 'moduleId');
      const templateNo = intIn(leaf(node, 'templateNo'), 0, 255, 'templateNo');
      if (callNumber === '') sip.keys.delete(button);
      else if (callNumber !== undefined) sip.keys.set(button, callNumber);
      stateOf(sip).keys.set(button, {
        moduleId: moduleId === undefined ? extras.moduleId : String(moduleId),
        templateNo: templateNo === undefined ? extras.templateNo : String(templateNo),
        others: others(node, KEY_KNOWN),
      });
    });
  },
};

// --- VideoIntercom/operationTime ----------------------------------------------------------------

const OPERATION_KNOWN = ['maxRingTime', 'talkTime'] as const;

const operationTimeRoute: Route = {
  pattern: /^VideoIntercom\/operationTime$/,
  methods: ['GET', 'PUT'],
  when: isDoorbell,
  handle(r) {
    if (overridden(r)) return serveFixture(r);
    const { sip } = r.device;
    if (r.req.method !== 'PUT') {
      const { maxRingTime, talkTime } = sip.operationTime;
      const body = {
        maxRingTime: String(maxRingTime),
        talkTime: String(talkTime),
        ...stateOf(sip).operationTime,
      };
      return sendDoc(r, 'OperationTime', body);
    }
    const node = readXmlBody(r, 'OperationTime');
    if (!node) return;
    applyPut(r, () => {
      const maxRingTime = intIn(leaf(node, 'maxRingTime'), 1, 3600, 'maxRingTime');
      const talkTime = intIn(leaf(node, 'talkTime'), 1, 3600, 'talkTime');
      sip.operationTime = {
        maxRingTime: maxRingTime ?? sip.operationTime.maxRingTime,
        talkTime: talkTime ?? sip.operationTime.talkTime,
      };
      stateOf(sip).operationTime = others(node, OPERATION_KNOWN);
    });
  },
};

export const sipConfigRoutes: Route[] = [sipServerRoute, sipServerListRoute, keyCfgRoute, operationTimeRoute];
