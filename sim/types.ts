/** Public types of the device simulator. See sim/README.md for what each option simulates. */

import type { SimRegisterStatus, SimSipSettings } from './sip-settings.ts';

/** A value in xmltodict form: `@attr` keys, `#text`, arrays = repeated elements, null = empty element. */
export type XmlValue = string | number | boolean | null | XmlDict | XmlValue[];
export interface XmlDict {
  [key: string]: XmlValue;
}

/**
 * One ISAPI answer in the test/fixtures/devices format, plus `json` for JSON-only endpoints.
 * `invented` (simulator only) says why an answer has no capture behind it; it is served with the
 * `X-Sim-Invented` header (sim/invented.ts).
 */
export type FixtureEntry = (
  | { response: XmlDict }
  | { status_code: number }
  | { error: string }
  | { json: XmlDict; status_code?: number }
) & { invented?: string };

/** ISAPI answers keyed by the path relative to `/ISAPI/` (e.g. `System/deviceInfo`). */
export type FixtureIsapi = Record<string, FixtureEntry>;

export type DeviceKind = 'camera' | 'nvr' | 'dvr' | 'doorbell';

export interface SimProfile {
  /** 'camera', 'nvr:4', 'doorbell' or the fixture file name without extension. */
  name: string;
  model: string;
  kind: DeviceKind;
  /** The answers served under /ISAPI/ (same shape as `data.ISAPI` of a fixture file). */
  isapi: FixtureIsapi;
  /** NVR quirk: Streaming/channels/{id}/picture answers badXmlContent for proxied (IP) channels. */
  pictureViaStreamingProxy: boolean;
  /** NVR/DVR channels reported offline by InputProxy/channels/status (their snapshots fail). */
  offlineChannels: number[];
  /**
   * Snapshot latency of this model in ms, fixed or [min, max]; absent: the captured 438 ms. The
   * `snapshotDelayMs` option wins over it.
   */
  snapshotDelayMs?: number | [number, number];
  /** Where the profile came from (fixture path), for messages. */
  source?: string;
}

export type ProfileSpec = string; // 'camera' | 'doorbell' | 'nvr' | `nvr:${N}` | fixture JSON path | fixture name

export type AuthMode = 'digest' | 'basic' | 'digest+basic';

export interface SimDeviceOptions {
  profile: ProfileSpec | SimProfile;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  https?: boolean;
  /**
   * Addition: with `https`, the certificate (PEM) to present instead of the bundled one, e.g. to
   * play a device whose certificate was replaced.
   */
  certificate?: { cert: string; key: string };
  auth?: AuthMode;
  lockoutAfter?: number;
  lockoutSeconds?: number;
  heartbeatMs?: number;
  rtspPort?: number;
  /** Addition: digest nonce lifetime before `stale=true` (default 300000 = 5 min). */
  nonceTtlMs?: number;
  /**
   * Addition: snapshot latency in ms, fixed or [min, max] (default: the profile's, else 438, the
   * one real measurement in the captures). Tests that only need a picture set a short one.
   */
  snapshotDelayMs?: number | [number, number];
  /**
   * Addition: the device clock's offset from real time in ms (negative = behind; default 0):
   * `System/time`, event `dateTime`s and `Date` headers show the shifted time.
   */
  clockOffsetMs?: number;
  /** Addition: doorbell ring timeout back to idle (default 30000, the device's maxRingTime). */
  maxRingTimeMs?: number;
  /** Addition: how long a door stays open after `open` before the lock-closed event (default 5000). */
  doorOpenDurationMs?: number;
  /** Replaces the serial number of the profile (several copies of one model in one test). */
  serialNumber?: string;
  /**
   * Addition: the codec `System/TwoWayAudio/channels` reports (default: stream 101's audio codec,
   * else G.711ulaw). Only G.711ulaw reliably works for talk-back; G.711alaw sometimes; G.726, AAC,
   * MP2L2 do not (notes/isapi.md). The stream's own audio codec is left as the profile has it.
   */
  twoWayAudioCodec?: TwoWayAudioCodec;
  /**
   * Addition: an RTSP server with the ONVIF audio backchannel (see sim/README.md, "ONVIF
   * backchannel"). Its port is `SimDevice.backchannelPort`, and `Security/adminAccesses` reports
   * it as the RTSP port unless `rtspPort` says otherwise.
   */
  onvifBackchannel?: boolean | SimBackchannelOptions;
  /** Addition (doorbells): the SIP agent's transport (default `udp`). */
  sipTransport?: 'udp' | 'tcp';
  /**
   * Addition (doorbells): the SIP port to bind; default the SIP settings' `localPort` (5060),
   * or a free port when that one is taken. `0` = always a free port.
   */
  sipPort?: number;
  /** Addition (doorbells): SIP timer T1 in ms (default 500); every SIP timer scales with it. */
  sipT1Ms?: number;
  /**
   * Addition: how long `PUT System/reboot` keeps the device away, in ms (default 3000; 0..600000);
   * every request meanwhile loses its connection unanswered (see sim/README.md, "Device controls").
   */
  rebootMs?: number;
}

