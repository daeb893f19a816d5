/**
 * A channel's detections over ISAPI: which ones the device has, whether each is switched on, and
 * whether its event trigger notifies the surveillance center (the "notify surveillance center"
 * linkage, without which the device sends the event to no alertStream listener).
 *
 * Where they live (captures in test/fixtures/devices): motion and video tampering under
 * `System/Video/inputs/channels/{ch}` on cameras and a DVR's own inputs, under
 * `ContentMgmt/InputProxy/channels/{ch}/video` for an NVR's IP channels; the smart ones under
 * `Smart/{FieldDetection|LineDetection|regionEntrance|regionExiting|SceneChangeDetection}/{ch}`
 * for both. Their triggers are `Event/triggers/{id}` (`VMD-1`, `fielddetection-1`...), listed in
 * `Event/triggers`; cameras name the channel in `videoInputChannelID`, NVRs in
 * `dynVideoInputChannelID`.
 *
 * Pure protocol: typed calls over an IsapiClient, no application state. Writes are
 * read-modify-write in the device's own namespace, keeping every element we do not touch, and
 * are read back: a device that answers OK but keeps the old value is an error in words.
 *
 * Linkage: besides the center notification, a trigger can sound the camera's siren (`beep`) and
 * flash its strobe (`whiteLight`) on cameras that have them (their settings: deterrence.ts).
 */

import { DeviceError } from '../http/errors.ts';
import type { IsapiClient } from './client.ts';
import { hasSiren, hasStrobe, SirenMissingError, StrobeMissingError } from './deterrence.ts';
import { InvalidResponseError, IsapiStatusError, isAbsentEndpoint, NotSupportedError } from './errors.ts';
import {
  bool,
  child,
  children,
  parseXml,
  text,
  type XmlDocument,
  type XmlNode,
  XmlSyntaxError,
} from './xml.ts';

export const DETECTION_KINDS = [
  'motion',
  'tamper',
  'intrusion',
  'line-crossing',
  'region-entrance',
  'region-exit',
  'scene-change',
] as const;

export type DetectionKind = (typeof DETECTION_KINDS)[number];

/** Where a channel's video comes from: its own input, or an IP camera behind an NVR. */
export type ChannelSource = 'local' | 'proxy';

export interface DetectionChannel {
  channel: number;
  source: ChannelSource;
}

export interface DetectionState {
  kind: DetectionKind;
  enabled: boolean;
  /** The trigger notifies the surveillance center; null when the device has no trigger for it. */
  notifiesCenter: boolean | null;
}

interface KindInfo {
  /** Words for messages. */
  name: string;
  path: (ch: DetectionChannel) => string;
  /** `eventType` of its trigger (compared without case). */
  eventType: string;
  /** Its trigger's id is `${triggerPrefix}-${channel}`. */
  triggerPrefix: string;
}

const videoPath = (what: string) => (ch: DetectionChannel) =>
  ch.source === 'proxy'
    ? `/ISAPI/ContentMgmt/InputProxy/channels/${ch.channel}/video/${what}`
    : `/ISAPI/System/Video/inputs/channels/${ch.channel}/${what}`;
const smartPath = (what: string) => (ch: DetectionChannel) => `/ISAPI/Smart/${what}/${ch.channel}`;

const KINDS: Record<DetectionKind, KindInfo> = {
  motion: {
    name: 'motion detection',
    path: videoPath('motionDetection'),
    eventType: 'VMD',
    triggerPrefix: 'VMD',
  },
  tamper: {
    name: 'video tampering detection',
    path: videoPath('tamperDetection'),
    eventType: 'tamperdetection',
    triggerPrefix: 'tamper',
  },
  intrusion: {
    name: 'intrusion detection',
    path: smartPath('FieldDetection'),
    eventType: 'fielddetection',
    triggerPrefix: 'fielddetection',
  },
  'line-crossing': {
    name: 'line crossing detection',
    path: smartPath('LineDetection'),
    eventType: 'linedetection',
    triggerPrefix: 'linedetection',
  },
  'region-entrance': {
    name: 'region entrance detection',
    path: smartPath('regionEntrance'),
    eventType: 'regionEntrance',
    triggerPrefix: 'regionEntrance',
  },
  'region-exit': {
    name: 'region exiting detection',
    path: smartPath('regionExiting'),
    eventType: 'regionExiting',
    triggerPrefix: 'regionExiting',
  },
  'scene-change': {
    name: 'scene change detection',
    path: smartPath('SceneChangeDetection'),
    eventType: 'scenechangedetection',
    triggerPrefix: 'scenechangedetection',
  },
};

