import type { GatewayEvent } from './events.ts';

/**
 * The typed event bus modules meet on. Handlers run synchronously in registration order; a
 * throwing handler is reported and does not stop the others (one broken extension must not
 * silence the rest).
 */

export type DeviceState = 'connecting' | 'online' | 'offline' | 'auth-failed' | 'disabled';

export interface DeviceHealth {
  deviceId: string;
  state: DeviceState;
  /** What went wrong last, in the user's words (no secrets). */
  lastError: string | null;
  lastErrorCode: string | null;
  /** Last successful contact, ISO. */
  lastSeen: string | null;
  /** When the current state began, ISO. */
  since: string;
  /** When the supervisor tries again (offline / auth-failed), ISO. */
  nextAttemptAt: string | null;
}

/** A two-way audio ("talk") session to a device's speaker (see modules/talk). */
export interface TalkSessionEvent {
  sessionId: string;
  deviceId: string;
  /** The camera channel (store id) the user talked through, when given. */
  channelId: string | null;
  /** The device's two-way audio channel number. */
  audioChannel: number;
  codec: 'mulaw' | 'alaw';
  /** ISO. */
  startedAt: string;
}

export type TalkEndReason =
  /** The source ended (file or upload played to the end, live stream finished). */
  | 'input-ended'
  /** Someone asked to stop. */
  | 'stopped'
  | 'max-duration'
  /** The gateway (the talk module) stopped. */
  | 'shutdown'
  /** The device was removed, disabled or reconfigured. */
  | 'device-changed'
  /** The device ended the upload itself. */
  | 'device-ended'
  /** A live source sent nothing for too long. */
  | 'source-stalled'
  | 'error';

export interface TalkEndedEvent extends TalkSessionEvent {
  reason: TalkEndReason;
  /** What went wrong, in the user's words, when reason is `error`. */
  error: string | null;
  durationMs: number;
  bytesSent: number;
}

/** A doorbell's call as the UI, MQTT and the API show it. */
export type DoorbellCallState = 'ringing' | 'in call' | 'idle';

/** Who saw a doorbell call change: its SIP call to us, polling `callStatus`, or our own command. */
export type DoorbellCallSource = 'sip' | 'callStatus' | 'control';

export interface DoorbellCallEvent {
  deviceId: string;
  state: DoorbellCallState;
  source: DoorbellCallSource;
  /** SIP Call-ID when the source is `sip`; ties start and end of one call together. */
  callId: string | null;
  /** Why the call ended, in words (`cancelled by the doorbell`, `hung up`...), when idle. */
  reason: string | null;
}

export type DoorbellCallAction = 'answer' | 'hang-up' | 'stop-ringing';

/**
 * Asked on the bus before a call command goes to the doorbell over ISAPI: the module that holds
 * the doorbell's SIP call claims it (calls `claim` synchronously) and carries it out over SIP.
 */
export interface DoorbellCallCommand {
  deviceId: string;
  action: DoorbellCallAction;
  /** Resolves with the call state after the command; rejects with an AppError in words. */
  claim: (done: Promise<DoorbellCallState>) => void;
}

/** The SIP set-up hikbridge expects a doorbell in "emulate SIP proxy" mode to have. */
export interface DoorbellSipExpectation {
  proxy: string;
  port: number;
  doorbellNumber: string;
  proxyNumber: string;
  roomNumber: number;
  buttonNumber: number;
}

/** Our voice into a doorbell's SIP call (RTP G.711); the same shape as the talk module's links. */
export interface DoorbellCallAudio {
  readonly codec: 'mulaw' | 'alaw';
  send(
    frames: AsyncIterable<Uint8Array>,
    options: { signal: AbortSignal; onSent: (bytes: number) => void },
  ): Promise<'source-ended' | 'device-ended' | 'aborted'>;
  close(): Promise<Error | undefined>;
}