/** Addition: the RTSP backchannel server of a simulated device. */
export interface SimBackchannelOptions {
  /** The backchannel track's codec (default PCMU); G726 is one hikbridge cannot send. */
  codec?: 'PCMU' | 'PCMA' | 'G726';
  /**
   * The RTSP server runs but offers no backchannel: `ignore` answers DESCRIBE without the track
   * (what most devices without an audio output do), `551` refuses the Require tag (RFC 2326).
   */
  missing?: 'ignore' | '551';
  /** Port to listen on (default 0 = a free one). */
  port?: number;
  /**
   * Announced in `Session: id;timeout=N`; a session that gets no request for that long is
   * dropped with its connection (RTP alone does not keep it). Default 60.
   */
  sessionTimeoutSeconds?: number;
}

/** Addition: one request to the RTSP backchannel server. */
export interface SimRtspRequestRecord {
  method: string;
  uri: string;
  cseq: number | null;
  /** RTSP status sent; 0 when nothing was sent. */
  status: number;
  /** The request carried an Authorization header, accepted or not. */
  authenticated: boolean;
  /** The credentials were accepted (OPTIONS needs none and stays false). */
  authorized: boolean;
  /** The Session, Require and Transport headers as sent, null when absent. */
  session: string | null;
  require: string | null;
  transport: string | null;
  at: number;
}

/** Addition: what the RTSP backchannel received, checked as RTP. */
export interface SimBackchannelStats {
  /** RTP packets on a playing backchannel. */
  packets: number;
  /** Their payload bytes. */
  bytes: number;
  /** Packets whose payload type is not the track's (not recorded). */
  wrongPayloadType: number;
  /** Packets with the marker bit set. */
  markers: number;
  /** Whether the very first packet had the marker bit; null before any packet. */
  firstMarker: boolean | null;
  /** Packets whose sequence number is not the previous one + 1 (per session). */
  sequenceErrors: number;
  /** Packets whose timestamp is not the previous one + the previous payload's samples. */
  timestampErrors: number;
  /** Distinct SSRCs seen (at most 16 kept). */
  ssrcs: number[];
  /** Interleaved frames outside a playing backchannel, or not RTP: dropped. */
  ignored: number;
  /** Sessions set up, torn down (TEARDOWN), and dropped for lack of keep-alive. */
  sessions: number;
  teardowns: number;
  timeouts: number;
}

/** Codecs Hikvision devices offer for two-way audio. */
export type TwoWayAudioCodec = 'G.711ulaw' | 'G.711alaw' | 'G.722.1' | 'G.726' | 'AAC' | 'MP2L2' | 'PCM';

export interface SimRequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  /** Addition: the raw query string without '?', '' when none. */
  query: string;
  /** HTTP status sent; 0 when nothing was sent (reset, stall, still pending). */
  status: number;
  /** The request carried credentials (an Authorization header), accepted or not. */
  authenticated: boolean;
  /** Addition: the credentials were accepted (the request got past authentication). */
  authorized: boolean;
  at: number;
}

export type SmartTarget = 'human' | 'vehicle';

export interface SimAlarmEvent {
  type: string;
  channel?: number;
  state?: 'active' | 'inactive';
  targets?: SmartTarget[];
  image?: boolean;
  ioPort?: number;
  schema?: 'v2' | 'v1';
  /** Addition: for type 'duration', the wrapped event type (default 'fielddetection'). */
  relationEvent?: string;
  /** Addition: write `<activePostCount/>` empty in this part. */
  emptyActivePostCount?: boolean;
  /** Addition: put a bare `&` in the eventDescription text (invalid XML, seen in the field). */
  bareAmpersand?: boolean;
  /** Addition: the eventDescription text (default `Motion alarm`, `<type> alarm`...). */
  description?: string;
}

export interface SimAccessEvent {
  type: 'AccessControllerEvent';
  major: number;
  minor: number;
  door?: number;
  currentEvent?: boolean;
}

export interface SimRawEvent {
  raw: Buffer | string;
}

export type SimEvent = SimAlarmEvent | SimAccessEvent | SimRawEvent;

export function isRawEvent(event: SimEvent): event is SimRawEvent {
  return 'raw' in event;
}