const TRIGGERS_PATH = '/ISAPI/Event/triggers';
const triggerPath = (id: string): string => `${TRIGGERS_PATH}/${encodeURIComponent(id)}`;

// --- errors and checks ------------------------------------------------------------------------------

/** A value given to a detection call was refused before anything was sent to the device. */
export class DetectionInputError extends RangeError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'DetectionInputError';
  }
}

/** The channel has no such detection (the device does not offer the endpoint). */
export class DetectionMissingError extends NotSupportedError {
  constructor(
    host: string,
    path: string,
    kind: DetectionKind,
    channel: number,
    what: 'detection' | 'trigger' | 'linkage',
  ) {
    super(host, path);
    const noTrigger = `${host} has no event trigger for ${KINDS[kind].name} on channel ${channel}`;
    this.message =
      what === 'detection'
        ? `${host} has no ${KINDS[kind].name} on channel ${channel}.`
        : what === 'trigger'
          ? `${noTrigger}, so it cannot notify the surveillance center of it.`
          : `${noTrigger}, so nothing can be linked to it.`;
  }
}

/** The device answered OK but kept another value than the one written. */
export class DetectionNotAppliedError extends DeviceError {
  constructor(host: string, what: string) {
    super('device_error', `${host} accepted the change but still reports ${what}; it did not apply it.`);
  }
}

export function isDetectionKind(value: unknown): value is DetectionKind {
  return typeof value === 'string' && (DETECTION_KINDS as readonly string[]).includes(value);
}