/** A channel's controls as the controls module read them (plain data: `controls.inventory`). */
export interface ControlsChannelInventory {
  /** Store channel id. */
  channelId: string;
  channelNo: number;
  /**
   * Its detections (kinds as the detections API names them: `motion`, `line-crossing`...). `siren`
   * / `strobe`: whether its trigger sounds the device's siren / flashes this channel's strobe; null
   * when there is no siren / strobe to link (or no trigger).
   */
  detections: Array<{
    kind: string;
    enabled: boolean;
    notifiesCenter: boolean | null;
    siren: boolean | null;
    strobe: boolean | null;
  }>;
  /** Null when the channel has no PTZ (or it could not be read). Patrols: the set-up ones only. */
  ptz: {
    panTilt: boolean;
    zoom: boolean;
    presets: Array<{ id: number; name: string }>;
    patrols: Array<{ id: number; name: string }>;
  } | null;
  /**
   * The camera's supplement light (white / IR): mode (`irLight`...), the modes it offers (null:
   * it does not say) and brightness 0-100 per light (null: no such light). Null when the channel
   * has none (an NVR's IP channel is not asked).
   */
  light: {
    mode: string;
    modes: string[] | null;
    whiteBrightness: number | null;
    irBrightness: number | null;
  } | null;
  /**
   * The channel's flashing light (what it does when a linked detection fires): seconds it flashes
   * and how fast, with the range and frequencies the device offers (null: it does not say). Null
   * when the channel has none (an NVR's IP channel is not asked).
   */
  strobe: {
    duration: number | null;
    durationRange: { min: number; max: number } | null;
    frequency: string | null;
    frequencies: string[] | null;
  } | null;
}

/** What a device can be told to do, read in the background after it comes online. */
export interface ControlsInventory {
  /** Enabled channels; a part that could not be read is left out (empty list, null PTZ). */
  channels: ControlsChannelInventory[];
  outputs: Array<{ id: number; name: string | null; state: 'on' | 'off' }>;
  /** Disks, memory cards and shares; sizes in MB, status in the device's own word. */
  storage: Array<{
    id: number;
    name: string;
    type: 'hdd' | 'sd' | 'nas';
    status: string;
    capacityMb: number | null;
    freeMb: number | null;
  }>;
  /**
   * The camera's audible alarm (what it plays when a linked detection fires): the sound by id from
   * the ones it offers, volume and times played, with the device's ranges (null: not stated).
   * Null when the device has none (a recorder is not asked).
   */
  siren: {
    soundId: number;
    sounds: Array<{ id: number; name: string | null }>;
    volume: number | null;
    volumeRange: { min: number; max: number } | null;
    times: number | null;
    timesRange: { min: number; max: number } | null;
  } | null;
  /** When it was read, ISO. */
  readAt: string;
}

export type ControlsAction =
  | 'detection'
  | 'output'
  | 'reboot'
  | 'ptz-move'
  | 'ptz-stop'
  | 'ptz-preset'
  | 'ptz-home'
  | 'ptz-patrol'
  | 'light-mode'
  | 'light-brightness'
  | 'siren'
  | 'strobe-frequency'
  | 'strobe-duration'
  | 'detection-siren'
  | 'detection-strobe';

/**
 * A control asked by another module (MQTT): the controls module claims it (calls `claim`
 * synchronously) and carries it out as its routes would. detection: `kind` the detection,
 * `value` on/off; output: `kind` the output number, `value` on/off; ptz-move: `kind` the
 * direction (left, right, up, down, zoom-in, zoom-out); ptz-preset: `value` the preset number;
 * ptz-patrol: `kind` start or stop, `value` the patrol number; light-mode: `kind` the mode as the
 * camera words it; light-brightness: `kind` the light (white, ir), `value` 0-100; siren: `kind`
 * the setting (sound, volume, times), `value` the sound's id or the number; strobe-frequency:
 * `kind` the frequency as the device words it; strobe-duration: `value` seconds;
 * detection-siren / detection-strobe: `kind` the detection, `value` linked or not.
 */
