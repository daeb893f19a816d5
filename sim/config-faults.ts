/**
 * Configuration faults: the classic settings behind "I get no motion events" (detection switched
 * off, nothing drawn, trigger not linked to Notify Surveillance Center). They change what the
 * device reports for its settings, never how it answers, and clearFaults() restores the profile.
 * Shapes follow the captures: an empty grid is a gridMap of zeros with no Region left in
 * RegionList; a trigger without any notification has an empty EventTriggerNotificationList.
 */
import { asList, clone, dig, isDict, text } from './dict.ts';
import type { FaultSet } from './faults.ts';
import type { ConfigFault, XmlDict, XmlValue } from './types.ts';

const CONFIG_KINDS: ReadonlySet<string> = new Set(['motionDisabled', 'motionGridEmpty', 'motionNotLinked']);

/** Camera (local input) and NVR (proxied channel) motion settings. */
const MOTION_PATH =
  /^(?:System\/Video\/inputs\/channels\/(\d+)|ContentMgmt\/InputProxy\/channels\/(\d+)\/video)\/motionDetection$/;
const TRIGGERS_PATH = /^Event\/triggers(?:\/[^/]+)?$/;

function isConfigFault(fault: { kind: string }): fault is ConfigFault {
  return CONFIG_KINDS.has(fault.kind);
}

function appliesTo(fault: ConfigFault, channel: number): boolean {
  return !fault.channels || fault.channels.includes(channel);
}

/** The document served for `path` with the active configuration faults applied (a copy when changed). */
export function applyConfigFaults(path: string, doc: XmlDict, faults: FaultSet): XmlDict {
  const active = faults.list().filter(isConfigFault);
  if (active.length === 0) return doc;
  const motion = MOTION_PATH.exec(path);
  if (motion) return changeMotion(clone(doc), Number(motion[1] ?? motion[2]), active);
  if (TRIGGERS_PATH.test(path)) return unlinkCenter(clone(doc), active);
  return doc;
}

function changeMotion(doc: XmlDict, channel: number, faults: ConfigFault[]): XmlDict {
  const motion = doc.MotionDetection;
  if (!isDict(motion)) return doc;
  for (const fault of faults) {
    if (!appliesTo(fault, channel)) continue;
    if (fault.kind === 'motionDisabled') motion.enabled = 'false';
    if (fault.kind === 'motionGridEmpty') eraseLayout(motion);
  }
  return doc;
}

function eraseLayout(motion: XmlDict): void {
  const layout = dig(motion, 'MotionDetectionLayout', 'layout');
  if (!isDict(layout)) return;
  const grid = text(layout.gridMap);
  if (grid !== undefined) layout.gridMap = grid.replace(/[0-9a-f]/gi, '0');
  const regions = layout.RegionList;
  if (isDict(regions)) delete regions.Region; // keeps attributes such as size="4", as captured
}

function unlinkCenter(doc: XmlDict, faults: ConfigFault[]): XmlDict {
  const unlinked = faults.filter((fault) => fault.kind === 'motionNotLinked');
  if (unlinked.length === 0) return doc;
  const list = doc.EventTriggerList;
  const triggers = isDict(list) ? asList(list.EventTrigger) : asList(doc.EventTrigger);
  for (const trigger of triggers) {
    if (!isDict(trigger) || !isMotionTrigger(trigger)) continue;
    const channel = triggerChannel(trigger);
    if (unlinked.some((fault) => channel === undefined || appliesTo(fault, channel))) dropCenter(trigger);
  }
  return doc;
}

function isMotionTrigger(trigger: XmlDict): boolean {
  return text(trigger.eventType)?.toUpperCase() === 'VMD';
}

function triggerChannel(trigger: XmlDict): number | undefined {
  const id = text(trigger.videoInputChannelID) ?? text(trigger.dynVideoInputChannelID);
  return id === undefined ? undefined : Number(id);
}

function dropCenter(trigger: XmlDict): void {
  const list = trigger.EventTriggerNotificationList;
  const attributes: XmlDict = {};
  if (isDict(list))
    for (const [key, value] of Object.entries(list)) if (key.startsWith('@')) attributes[key] = value;
  const kept: XmlValue[] = asList(dig(list, 'EventTriggerNotification')).filter(
    (notification) => text(dig(notification, 'notificationMethod')) !== 'center',
  );
  if (kept.length > 0)
    trigger.EventTriggerNotificationList = { ...attributes, EventTriggerNotification: kept };
  else trigger.EventTriggerNotificationList = Object.keys(attributes).length > 0 ? attributes : null;
}
