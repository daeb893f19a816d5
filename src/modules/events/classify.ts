/**
 * Maps what devices send (ISAPI eventType, access-control major/minor codes) to the common
 * event kinds. Kept as tables so adding a device's event is one line.
 */
import type { DetectionTarget, EventKind } from '../../core/events.ts';
import type { RawAlert } from '../../protocols/isapi/alert-stream/index.ts';

/** ISAPI `eventType` (lower-cased) -> kind. */
const EVENT_TYPES: Record<string, EventKind> = {
  vmd: 'motion',
  motiondetection: 'motion',
  linedetection: 'line-crossing',
  fielddetection: 'intrusion',
  regionentrance: 'region-entrance',
  regionexiting: 'region-exit',
  tamperdetection: 'tamper',
  shelteralarm: 'tamper',
  videoloss: 'video-loss',
  io: 'alarm-input',
  pir: 'pir',
  scenechangedetection: 'scene-change',
  facedetection: 'face',
  facesnap: 'face',
  anpr: 'plate',
  vehicledetection: 'plate',
  defocus: 'defocus',
  diskfull: 'disk-full',
  diskerror: 'disk-error',
  nicbroken: 'network-down',
  ipconflict: 'ip-conflict',
  illaccess: 'illegal-access',
  recordingfailure: 'recording-failure',
};

/** Access-control `major/minor` -> kind (notes/isapi.md, "Major/minor codes"). */
const ACCESS_CODES: Record<string, EventKind> = {
  '5/21': 'lock-open',
  '5/22': 'lock-closed',
  '5/23': 'exit-button',
  '5/25': 'door-open',
  '5/26': 'door-closed',
  '5/27': 'door-forced',
  '5/28': 'door-open-too-long',
  '5/37': 'doorbell-ring',
  '5/92': 'lock-exception',
  '5/9': 'invalid-card',
  '1/1028': 'access-tamper',
  '1/1029': 'access-tamper-restored',
  '3/1024': 'remote-open',
};

export function kindOfEventType(eventType: string): EventKind {
  return EVENT_TYPES[eventType.toLowerCase()] ?? 'other';
}

export function kindOfAccessCode(major: number, minor: number): EventKind {
  return ACCESS_CODES[`${major}/${minor}`] ?? 'other';
}

export { isLasting } from '../../core/events.ts';

const KNOWN_TARGETS: ReadonlySet<string> = new Set(['human', 'vehicle', 'face', 'animal']);

/** Detection targets of an alert, in the common model's words. */
export function targetsOf(alert: RawAlert): DetectionTarget[] {
  const targets = new Set<DetectionTarget>();
  for (const detection of alert.detections) {
    if (!detection.target) continue;
    targets.add(KNOWN_TARGETS.has(detection.target) ? (detection.target as DetectionTarget) : 'other');
  }
  return [...targets];
}

/** What an alert says beyond kind and time, kept with the event. */
export function attributesOf(alert: RawAlert): Record<string, unknown> {
  const attributes: Record<string, unknown> = { eventType: alert.eventType };
  if (alert.relationEvent) attributes.relationEvent = alert.relationEvent;
  if (alert.channelName) attributes.channelName = alert.channelName;
  if (alert.description) attributes.description = alert.description;
  if (alert.detections.length > 0) attributes.detections = alert.detections;
  if (alert.access) attributes.access = alert.access;
  if (alert.inputPortId !== null) attributes.inputPort = alert.inputPortId;
  if (Object.keys(alert.extra).length > 0) attributes.extra = alert.extra;
  return attributes;
}