export interface ControlsCommand {
  deviceId: string;
  /** Store channel id for channel controls (detection, PTZ), null for device ones. */
  channelId: string | null;
  action: ControlsAction;
  kind?: string;
  value?: boolean | number;
  /** Resolves once done; rejects with an error in words. */
  claim: (done: Promise<void>) => void;
}

export interface BusEvents {
  /**
   * Sessions or API tokens stopped being valid (logout, revoke, password change, user removed):
   * whatever was opened with them (live event streams) is closed at once.
   */
  'auth.revoked': { tokenIds: string[] };
  'device.added': { deviceId: string };
  /** `reconnect` is true when connection settings changed and clients must be rebuilt. */
  'device.updated': { deviceId: string; reconnect: boolean };
  'device.removed': { deviceId: string };
  'device.health': DeviceHealth;
  /** A reboot was asked through hikbridge: the device is expected away until `expectedBackBy` (ISO). */
  'device.rebooting': { deviceId: string; expectedBackBy: string };
  'channels.changed': { deviceId: string };
  /** A device's entities (locks, contacts, tamper...) were switched on or off by the user. */
  'entities.changed': { deviceId: string };
  /** A device's tamper latch went on (alarm) or off (restored by the device, reset by the user). */
  'tamper.changed': {
    deviceId: string;
    latched: boolean;
    reason: 'alarm' | 'restored' | 'reset' | 'removed';
  };
  /** Cloud cameras of an account were added, renamed, switched, removed or changed status. */
  'cloud.cameras.changed': { accountId: string };
  /** A doorbell started or stopped ringing, or a call was picked up or ended. */
  'doorbell.call': DoorbellCallEvent;
  /** A call command for a doorbell; see DoorbellCallCommand. */
  'doorbell.call.command': DoorbellCallCommand;
  /** Asks the state of a doorbell's SIP call: the module holding one calls `answer` synchronously. */
  'doorbell.call.query': { deviceId: string; answer: (state: DoorbellCallState) => void };
  /** What the doorbell module set a doorbell up for (emulate mode), for the doctor to compare. */
  'doorbell.sip.expected': { deviceId: string; answer: (expected: DoorbellSipExpectation) => void };
  /** Asks for the audio link of a doorbell's SIP call that is picked up; answered only when there is one. */
  'doorbell.call.audio': { deviceId: string; answer: (audio: DoorbellCallAudio) => void };
  /** What a device's controls are now (after it came online or changed); null: forget it (removed). */
  'controls.inventory': { deviceId: string; inventory: ControlsInventory | null };
  /** A control for the controls module to carry out; see ControlsCommand. */
  'controls.command': ControlsCommand;
  /** A device event in the common model (see core/events.ts), after de-duplication and episodes. */
  event: GatewayEvent;
  /** A picture stored for an event after the event was first announced. */
  'event.snapshot': { eventId: string; deviceId: string; snapshotRef: string };
  /** A talk session opened on the device and audio is flowing. */
  'talk.started': TalkSessionEvent;
  /** A talk session ended; the device session has been closed. */
  'talk.ended': TalkEndedEvent;
}

export type BusHandler<E, K extends keyof E> = (payload: E[K]) => void;

export class Bus<E extends object = BusEvents> {
  private readonly handlers = new Map<keyof E, Set<BusHandler<E, keyof E>>>();

  constructor(private readonly onHandlerError: (event: keyof E, error: unknown) => void = () => {}) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof E>(event: K, handler: BusHandler<E, K>): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as BusHandler<E, keyof E>);
    return () => set.delete(handler as BusHandler<E, keyof E>);
  }

  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(payload);
      } catch (error) {
        this.onHandlerError(event, error);
      }
    }
  }

  listenerCount(event: keyof E): number {
    return this.handlers.get(event)?.size ?? 0;
  }
}
