/** startSimDevice / startSimFleet: wires profile, state, HTTP(S) listener and the SimDevice API. */

import { X509Certificate } from 'node:crypto';
import { AlertHub } from './alert-stream.ts';
import { snapshotJpegs, type TlsAssets, tlsAssets } from './assets.ts';
import { DeviceAuth } from './auth.ts';
import { DeviceClock } from './clock.ts';
import type { DeviceContext } from './context.ts';
import { buildDeviceModel, type DeviceModel } from './device-model.ts';
import { dig, text } from './dict.ts';
import type { EventSource } from './events.ts';
import { FaultSet } from './faults.ts';
import { listen } from './http/server.ts';
import { Intercom } from './intercom.ts';
import { createHandler } from './pipeline.ts';
import { resolveProfile } from './profiles/index.ts';
import { AUDIO_DATA_PATH } from './routes/two-way-audio.ts';
import {
  backchannelSpecOf,
  emptyBackchannelStats,
  RtspBackchannelServer,
  type RtspStreamFacts,
} from './rtsp-backchannel.ts';
import { SimSipAgent } from './sip-agent.ts';
import { SimSipSettings } from './sip-settings.ts';
import { CAPTURED_SNAPSHOT_MS, SnapshotDelay } from './snapshot-delay.ts';
import { TwoWayAudio } from './two-way-audio.ts';
import type {
  CallStatus,
  FixtureEntry,
  SimDevice,
  SimDeviceOptions,
  SimEvent,
  SimFault,
  SimPressResult,
  SimProfile,
  SimRequestRecord,
} from './types.ts';
import {
  endpointKey,
  SimInputError,
  validateCallStatus,
  validateEndpointEntry,
  validateEvent,
  validateFault,
} from './validate.ts';

export const DEFAULTS = {
  host: '127.0.0.1',
  username: 'admin',
  password: 'Hik12345!',
  auth: 'digest' as const,
  lockoutAfter: 5,
  lockoutSeconds: 1800,
  heartbeatMs: 10_000,
  nonceTtlMs: 5 * 60_000,
  maxRingTimeMs: 30_000,
  doorOpenDurationMs: 5_000,
  sipT1Ms: 500,
  rebootMs: 3000,
};

/** The SIP agent's options, checked (doorbells only use them). */
function sipOptionsOf(options: SimDeviceOptions): { transport: 'udp' | 'tcp'; port?: number; t1Ms: number } {
  const transport = options.sipTransport ?? 'udp';
  if (transport !== 'udp' && transport !== 'tcp') throw new SimInputError('sipTransport must be udp or tcp');
  const port = options.sipPort;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new SimInputError('sipPort must be a port number (0 = a free one)');
  }
  const t1Ms = options.sipT1Ms ?? DEFAULTS.sipT1Ms;
  if (typeof t1Ms !== 'number' || !Number.isFinite(t1Ms) || t1Ms < 1 || t1Ms > 10_000) {
    throw new SimInputError('sipT1Ms must be between 1 and 10000 ms');
  }
  return { transport, ...(port === undefined ? {} : { port }), t1Ms };
}

function rebootMsOf(options: SimDeviceOptions): number {
  const ms = options.rebootMs ?? DEFAULTS.rebootMs;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 600_000) {
    throw new SimInputError('rebootMs must be a whole number of ms from 0 to 600000');
  }
  return ms;
}

/** How long a doorbell rings: the `maxRingTimeMs` option, else its operationTime setting. */
function ringTimeMs(options: SimDeviceOptions, sip: SimSipSettings): number {
  if (options.maxRingTimeMs !== undefined) return options.maxRingTimeMs;
  const seconds = sip.operationTime.maxRingTime;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULTS.maxRingTimeMs;
}

function checkButton(button: unknown): number {
  if (typeof button !== 'number' || !Number.isInteger(button) || button < 1 || button > 99) {
    throw new SimInputError('button must be a whole number from 1 to 99');
  }
  return button;
}

function twoWayCodec(options: SimDeviceOptions, profileCodec: string): string {
  const codec = options.twoWayAudioCodec;
  if (codec === undefined) return profileCodec;
  if (typeof codec !== 'string' || codec.trim() === '') {
    throw new SimInputError('twoWayAudioCodec must be a codec name such as G.711ulaw, G.711alaw or G.726');
  }
  return codec;
}