export function isAccessEvent(event: SimEvent): event is SimAccessEvent {
  return 'type' in event && event.type === 'AccessControllerEvent' && 'major' in event;
}

export type BoundaryMode = 'header' | 'literal-mismatch' | 'missing' | 'MIME_boundary';

export interface StreamFraming {
  boundaryMode?: BoundaryMode;
  contentLength?: boolean;
  blankLines?: boolean;
  /** Addition: every XML part on the connection has `<activePostCount/>` empty. */
  emptyActivePostCount?: boolean;
  /** Addition: every XML part on the connection has a bare `&` in its text. */
  bareAmpersand?: boolean;
}

export type SimFault =
  | { kind: 'wrongPassword' }
  | { kind: 'forbidden'; paths: string[] }
  | { kind: 'busy'; paths?: string[] }
  | { kind: 'slow'; delayMs: number; paths?: string[] }
  | { kind: 'stall'; paths?: string[] }
  | { kind: 'reset'; paths?: string[] }
  | { kind: 'malformedXml'; paths?: string[] }
  | { kind: 'notActivated' }
  | { kind: 'noChallenge' }
  | { kind: 'status'; status: number; paths: string[] }
  | { kind: 'streamStall' }
  | { kind: 'streamTruncate'; after?: 'close' | 'continue' }
  /** Addition: alertStream bytes go out `bytes` at a time, one slice every `intervalMs`. */
  | { kind: 'streamDrip'; bytes: number; intervalMs: number }
  | ({ kind: 'streamFraming' } & StreamFraming)
  | ConfigFault;

/**
 * Addition: settings a user got wrong, as the device then reports them (see sim/README.md,
 * "Configuration faults"). `channels` limits the fault to those channels (default: all).
 */
export type ConfigFault =
  /** Motion detection switched off (`MotionDetection/enabled` false). */
  | { kind: 'motionDisabled'; channels?: number[] }
  /** Motion detection on, but no grid cell and no region drawn: it can never trigger. */
  | { kind: 'motionGridEmpty'; channels?: number[] }
  /** The VMD trigger does not notify the surveillance center (`center` left out of its notifications). */
  | { kind: 'motionNotLinked'; channels?: number[] };

export type CallStatus = 'idle' | 'ring' | 'onCall';

/** Addition: one SIP message the doorbell sent or received (retransmissions included). */
export interface SimSipMessageRecord {
  at: number;
  direction: 'in' | 'out';
  transport: 'udp' | 'tcp';
  /** The other side, `host:port`. */
  peer: string;
  /** `INVITE sip:10102@127.0.0.1:5060 SIP/2.0` or `SIP/2.0 180 Ringing`. */
  startLine: string;
  callId: string;
  /** `20 INVITE`. */
  cseq: string;
}

/** Addition: what a button press did. */
export interface SimPressResult {
  /** An INVITE is (about to be) on its way. */
  calling: boolean;
  /** The new call's Call-ID; with `busy`, the Call-ID of the call already up (null: not a SIP call). */
  callId: string | null;
  /**
   * Why no call: `busy` (a call is up or the intercom is not idle: nothing new happens), or
   * `sipDisabled` / `noNumber` (no SIP call; the doorbell rings for callStatus pollers instead).
   */
  reason?: 'busy' | 'sipDisabled' | 'noNumber';
}

export interface SimPressRecord extends SimPressResult {
  at: number;
  button: number;
}

export type SimSipCallState = 'calling' | 'ringing' | 'cancelling' | 'connected';

/** Addition: the doorbell's SIP call in progress. */
export interface SimSipCall {
  state: SimSipCallState;
  callId: string;
  button: number;
  /** The phone number called. */
  number: string;
  /** The doorbell's audio RTP port (offered in its SDP); null until bound. */
  rtpPort: number | null;
  /** Where the answer wants audio (its SDP), null before the answer. */
  remoteRtp: { address: string; port: number; payloadType: number } | null;
  /** RTP datagrams that reached the doorbell's audio port. */
  rtpPacketsReceived: number;
}

/** Addition: how the last SIP call ended. */
export interface SimSipCallEnd {
  callId: string;
  /**
   * `hungUpByPeer` (BYE received), `hungUp` (we sent BYE), `cancelled` (CANCEL: max ring time or
   * an ISAPI cancel), `rejected` (a 3xx-6xx answer, see `status`), `noAnswer` (timer B), `error`
   * (could not send, or no RTP port).
   */
  reason: 'hungUpByPeer' | 'hungUp' | 'cancelled' | 'rejected' | 'noAnswer' | 'error';
  status: number | null;
  at: number;
}

