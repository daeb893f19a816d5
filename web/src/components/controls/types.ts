/** The controls routes' answers, as the device page uses them (the OpenAPI document has them all). */

export interface PtzCapabilities {
  panTilt: boolean;
  zoom: boolean;
  /** Highest preset number (0: no presets). */
  maxPresets: number;
  /** Numbers the device keeps for its own functions. */
  reservedPresets: number[];
  maxPatrols: number;
  moving: boolean;
  stopsAt: string | null;
}

export interface PtzMoveState {
  moving: boolean;
  stopsAt: string | null;
}

export interface PtzPreset {
  id: number;
  name: string;
}

export interface PtzPatrol {
  id: number;
  name: string;
  enabled: boolean;
}

export interface Detection {
  kind: string;
  enabled: boolean;
  /** null: the device has no trigger for it. */
  notifiesCenter: boolean | null;
}

export interface DetectionLinkage {
  kind: string;
  notifyCenter: boolean | null;
  siren: boolean | null;
  strobe: boolean | null;
}

export interface AlarmOutput {
  id: number;
  name: string | null;
  state: 'on' | 'off';
}

export interface SupplementLight {
  mode: string;
  modes: string[] | null;
  whiteBrightness: number | null;
  irBrightness: number | null;
}

export interface Range {
  min: number;
  max: number;
}

export interface Siren {
  soundId: number;
  sounds: Array<{ id: number; name: string | null }>;
  volume: number | null;
  volumeRange: Range | null;
  times: number | null;
  timesRange: Range | null;
}

export interface Strobe {
  channel: number;
  scope: 'channel' | 'device';
  duration: number | null;
  durationRange: Range | null;
  frequency: string | null;
  frequencies: string[] | null;
}

export interface StorageDisk {
  id: number;
  name: string;
  type: 'hdd' | 'sd' | 'nas';
  status: string;
  capacityMb: number | null;
  freeMb: number | null;
}

export interface RebootAnswer {
  rebooting: true;
  expectedBackWithinSeconds: number;
}

export interface DeviceHealth {
  state: string;
  lastError: string | null;
  lastErrorCode: string | null;
  lastSeen: string | null;
  /** When the current state began. */
  since: string;
}

/** `GET /api/v1/devices/{id}/controls`: which parts the device has (the others are not asked). */
export interface ControlsAvailability {
  siren: boolean;
  channels: Array<{ channelId: string; channelNo: number; ptz: boolean; light: boolean; strobe: boolean }>;
}