/** Host for URLs: wildcard listeners are reached on loopback; IPv6 needs brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** What the RTSP server says about a stream in its SDP: video codec and size, its own audio. */
function rtspStreamFacts(model: DeviceModel, id: number): RtspStreamFacts | undefined {
  const stream = model.streams.get(id);
  if (!stream) return undefined;
  const codec = text(dig(stream.dict, 'Video', 'videoCodecType')) ?? '';
  const audioOn = text(dig(stream.dict, 'Audio', 'enabled')) === 'true';
  const audioCodec = text(dig(stream.dict, 'Audio', 'audioCompressionType')) ?? '';
  let audio: RtspStreamFacts['audio'];
  if (audioOn && /ulaw/i.test(audioCodec)) audio = 'PCMU';
  else if (audioOn && /alaw/i.test(audioCodec)) audio = 'PCMA';
  return {
    video: /265/.test(codec) ? 'H265' : 'H264',
    width: stream.width || 1920,
    height: stream.height || 1080,
    ...(audio ? { audio } : {}),
  };
}

/** The profile with another serial number in its deviceInfo answer. */
function withSerialNumber(profile: SimProfile, serialNumber: string | undefined): SimProfile {
  const entry = profile.isapi['System/deviceInfo'];
  const info =
    entry && 'response' in entry
      ? (entry.response as Record<string, Record<string, unknown>>).DeviceInfo
      : undefined;
  if (serialNumber === undefined || !info) return profile;
  const response = { DeviceInfo: { ...info, serialNumber } };
  return { ...profile, isapi: { ...profile.isapi, 'System/deviceInfo': { response } } };
}

export async function startSimDevice(options: SimDeviceOptions): Promise<SimDevice> {
  const backchannelSpec = backchannelSpecOf(options.onvifBackchannel);
  // Bound before the model is built, so the device reports the port it really listens on.
  const rtsp = backchannelSpec
    ? await RtspBackchannelServer.listen(options.host ?? DEFAULTS.host, backchannelSpec)
    : undefined;
  try {
    return await startDevice(options, rtsp);
  } catch (error) {
    await rtsp?.close();
    throw error;
  }
}