/** Addition: the doorbell SIP agent's state. */
export interface SimSipState {
  registerStatus: SimRegisterStatus;
  /** `proxy:port` while registered, else null. */
  registeredTo: string | null;
  call: SimSipCall | null;
  lastCall: SimSipCallEnd | null;
  port: number;
  transport: 'udp' | 'tcp';
}

export interface DoorCommand {
  door: number;
  cmd: string;
  at: number;
}

export interface SimDevice {
  readonly url: string;
  readonly port: number;
  readonly profile: SimProfile;
  readonly certificateFingerprint: string | undefined;
  /** Device requests, 401 handshakes included (not /__sim/ control calls); the newest 20,000 to 21,000 are kept. */
  readonly requests: SimRequestRecord[];
  /** Requests under that path prefix, leaving out 401 answers (login handshakes and refusals). */
  countRequests(pathPrefix: string, method?: string): number;
  trigger(event: SimEvent): void;
  setCallStatus(status: CallStatus): void;
  ring(): void;
  setFault(fault: SimFault): void;
  clearFaults(): void;
  audioReceived(channelId?: number): Buffer;
  doorCommands: DoorCommand[];
  /** Addition: every VideoIntercom/callSignal received (cmdType, accepted, the status during it). */
  callSignals: CallSignalRecord[];
  /** Addition: the current doorbell call status. */
  readonly callStatus: CallStatus;
  /** Addition: number of alertStream connections currently open. */
  readonly openAlertStreams: number;
  /**
   * Addition: replaces what `path` (relative to /ISAPI/, or with the /ISAPI/ prefix) answers, as a
   * fixture entry; `null` removes the entry (404 notSupport). Facts derived at start (stream list,
   * channel status, pictures, two-way audio, doors) do not follow such changes.
   */
  setEndpoint(path: string, entry: FixtureEntry | null): void;
  /** Addition: the RTSP backchannel server's port (option `onvifBackchannel`), else undefined. */
  readonly backchannelPort: number | undefined;
  /** Addition: the G.711 payload received on the RTSP backchannel, in order (at most 16 MB). */
  backchannelAudio(): Buffer;
  /** Addition: requests to the RTSP backchannel server, in order (the newest 2000 to 2100 kept). */
  readonly rtspRequests: SimRtspRequestRecord[];
  /** Addition: RTP checks of what arrived on the backchannel (all zero without the server). */
  readonly backchannelStats: SimBackchannelStats;
  /** Addition: the snapshot latency now in force (ms, fixed or [min, max]). */
  readonly snapshotDelayMs: number | [number, number];
  /** Addition: changes the snapshot latency from the next snapshot on. */
  setSnapshotDelay(delayMs: number | [number, number]): void;
  /** Addition: the device clock's offset from real time in ms (negative = behind). */
  readonly clockOffsetMs: number;
  /** Addition: sets the device clock to real time + `offsetMs`, from now on. */
  setClockOffset(offsetMs: number): void;
  /** Addition: the device's own idea of the time now (real time + clock offset). */
  deviceTime(): Date;
  /**
   * Addition (doorbells): presses call button `button` (default 1): a SIP INVITE to the number the
   * button's room has, the intercom rings; see sim/README.md "SIP agent". Throws SimInputError on
   * other devices.
   */
  press(button?: number): SimPressResult;
  /** Addition (doorbells): ends the SIP call (BYE when connected, CANCEL while ringing); false when none. */
  sipHangUp(): boolean;
  /** Addition: SIP messages sent and received, in order (the last 1000; empty on other devices). */
  readonly sipMessages: readonly SimSipMessageRecord[];
  /** Addition: the SIP agent's registration and call (undefined on other devices). */
  readonly sipState: SimSipState | undefined;
  /** Addition: presses and what they did (the last 100). */
  readonly sipPresses: readonly SimPressRecord[];
  /** Addition: the port the SIP agent is bound to (undefined on other devices). */
  readonly sipPort: number | undefined;
  /**
   * Addition (doorbells): the SIP settings the ISAPI SIP routes show and change (server, phone
   * number records, buttons, ring time). A test may change them directly and then call
   * `changed()`, as a route does; undefined on other devices.
   */
  readonly sipSettings: SimSipSettings | undefined;
  close(): Promise<void>;
}

/** Addition: a CallSignal the doorbell received, and whether a call was pending for it. */
export interface CallSignalRecord {
  /** `answer`, `hangUp`, `cancel`, `reject` or `bellTimeout`. */
  cmdType: string;
  /** false: answered statusCode 4 / noRequest. */
  accepted: boolean;
  /** The call status before it. */
  during: CallStatus;
  at: number;
}