export function checkDetectionKind(value: unknown): DetectionKind {
  if (!isDetectionKind(value)) {
    throw new DetectionInputError(
      'kind',
      `kind must be one of ${DETECTION_KINDS.join(', ')} (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function checkChannel(ch: DetectionChannel): DetectionChannel {
  if (!Number.isInteger(ch.channel) || ch.channel < 1 || ch.channel > 512) {
    throw new DetectionInputError('channel', `channel must be a channel number 1-512 (got ${ch.channel})`);
  }
  if (ch.source !== 'local' && ch.source !== 'proxy') {
    throw new DetectionInputError(
      'source',
      `source must be local or proxy (got ${JSON.stringify(ch.source)})`,
    );
  }
  return ch;
}

export function detectionPath(kind: DetectionKind, ch: DetectionChannel): string {
  return KINDS[checkDetectionKind(kind)].path(checkChannel(ch));
}

// --- documents ----------------------------------------------------------------------------------

interface DeviceDocument extends XmlDocument {
  /** The root's namespace as the device wrote it; a rewrite goes back in it. */
  namespace: string | undefined;
}

async function getDocument(client: IsapiClient, path: string): Promise<DeviceDocument> {
  const response = await client.call({ method: 'GET', path });
  const body = response.body.toString('utf8');
  try {
    const doc = parseXml(body);
    return { ...doc, namespace: rootNamespace(body, doc.root) };
  } catch (error) {
    const detail = error instanceof XmlSyntaxError ? error.message : 'not XML';
    throw new InvalidResponseError(client.host, path, detail);
  }
}

/** The parser drops namespace declarations; the root's is read from the text. */
function rootNamespace(body: string, root: string): string | undefined {
  const open = new RegExp(`<(?:[\\w.-]+:)?${root}(\\s[^>]*)?>`).exec(body);
  return open?.[1] ? /\sxmlns(?::[\w.-]+)?\s*=\s*"([^"]*)"/.exec(open[1])?.[1] : undefined;
}

async function putDocument(client: IsapiClient, path: string, doc: DeviceDocument): Promise<void> {
  const node: XmlNode = doc.namespace ? { ...doc.node, '@xmlns': doc.namespace } : doc.node;
  await client.sendXml('PUT', path, doc.root, node);
}

/** The device lacks the endpoint (as opposed to refusing what we sent). */
function isAbsent(error: unknown): boolean {
  if (isAbsentEndpoint(error)) return true;
  if (error instanceof DeviceError && error.code === 'permission_denied') return true;
  return error instanceof IsapiStatusError && error.httpStatus === 403;
}

async function detectionDocument(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
): Promise<{ path: string; doc: DeviceDocument }> {
  const path = detectionPath(kind, ch);
  try {
    return { path, doc: await getDocument(client, path) };
  } catch (error) {
    if (isAbsent(error)) throw new DetectionMissingError(client.host, path, kind, ch.channel, 'detection');
    throw error;
  }
}

function enabledOf(client: IsapiClient, path: string, doc: XmlDocument): boolean {
  const enabled = bool(doc.node, 'enabled');
  if (enabled === undefined) throw new InvalidResponseError(client.host, path, 'no <enabled> element');
  return enabled;
}

// --- triggers -----------------------------------------------------------------------------------

const channelOf = (trigger: XmlNode): string | undefined =>
  text(trigger, 'videoInputChannelID') ?? text(trigger, 'dynVideoInputChannelID');

/** The trigger of a detection in a list of EventTrigger elements. */
function findTrigger(triggers: XmlNode[], kind: DetectionKind, channel: number): XmlNode | undefined {
  const info = KINDS[kind];
  const wanted = `${info.triggerPrefix}-${channel}`.toLowerCase();
  return (
    triggers.find(
      (t) =>
        text(t, 'eventType')?.toLowerCase() === info.eventType.toLowerCase() &&
        channelOf(t) === String(channel),
    ) ?? triggers.find((t) => text(t, 'id')?.toLowerCase() === wanted)
  );
}

function notifications(trigger: XmlNode): XmlNode[] {
  return children(child(trigger, 'EventTriggerNotificationList'), 'EventTriggerNotification');
}

function notifiesCenter(trigger: XmlNode): boolean {
  return links(trigger, 'center');
}

async function triggerList(client: IsapiClient): Promise<XmlNode[]> {
  const list = await client.optional(() => client.getXml(TRIGGERS_PATH));
  return list ? children(list.node, 'EventTrigger') : [];
}

/** A trigger the list lacks may still answer on its own (some captures have only those). */
async function singleTrigger(client: IsapiClient, id: string): Promise<XmlNode | undefined> {
  const doc = await client.optional(() => client.getXml(triggerPath(id)));
  return doc?.root === 'EventTrigger' ? doc.node : undefined;
}

async function triggerOf(
  client: IsapiClient,
  triggers: XmlNode[],
  kind: DetectionKind,
  channel: number,
): Promise<XmlNode | undefined> {
  return (
    findTrigger(triggers, kind, channel) ??
    (await singleTrigger(client, `${KINDS[kind].triggerPrefix}-${channel}`))
  );
}

// --- reading ------------------------------------------------------------------------------------

/** Every detection the channel has (those whose endpoint answers), in DETECTION_KINDS order. */
export async function listDetections(client: IsapiClient, ch: DetectionChannel): Promise<DetectionState[]> {
  checkChannel(ch);
  const triggers = await triggerList(client);
  const states: DetectionState[] = [];
  for (const kind of DETECTION_KINDS) {
    const state = await readOne(client, kind, ch, triggers).catch((error: unknown) => {
      if (error instanceof DetectionMissingError) return undefined;
      throw error;
    });
    if (state) states.push(state);
  }
  return states;
}

/** One detection's state; DetectionMissingError when the channel has none of that kind. */
export async function readDetection(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
): Promise<DetectionState> {
  checkDetectionKind(kind);
  checkChannel(ch);
  return readOne(client, kind, ch, await triggerList(client));
}

async function readOne(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
  triggers: XmlNode[],
): Promise<DetectionState> {
  const { path, doc } = await detectionDocument(client, kind, ch);
  const trigger = await triggerOf(client, triggers, kind, ch.channel);
  return {
    kind,
    enabled: enabledOf(client, path, doc),
    notifiesCenter: trigger ? notifiesCenter(trigger) : null,
  };
}

// --- writing ------------------------------------------------------------------------------------

/** Switches a detection on or off (read-modify-write, read back); returns its state after. */
export async function setDetectionEnabled(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
  enabled: boolean,
): Promise<DetectionState> {
  checkDetectionKind(kind);
  checkChannel(ch);
  if (typeof enabled !== 'boolean') {
    throw new DetectionInputError(
      'enabled',
      `enabled must be true or false (got ${JSON.stringify(enabled)})`,
    );
  }
  const { path, doc } = await detectionDocument(client, kind, ch);
  if (enabledOf(client, path, doc) !== enabled) {
    await putDocument(client, path, { ...doc, node: { ...doc.node, enabled: String(enabled) } });
  }
  const after = await readDetection(client, kind, ch);
  if (after.enabled !== enabled) {
    throw new DetectionNotAppliedError(client.host, `${KINDS[kind].name} ${after.enabled ? 'on' : 'off'}`);
  }
  return after;
}

/**
 * Makes the detection's trigger notify the surveillance center (or stop doing so), keeping its
 * other notifications (recording, alarm output, e-mail...); read back. Throws
 * DetectionMissingError when the detection or its trigger is missing.
 */
export async function setDetectionNotifiesCenter(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
  notify: boolean,
): Promise<DetectionState> {
  checkDetectionKind(kind);
  checkChannel(ch);
  if (typeof notify !== 'boolean') {
    throw new DetectionInputError(
      'notifyCenter',
      `notifyCenter must be true or false (got ${JSON.stringify(notify)})`,
    );
  }
  await writeLinkage(client, kind, ch, { notifyCenter: notify });
  const after = await readDetection(client, kind, ch);
  if (after.notifiesCenter !== notify) {
    const what = `${KINDS[kind].name} ${after.notifiesCenter ? 'notifying' : 'not notifying'} the surveillance center`;
    throw new DetectionNotAppliedError(client.host, what);
  }
  return after;
}

// --- linkage: what a detection's trigger does (center, siren, strobe) ---------------------------

/**
 * The linkages hikbridge reads and switches, by the `notificationMethod` of the trigger's
 * notification: `center` (notify the surveillance center), `beep` (the camera's audible warning,
 * its siren) and `whiteLight` (its flashing light).
 */
export const LINKAGES = ['notifyCenter', 'siren', 'strobe'] as const;
export type Linkage = (typeof LINKAGES)[number];

const LINKAGE_METHOD: Record<Linkage, string> = {
  notifyCenter: 'center',
  siren: 'beep',
  strobe: 'whiteLight',
};

const LINKAGE_WORDS: Record<Linkage, string> = {
  notifyCenter: 'notifying the surveillance center',
  siren: 'sounding the siren',
  strobe: 'flashing the strobe',
};

export interface DetectionLinkage {
  kind: DetectionKind;
  /**
   * Each linkage on or off; null when the device has no trigger for the detection, or (siren,
   * strobe) no audible alarm / flashing light to link.
   */
  notifyCenter: boolean | null;
  siren: boolean | null;
  strobe: boolean | null;
}

export type LinkageChange = Partial<Record<Linkage, boolean>>;

function links(trigger: XmlNode, method: string): boolean {
  return notifications(trigger).some(
    (n) => text(n, 'notificationMethod')?.toLowerCase() === method.toLowerCase(),
  );
}

/**
 * Whether the siren / strobe can be linked. No capture has a triggers capability that lists
 * `beep`/`whiteLight` for a camera (an NVR's `beep` is its own buzzer), so they are offered where
 * the device has the siren / strobe settings.
 */
async function offered(client: IsapiClient, ch: DetectionChannel): Promise<Record<Linkage, boolean>> {
  return {
    notifyCenter: true,
    siren: await hasSiren(client),
    strobe: await hasStrobe(client, ch.channel),
  };
}

/** Which linkages the detection's trigger has; DetectionMissingError when the detection is missing. */
export async function readDetectionLinkage(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
): Promise<DetectionLinkage> {
  checkDetectionKind(kind);
  checkChannel(ch);
  await detectionDocument(client, kind, ch); // the detection itself must exist
  const trigger = await triggerOf(client, await triggerList(client), kind, ch.channel);
  const can = await offered(client, ch);
  const state = (linkage: Linkage): boolean | null =>
    trigger && can[linkage] ? links(trigger, LINKAGE_METHOD[linkage]) : null;
  return { kind, notifyCenter: state('notifyCenter'), siren: state('siren'), strobe: state('strobe') };
}

/**
 * The siren and strobe linkage of several detections of one channel, from one read of the
 * trigger list, for a caller that has just listed the detections and read the siren and strobe
 * (the inventory): nothing is read twice. `null` where the trigger is missing or the device
 * lacks the siren or strobe (`has`).
 */
export async function readChannelLinkages(
  client: IsapiClient,
  kinds: DetectionKind[],
  ch: DetectionChannel,
  has: { siren: boolean; strobe: boolean },
): Promise<DetectionLinkage[]> {
  checkChannel(ch);
  for (const kind of kinds) checkDetectionKind(kind);
  const triggers = await triggerList(client);
  const can: Record<Linkage, boolean> = { notifyCenter: true, ...has };
  const linkages: DetectionLinkage[] = [];
  for (const kind of kinds) {
    const trigger = await triggerOf(client, triggers, kind, ch.channel);
    const state = (linkage: Linkage): boolean | null =>
      trigger && can[linkage] ? links(trigger, LINKAGE_METHOD[linkage]) : null;
    linkages.push({
      kind,
      notifyCenter: state('notifyCenter'),
      siren: state('siren'),
      strobe: state('strobe'),
    });
  }
  return linkages;
}

function checkLinkageChange(change: LinkageChange): Array<[Linkage, boolean]> {
  const unknown = Object.keys(change).filter((key) => !(LINKAGES as readonly string[]).includes(key));
  if (unknown.length) {
    throw new DetectionInputError(
      unknown[0]!,
      `unknown linkage "${unknown[0]}"; linkages are ${LINKAGES.join(', ')}`,
    );
  }
  const wanted: Array<[Linkage, boolean]> = [];
  for (const linkage of LINKAGES) {
    const value = change[linkage];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') {
      throw new DetectionInputError(
        linkage,
        `${linkage} must be true or false (got ${JSON.stringify(value)})`,
      );
    }
    wanted.push([linkage, value]);
  }
  if (!wanted.length) {
    throw new DetectionInputError('linkage', `say what to change: ${LINKAGES.join(', ')} (true or false)`);
  }
  return wanted;
}

/**
 * Switches linkages of the detection's trigger on or off in one write, keeping its other
 * notifications; read back. A siren or strobe the device lacks is refused (SirenMissingError,
 * StrobeMissingError) before anything is written, as is a missing detection or trigger.
 */
export async function setDetectionLinkage(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
  change: LinkageChange,
): Promise<DetectionLinkage> {
  checkDetectionKind(kind);
  checkChannel(ch);
  const wanted = checkLinkageChange(change);
  if (change.siren !== undefined && !(await hasSiren(client))) throw new SirenMissingError(client.host);
  if (change.strobe !== undefined && !(await hasStrobe(client, ch.channel))) {
    throw new StrobeMissingError(client.host, ch.channel);
  }
  await writeLinkage(client, kind, ch, change);
  const after = await readDetectionLinkage(client, kind, ch);
  const kept = wanted.filter(([linkage, on]) => after[linkage] !== on);
  if (kept.length) {
    const what = kept
      .map(([linkage]) => `${KINDS[kind].name} ${after[linkage] ? '' : 'not '}${LINKAGE_WORDS[linkage]}`)
      .join(' and ');
    throw new DetectionNotAppliedError(client.host, what);
  }
  return after;
}

/** The trigger rewritten with the linkages asked for (one read-modify-write; none when already so). */
async function writeLinkage(
  client: IsapiClient,
  kind: DetectionKind,
  ch: DetectionChannel,
  change: LinkageChange,
): Promise<void> {
  await detectionDocument(client, kind, ch); // the detection itself must exist
  const found = await triggerOf(client, await triggerList(client), kind, ch.channel);
  const id = found ? text(found, 'id') : undefined;
  if (!found || !id) {
    const only = Object.keys(change).length === 1 && change.notifyCenter !== undefined;
    throw new DetectionMissingError(
      client.host,
      TRIGGERS_PATH,
      kind,
      ch.channel,
      only ? 'trigger' : 'linkage',
    );
  }
  const differs = LINKAGES.filter(
    (linkage) => change[linkage] !== undefined && links(found, LINKAGE_METHOD[linkage]) !== change[linkage],
  );
  if (!differs.length) return;
  const path = triggerPath(id);
  const doc = await getDocument(client, path);
  let node = doc.node;
  for (const linkage of differs) node = withNotification(node, LINKAGE_METHOD[linkage], change[linkage]!);
  await putDocument(client, path, { ...doc, node });
}

/** The trigger with the notification `method` added or removed; everything else kept. */
function withNotification(trigger: XmlNode, method: string, on: boolean): XmlNode {
  const existing = notifications(trigger);
  const isIt = (n: XmlNode): boolean => text(n, 'notificationMethod')?.toLowerCase() === method.toLowerCase();
  let list: XmlNode[];
  if (on) {
    // Cameras say when a notification repeats; NVRs leave it out. Follow the device's own style.
    const recurrence = existing.some((n) => text(n, 'notificationRecurrence') !== undefined);
    const added: XmlNode = { id: method, notificationMethod: method };
    if (recurrence) added.notificationRecurrence = 'beginning';
    list = [...existing, added];
  } else {
    list = existing.filter((n) => !isIt(n));
  }
  const listNode = child(trigger, 'EventTriggerNotificationList') ?? {};
  const rest = Object.fromEntries(
    Object.entries(listNode).filter(([key]) => key !== 'EventTriggerNotification'),
  );
  const out: XmlNode = { ...trigger };
  out.EventTriggerNotificationList = list.length ? { ...rest, EventTriggerNotification: list } : rest;
  return out;
}