async function startDevice(
  options: SimDeviceOptions,
  rtsp: RtspBackchannelServer | undefined,
): Promise<SimDevice> {
  const profile = withSerialNumber(resolveProfile(options.profile), options.serialNumber);
  const host = options.host ?? DEFAULTS.host;
  const https = options.https ?? false;
  const password = options.password ?? DEFAULTS.password;
  const lockout = {
    after: options.lockoutAfter ?? DEFAULTS.lockoutAfter,
    seconds: options.lockoutSeconds ?? DEFAULTS.lockoutSeconds,
  };
  const model = buildDeviceModel(profile, options.rtspPort ?? rtsp?.port, lockout);
  const faults = new FaultSet();
  const clock = new DeviceClock(options.clockOffsetMs ?? 0);
  const snapshotDelay = new SnapshotDelay(
    options.snapshotDelayMs ?? profile.snapshotDelayMs ?? CAPTURED_SNAPSHOT_MS,
  );
  const source: EventSource = {
    model,
    host: urlHost(host).replace(/[[\]]/g, ''),
    port: 0,
    https,
    snapshot: snapshotJpegs().small,
    clock,
  };
  const alerts = new AlertHub({ source, faults, heartbeatMs: options.heartbeatMs ?? DEFAULTS.heartbeatMs });
  const audio = new TwoWayAudio(model.twoWayChannels, twoWayCodec(options, model.twoWayCodec));
  const sipOptions = sipOptionsOf(options);
  const sip = new SimSipSettings();
  const intercom = new Intercom({
    maxRingTimeMs: () => ringTimeMs(options, sip),
    doorOpenDurationMs: options.doorOpenDurationMs ?? DEFAULTS.doorOpenDurationMs,
    doorCount: model.doorCount,
    emit: (event) => alerts.trigger(event),
  });
  // wrongPassword: the password was changed on the device, ours no longer matches (HTTP and RTSP).
  const devicePassword = () => (faults.has('wrongPassword') ? `${password}#changed-on-device` : password);
  rtsp?.serve({
    username: options.username ?? DEFAULTS.username,
    password: devicePassword,
    auth: options.auth ?? DEFAULTS.auth,
    realm: model.realm,
    stream: (id) => rtspStreamFacts(model, id),
    now: () => clock.now(),
  });
  const auth = new DeviceAuth({
    username: options.username ?? DEFAULTS.username,
    password: devicePassword,
    mode: options.auth ?? DEFAULTS.auth,
    realm: model.realm,
    lockoutAfter: lockout.after,
    lockoutSeconds: lockout.seconds,
    nonceTtlMs: options.nonceTtlMs ?? DEFAULTS.nonceTtlMs,
  });
  const requests: SimRequestRecord[] = [];
  let closed = false;
  const context: DeviceContext = {
    model,
    faults,
    alerts,
    audio,
    intercom,
    sip,
    snapshotDelay,
    clock,
    rebootMs: rebootMsOf(options),
    closed: () => closed,
  };
  const tls = https ? (options.certificate ? ownCertificate(options.certificate) : tlsAssets()) : undefined;
  let url = '';
  let port = 0;
  let closing: Promise<void> | undefined;
  let sipAgent: SimSipAgent | undefined;
  const noSipMessages: SimDevice['sipMessages'] = [];

  const device: SimDevice = {
    get url() {
      return url;
    },
    get port() {
      return port;
    },
    profile,
    certificateFingerprint: tls?.fingerprint,
    requests,
    doorCommands: intercom.doorCommands,
    callSignals: intercom.callSignals,
    get callStatus(): CallStatus {
      return intercom.status;
    },
    get openAlertStreams() {
      return alerts.count;
    },
    countRequests(pathPrefix: string, method?: string): number {
      // 401s are the login handshake (or a refusal), not work the device did.
      const counted = (r: SimRequestRecord): boolean => r.status !== 401 || r.authorized;
      return requests.filter(
        (r) => counted(r) && r.path.startsWith(pathPrefix) && (!method || r.method === method),
      ).length;
    },
    trigger(event: SimEvent): void {
      alerts.trigger(validateEvent(event));
    },
    setCallStatus(status: CallStatus): void {
      intercom.setStatus(validateCallStatus(status));
    },
    ring(): void {
      intercom.setStatus('ring');
    },
    setFault(fault: SimFault): void {
      faults.add(validateFault(fault));
    },
    clearFaults(): void {
      faults.clear();
    },
    audioReceived(channelId = 1): Buffer {
      return audio.receivedBytes(channelId);
    },
    setEndpoint(path: string, entry: FixtureEntry | null): void {
      const key = endpointKey(path);
      const checked = validateEndpointEntry(entry);
      if (checked === null) delete model.isapi[key];
      else model.isapi[key] = structuredClone(checked);
    },
    backchannelPort: rtsp?.port,
    backchannelAudio(): Buffer {
      return rtsp?.received() ?? Buffer.alloc(0);
    },
    rtspRequests: rtsp?.requests ?? [],
    backchannelStats: rtsp?.stats ?? emptyBackchannelStats(),
    get snapshotDelayMs() {
      return snapshotDelay.setting;
    },
    setSnapshotDelay(delayMs: number | [number, number]): void {
      snapshotDelay.set(delayMs);
    },
    get clockOffsetMs() {
      return clock.offsetMs;
    },
    setClockOffset(offsetMs: number): void {
      clock.setOffset(offsetMs);
    },
    deviceTime(): Date {
      return clock.now();
    },
    press(button = 1): SimPressResult {
      if (!sipAgent) throw new SimInputError('this device is not a doorbell');
      return sipAgent.press(checkButton(button));
    },
    sipHangUp(): boolean {
      return sipAgent?.hangUp() ?? false;
    },
    get sipMessages() {
      return sipAgent?.messages ?? noSipMessages;
    },
    get sipState() {
      return sipAgent?.state;
    },
    get sipPresses() {
      return sipAgent?.presses ?? [];
    },
    get sipPort() {
      return sipAgent?.port;
    },
    get sipSettings() {
      return profile.kind === 'doorbell' ? sip : undefined;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        await sipAgent?.close();
        intercom.close();
        audio.closeAll();
        alerts.closeAll();
        await Promise.all([listener.close(), rtsp?.close()]);
      })();
      return closing;
    },
  };

  const listener = await listen({
    host,
    port: options.port ?? 0,
    tls,
    handler: createHandler({ device, context, auth, requests }),
    isRawUpload: (head) => head.method === 'PUT' && AUDIO_DATA_PATH.test(head.path),
  });
  port = listener.port;
  source.port = port;
  url = `${https ? 'https' : 'http'}://${urlHost(host)}:${port}`;
  if (profile.kind === 'doorbell') {
    try {
      sipAgent = await SimSipAgent.start({
        settings: sip,
        intercom,
        host,
        transport: sipOptions.transport,
        port: sipOptions.port,
        t1Ms: sipOptions.t1Ms,
        ringTimeMs: () => ringTimeMs(options, sip),
      });
    } catch (error) {
      await device.close();
      throw error;
    }
  }
  return device;
}

/** Many devices in one process, each on its own port; all or nothing. */
export async function startSimFleet(options: SimDeviceOptions[]): Promise<SimDevice[]> {
  const results = await Promise.allSettled(options.map((o) => startSimDevice(o)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(results.map((r) => (r.status === 'fulfilled' ? r.value.close() : undefined)));
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<SimDevice>).value);
}

/** A certificate given by the caller, in the shape of the bundled one. */
function ownCertificate(pem: { cert: string; key: string }): TlsAssets {
  const fingerprint = new X509Certificate(pem.cert).fingerprint256.toUpperCase();
  return { cert: Buffer.from(pem.cert), key: Buffer.from(pem.key), fingerprint };
}
