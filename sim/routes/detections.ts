/**
 * Detection switches and trigger linkage, with state: `PUT` on a detection the profile has
 * (motion/tamper under `System/Video/inputs/channels/{ch}` or an NVR's
 * `ContentMgmt/InputProxy/channels/{ch}/video`, the `Smart/*` ones) stores the document as sent
 * (so a client dropping elements is seen doing so); `enabled` must be true or false. `PUT
 * Event/triggers/{id}` stores the trigger in the `Event/triggers` list and in a recorded single
 * answer. Paths the profile lacks answer 404 notSupport, as before.
 */
import type { RouteRequest } from '../context.ts';
import { asList, dig, isDict, responseOf, rootOf, text } from '../dict.ts';
import { sendOk } from '../respond.ts';
import type { XmlDict } from '../types.ts';
import { serveFixture } from './fixture.ts';
import type { Route } from './route.ts';
import { triggerRoutes } from './triggers.ts';
import { badContent, readXmlBody } from './xml-body.ts';

const DETECTION_PATH =
  /^(?:System\/Video\/inputs\/channels\/\d+\/(?:motion|tamper)Detection|ContentMgmt\/InputProxy\/channels\/\d+\/video\/(?:motion|tamper)Detection|Smart\/(?:FieldDetection|LineDetection|regionEntrance|regionExiting|SceneChangeDetection)\/\d+)$/;

/** The recorded document's root name and dict, when the profile has this path. */
function recorded(r: RouteRequest): { root: string; dict: XmlDict } | undefined {
  const doc = responseOf(r.device.model.isapi[r.path]);
  const root = doc ? Object.keys(doc)[0] : undefined;
  const dict = root ? doc?.[root] : undefined;
  return root && isDict(dict) ? { root, dict } : undefined;
}

/** The attributes the device writes on its root (version, namespace) are its own, not the client's. */
function withRootAttributes(stored: XmlDict, sent: XmlDict): XmlDict {
  const attributes = Object.fromEntries(Object.entries(stored).filter(([key]) => key.startsWith('@')));
  const body = Object.fromEntries(Object.entries(sent).filter(([key]) => !key.startsWith('@')));
  return { ...attributes, ...body };
}

function putDetection(r: RouteRequest): void {
  const current = recorded(r);
  if (!current) {
    serveFixture(r); // 404 notSupport, or the recorded status
    return;
  }
  const sent = readXmlBody(r, current.root);
  if (!sent) return;
  if (text(sent.enabled) !== 'true' && text(sent.enabled) !== 'false') {
    badContent(r);
    return;
  }
  r.device.model.isapi[r.path] = { response: { [current.root]: withRootAttributes(current.dict, sent) } };
  sendOk(r);
}

function putTrigger(r: RouteRequest, id: string): void {
  const { isapi } = r.device.model;
  const list = rootOf(isapi, 'Event/triggers');
  const items = asList(dig(list, 'EventTrigger'));
  const at = items.findIndex((item) => isDict(item) && text(item.id) === id);
  const single = isapi[r.path];
  if (at < 0 && !single) {
    serveFixture(r);
    return;
  }
  const sent = readXmlBody(r, 'EventTrigger');
  if (!sent) return;
  if (text(sent.id) !== undefined && text(sent.id) !== id) {
    badContent(r);
    return;
  }
  const trigger: XmlDict = Object.fromEntries(Object.entries(sent).filter(([key]) => !key.startsWith('@')));
  if (list && at >= 0) {
    items[at] = trigger;
    list.EventTrigger = items.length === 1 ? items[0]! : items;
  }
  const recordedSingle = rootOf(isapi, r.path);
  if (recordedSingle)
    isapi[r.path] = { response: { EventTrigger: withRootAttributes(recordedSingle, trigger) } };
  sendOk(r);
}

export const detectionRoutes: Route[] = [
  {
    pattern: DETECTION_PATH,
    methods: ['GET', 'PUT'],
    handle(r) {
      if (r.req.method === 'PUT') putDetection(r);
      else serveFixture(r);
    },
  },
  {
    pattern: /^Event\/triggers\/([^/]+)$/,
    methods: ['GET', 'PUT'],
    async handle(r, match) {
      if (r.req.method === 'PUT') putTrigger(r, decodeURIComponent(match[1]!));
      else await triggerRoutes[0]!.handle(r, match);
    },
  },
];
