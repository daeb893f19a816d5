/** What request handlers see of one simulated device. */
import type { AlertHub } from './alert-stream.ts';
import type { DeviceClock } from './clock.ts';
import type { DeviceModel } from './device-model.ts';
import type { FaultSet } from './faults.ts';
import type { HttpRequest, HttpResponse } from './http/connection.ts';
import type { Intercom } from './intercom.ts';
import type { SimSipSettings } from './sip-settings.ts';
import type { SnapshotDelay } from './snapshot-delay.ts';
import type { TwoWayAudio } from './two-way-audio.ts';

export interface DeviceContext {
  model: DeviceModel;
  faults: FaultSet;
  alerts: AlertHub;
  audio: TwoWayAudio;
  intercom: Intercom;
  /** Doorbells: SIP server, phone number records, button mapping (the SIP agent follows it). */
  sip: SimSipSettings;
  /** Latency of snapshots, drawn per request. */
  snapshotDelay: SnapshotDelay;
  /** The device's clock (offset from real time). */
  clock: DeviceClock;
  /** How long a reboot keeps the device away (routes/reboot.ts). */
  rebootMs: number;
  /** True once close() started: pending work must not answer any more. */
  closed: () => boolean;
}

export interface RouteRequest {
  req: HttpRequest;
  res: HttpResponse;
  device: DeviceContext;
  /** Path relative to /ISAPI/ (e.g. 'System/deviceInfo'). */
  path: string;
  /** `format=json` was asked for. */
  json: boolean;
}
