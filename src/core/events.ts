/**
 * The one event model every source (alertStream, push listener, call status polling, SIP)
 * produces and every sink (store, SSE/WebSocket, MQTT, webhooks) consumes.
 */

export const EVENT_KINDS = [
  'motion',
  'line-crossing',
  'intrusion',
  'region-entrance',
  'region-exit',
  'tamper',
  'video-loss',
  'alarm-input',
  'pir',
  'scene-change',
  'face',
  'plate',
  'defocus',
  'disk-full',
  'disk-error',
  'network-down',
  'ip-conflict',
  'illegal-access',
  'recording-failure',
  'doorbell-ring',
  'door-open',
  'door-closed',
  'door-forced',
  'door-open-too-long',
  'lock-open',
  'lock-closed',
  'lock-exception',
  'exit-button',
  'remote-open',
  'invalid-card',
  'access-tamper',
  'access-tamper-restored',
  'other',
] as const;

export type EventKind = (typeof EVENT_KINDS)[number];

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
