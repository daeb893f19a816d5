/**
 * The one event model every source (alertStream, push listener, call status polling, SIP)
 * produces and every sink (store, SSE/WebSocket, MQTT, webhooks) consumes.
 */

/**
 * Every kind of event, and whether it lasts (`start` ... `end`: motion, video loss, ringing) or
 * is a moment (`pulse`: door opened, plate read).
 */
const KINDS = {
  motion: 'lasting',
  'line-crossing': 'lasting',
  intrusion: 'lasting',
  'region-entrance': 'lasting',
  'region-exit': 'lasting',
  tamper: 'lasting',
  'video-loss': 'lasting',
  'alarm-input': 'lasting',
  pir: 'lasting',
  'scene-change': 'lasting',
  face: 'lasting',
  plate: 'moment',
  defocus: 'lasting',
  'disk-full': 'moment',
  'disk-error': 'moment',
  'network-down': 'moment',
  'ip-conflict': 'moment',
  'illegal-access': 'moment',
  'recording-failure': 'moment',
  'doorbell-ring': 'lasting',
  'door-open': 'moment',
  'door-closed': 'moment',
  'door-forced': 'moment',
  'door-open-too-long': 'moment',
  'lock-open': 'moment',
  'lock-closed': 'moment',
  'lock-exception': 'moment',
  'exit-button': 'moment',
  'remote-open': 'moment',
  'invalid-card': 'moment',
  'access-tamper': 'moment',
  'access-tamper-restored': 'moment',
  other: 'moment',
} as const satisfies Record<string, 'lasting' | 'moment'>;

export type EventKind = keyof typeof KINDS;

export const EVENT_KINDS = Object.keys(KINDS) as [EventKind, ...EventKind[]];

export function isLasting(kind: EventKind): boolean {
  return KINDS[kind] === 'lasting';
}

/**
 * `start`/`update`/`end` for things that last (motion, video loss, ringing); `pulse` for
 * moments (door opened, plate read).
 */
export type EventState = 'start' | 'update' | 'end' | 'pulse';

export type DetectionTarget = 'human' | 'vehicle' | 'face' | 'animal' | 'other';

export interface GatewayEvent {
  /** Unique, sortable by time of reception (also the SSE id). */
  id: string;
  deviceId: string;
  /** Store id of the camera channel, when the event belongs to one. */
  channelId: string | null;
  channelNo: number | null;
  kind: EventKind;
  state: EventState;
  /** Device time, ISO 8601 with the device's offset. */
  at: string;
  /** When hikbridge received it, ISO 8601 UTC. */
  receivedAt: string;
  targets: DetectionTarget[];
  /** Detection region / line number, alarm input port or door number. */
  region: number | null;
  /** Source-specific details: device eventType, major/minor codes, rectangles, plate text... */
  attributes: Record<string, unknown>;
  /** Stored picture for this event (`/api/v1/events/{id}/snapshot.jpg`), when there is one. */
  snapshotRef: string | null;
}
