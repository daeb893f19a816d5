/**
 * The talk module: two-way audio from any ffmpeg-readable source to a device's speaker.
 *
 * A session: checks (device, NVR, codec, speaker free) -> ffmpeg transcodes the source to
 * 8 kHz mono G.711 in the device's flavour -> the first audio is there -> the device session is
 * opened (close first, then open) -> paced upload -> the device session is closed and ffmpeg
 * killed, whatever ended it: the input, stop(), the time limit, the device, module stop.
 *
 * Two ways to the speaker: ISAPI two-way audio (the usual one), or the ONVIF RTSP backchannel
 * (DESCRIBE with the backchannel requirement, SETUP, PLAY, RTP over the RTSP connection,
 * TEARDOWN), used when asked for or, with `auto`, when the device has no ISAPI two-way audio.
 * Both get the same transcoder and the same pacer; only the link to the device differs.
 *
 * It owns only its sessions (in memory): one per device speaker, a bounded number overall.
 */
import { randomUUID } from 'node:crypto';
import type { Bus, TalkEndReason, TalkSessionEvent } from '../../core/bus.ts';
import { AppError, DeviceOperationError, InputError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Module } from '../../core/module.ts';
import type { ChannelRecord, DeviceRecord, Store } from '../../core/store/types.ts';
import { DeviceError } from '../../protocols/http/errors.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { redactUrl } from '../../protocols/isapi/client.ts';
import { buildRtspUrl } from '../../protocols/isapi/rtsp.ts';
import {
  type G711Codec,
  g711CodecOf,
  listTwoWayAudioChannels,
  newPaceStats,
  openTwoWayAudio,
  paceG711,
  TwoWayAudioBusyError,
  type TwoWayAudioChannel,
} from '../../protocols/isapi/two-way-audio.ts';
import {
  openBackchannel,
  RtspBackchannelCodecError,
  RtspNoBackchannelError,
  RtspStatusError,
  RtspTimeoutError,
} from '../../protocols/rtsp/index.ts';
import type { DevicesModule } from '../devices/index.ts';
import { BrowserTalkSessions, type TalkPaths } from './browser.ts';
import {
  TalkCancelledError,
  TalkCodecError,
  TalkDisabledError,
  TalkLimitError,
  TalkNoBackchannelError,
  TalkSessionActiveError,
  TalkSpeakerBusyError,
  TalkUnsupportedError,
  TalkViaNvrError,
} from './errors.ts';
import { checkFfmpeg, G711Transcoder, schemeOf, type TranscodeInput } from './ffmpeg.ts';
import { talkRoutes } from './routes.ts';
import type {
  TalkEnded,
  TalkMethod,
  TalkMethodChoice,
  TalkRequest,
  TalkSessionInfo,
  TalkSettings,
  TalkSource,
  TalkStarted,
  TalkState,
} from './types.ts';

const METHOD_CHOICES: readonly TalkMethodChoice[] = ['auto', 'isapi', 'onvif'];

export interface TalkModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Device records and the device's shared ISAPI client. */
  devices: Pick<DevicesModule, 'registry' | 'supervisor'>;
  /** MediaMTX paths for browser microphones; without them only URL and upload sources work. */
  media?: TalkPaths;
  settings: TalkSettings;
}

interface Settings {
  ffmpegPath: string;
  maxSessionMs: number;
  maxSessions: number;
  requestTimeoutMs: number;
  startTimeoutMs: number;
  maxGapMs: number;
  allowedUrlSchemes: Set<string>;
  method: TalkMethodChoice;
}

/** The open link to the device's speaker: an ISAPI talk session or an RTSP backchannel. */
interface SpeakerLink {
  send(
    frames: AsyncIterable<Uint8Array>,
    options: { signal: AbortSignal; onSent: (bytes: number) => void },
  ): Promise<'source-ended' | 'device-ended' | 'aborted'>;
  /** Ends the device side (ISAPI close / RTSP TEARDOWN); never throws, returns what failed. */
  close(): Promise<Error | undefined>;
}

class Session {
  readonly id = randomUUID();
  readonly controller = new AbortController();
  readonly startedAt = new Date();
  state: TalkState = 'starting';
  codec: G711Codec | null = null;
  method: TalkMethod | null = null;
  talkingSince: Date | null = null;
  bytesSent = 0;
  stopReason: TalkEndReason | undefined;
  transcoder: G711Transcoder | undefined;
  device: SpeakerLink | undefined;
  readonly ended: Promise<TalkEnded>;
  resolveEnded!: (ended: TalkEnded) => void;

  constructor(
    readonly deviceId: string,
    readonly deviceName: string,
    readonly channelId: string | null,
    public audioChannel: number,
    readonly source: 'url' | 'stream',
    readonly maxDurationMs: number,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
  }

  get speaker(): string {
    return speakerKey(this.deviceId, this.audioChannel);
  }

  stop(reason: TalkEndReason): void {
    this.stopReason ??= reason;
    this.controller.abort(new TalkCancelledError());
  }

  info(): TalkSessionInfo {
    return {
      sessionId: this.id,
      deviceId: this.deviceId,
      channelId: this.channelId,
      audioChannel: this.audioChannel,
      codec: this.codec,
      method: this.method,
      state: this.state,
      source: this.source,
      startedAt: this.startedAt.toISOString(),
      talkingSince: this.talkingSince?.toISOString() ?? null,
      bytesSent: this.bytesSent,
      maxDurationMs: this.maxDurationMs,
    };
  }
}

function speakerKey(deviceId: string, audioChannel: number): string {
  return `${deviceId}#${audioChannel}`;
}

export class TalkModule implements Module {
  readonly name = 'talk';
  readonly routes;
  /** Sessions whose audio is a browser microphone published to MediaMTX. */
  readonly browserTalk: BrowserTalkSessions;
  private readonly settings: Settings;
  private readonly sessions = new Map<string, Session>();
  private readonly speakers = new Map<string, Session>();
  private readonly unsubscribe: Array<() => void> = [];
  private running = false;

  constructor(private readonly deps: TalkModuleDeps) {
    this.settings = settingsOf(deps.settings);
    this.browserTalk = new BrowserTalkSessions({
      ...(deps.media ? { media: deps.media } : {}),
      talk: this,
      logger: deps.logger,
      waitMs: deps.settings.browserWaitSeconds * 1000,
      maxDurationSeconds: deps.settings.maxSessionSeconds,
      defaultMethod: deps.settings.method,
    });
    this.routes = talkRoutes({
      store: deps.store,
      devices: deps.devices,
      talk: this,
      browserTalk: this.browserTalk,
    });
  }

  async start(): Promise<void> {
    this.running = true;
    const { bus } = this.deps;
    this.unsubscribe.push(
      bus.on('device.removed', ({ deviceId }) => this.stopDevice(deviceId)),
      bus.on('device.updated', ({ deviceId, reconnect }) => {
        // The device's client is rebuilt (or the device disabled): its sessions cannot go on.
        if (reconnect) this.stopDevice(deviceId);
        else void this.stopIfDisabled(deviceId);
      }),
    );
    const problem = await checkFfmpeg(this.settings.ffmpegPath);
    if (problem) {
      this.deps.logger.warn(
        { ffmpegPath: this.settings.ffmpegPath, problem },
        'ffmpeg is not available: two-way audio (talk) will fail until it is installed',
      );
    }
  }

  /** Ends every session (device sessions closed, ffmpeg killed) before resolving. */
  async stop(): Promise<void> {
    await this.browserTalk.stop();
    this.running = false;
    for (const off of this.unsubscribe.splice(0)) off();
    const all = [...this.sessions.values()];
    for (const session of all) session.stop('shutdown');
    await Promise.all(all.map((session) => session.ended));
  }

  /**
   * Starts talking. Resolves once the device session is open and audio flows; rejects with an
   * AppError saying why not (busy speaker, codec, NVR, no two-way audio, bad source...).
   */
  async startSession(request: TalkRequest): Promise<TalkStarted> {
    if (!this.running) throw new AppError('talk_unavailable', 503, 'Two-way audio is not running.');
    const input = this.inputOf(request.source);
    const method = this.methodOf(request.method);
    const maxDurationMs = this.maxDurationOf(request.maxDurationSeconds);
    const device = await this.deps.devices.registry.get(request.deviceId);
    const channel = request.channelId ? await this.channelOf(device, request.channelId) : null;
    if (!device.enabled) {
      throw new AppError(
        'device_disabled',
        409,
        `The device "${device.name}" is disabled; enable it to talk.`,
      );
    }
    if (device.kind === 'nvr' || channel?.source === 'proxy') throw new TalkViaNvrError(device.name);
    if (
      request.audioChannel !== undefined &&
      !(Number.isInteger(request.audioChannel) && request.audioChannel > 0)
    )
      throw new InputError('audioChannel: a channel number from 1', 'audioChannel');

    // From here to register() nothing awaits: two concurrent requests cannot both pass.
    const audioChannel = request.audioChannel ?? device.twoWayAudio?.channelId ?? 1;
    this.assertSpeakerFree(device, audioChannel);
    if (this.sessions.size >= this.settings.maxSessions) throw new TalkLimitError(this.settings.maxSessions);
    const session = new Session(
      device.id,
      device.name,
      channel?.id ?? null,
      audioChannel,
      input.kind,
      maxDurationMs,
    );
    this.register(session);
    const cancel = () => session.stop('stopped');
    request.signal?.addEventListener('abort', cancel, { once: true });
    if (request.signal?.aborted) cancel();

    try {
      await this.prepare(session, device, channel, input, request.audioChannel !== undefined, method);
    } catch (error) {
      request.signal?.removeEventListener('abort', cancel);
      if (input.kind === 'stream' && !session.transcoder) input.stream.destroy();
      await this.teardown(session);
      this.unregister(session);
      const failure = session.stopReason ? new TalkCancelledError() : toAppError(error);
      session.resolveEnded(this.endedEvent(session, session.stopReason ?? 'error', failure.message));
      throw failure;
    }

    session.state = 'talking';
    session.talkingSince = new Date();
    this.deps.bus.emit('talk.started', this.startedEvent(session));
    this.deps.logger.info(
      {
        sessionId: session.id,
        deviceId: device.id,
        audioChannel: session.audioChannel,
        codec: session.codec,
        method: session.method,
      },
      'talk session started',
    );
    void this.run(session).finally(() => request.signal?.removeEventListener('abort', cancel));
    return { ...session.info(), codec: session.codec!, method: session.method!, ended: session.ended };
  }

  /** Stops a session; resolves when the device session is closed and ffmpeg is gone. */
  async stopSession(sessionId: string): Promise<TalkEnded> {
    const session = this.sessions.get(sessionId);
    if (!session) throw new NotFoundError('talk session', sessionId);
    session.stop('stopped');
    return session.ended;
  }

  /** Sessions now running (or starting, or closing). */
  listSessions(): TalkSessionInfo[] {
    return [...this.sessions.values()].map((session) => session.info());
  }

  getSession(sessionId: string): TalkSessionInfo {
    const session = this.sessions.get(sessionId);
    if (!session) throw new NotFoundError('talk session', sessionId);
    return session.info();
  }

  /** Device checks, codec, ffmpeg's first audio, device session open. */
  private async prepare(
    session: Session,
    device: DeviceRecord,
    channel: ChannelRecord | null,
    input: TranscodeInput,
    explicitChannel: boolean,
    method: TalkMethodChoice,
  ): Promise<void> {
    if (method === 'onvif') return this.prepareBackchannel(session, device, channel, input, false);
    const signal = session.controller.signal;
    const timing = { timeoutMs: this.settings.requestTimeoutMs, signal };
    const client = await this.clientOf(device);
    let channels: TwoWayAudioChannel[];
    try {
      channels = await this.listChannels(client, device, timing);
    } catch (error) {
      // No ISAPI two-way audio at all: the ONVIF backchannel may still reach the speaker.
      if (method === 'auto' && error instanceof TalkUnsupportedError) {
        return this.prepareBackchannel(session, device, channel, input, true);
      }
      throw error;
    }
    session.method = 'isapi';
    const audio = this.pickChannel(session, device, channels, explicitChannel);
    if (!audio.enabled) throw new TalkDisabledError(device.name, audio.id);
    const codec = g711CodecOf(audio.codec);
    if (!codec) throw new TalkCodecError(device.name, audio.codec);
    session.codec = codec;
    signal.throwIfAborted();

    session.transcoder = new G711Transcoder({ ffmpegPath: this.settings.ffmpegPath, codec, input });
    // Before the device is touched: a source that is not audio must not cut off anyone talking.
    await session.transcoder.firstAudio(this.settings.startTimeoutMs, signal);
    try {
      session.device = await openTwoWayAudio(client, audio.id, {
        ...timing,
        stallTimeoutMs: this.settings.requestTimeoutMs,
        uploadTimeoutMs: this.settings.requestTimeoutMs,
      });
    } catch (error) {
      // Firmware that lists a talk channel and then answers notSupport to open it (openTwoWayAudio
      // has closed whatever it half-opened).
      if (method === 'auto' && error instanceof DeviceError && error.code === 'not_supported') {
        return this.prepareBackchannel(session, device, channel, input, true);
      }
      throw error;
    }
    signal.throwIfAborted();
  }

  /**
   * The ONVIF way: DESCRIBE tells whether there is a backchannel and its codec; ffmpeg's first
   * audio; only then SETUP and PLAY take the speaker. `fallback`: ISAPI had no two-way audio,
   * so "no backchannel either" means the device cannot talk at all. A transcoder already
   * started for ISAPI is kept when its codec fits.
   */
  private async prepareBackchannel(
    session: Session,
    device: DeviceRecord,
    channel: ChannelRecord | null,
    input: TranscodeInput,
    fallback: boolean,
  ): Promise<void> {
    const signal = session.controller.signal;
    session.method = 'onvif';
    const link = await openBackchannel({
      url: backchannelUrl(device, channel),
      credentials: { username: device.username, password: device.password },
      timeoutMs: this.settings.requestTimeoutMs,
      stallTimeoutMs: this.settings.requestTimeoutMs,
      signal,
    }).catch((error: unknown) => {
      throw backchannelFailure(device, error, fallback);
    });
    session.device = link;
    signal.throwIfAborted();
    if (session.transcoder && session.codec !== link.codec) {
      // Coming from an ISAPI open that failed: ffmpeg already makes the other G.711 flavour. A URL
      // can be read again; an upload has been partly consumed and cannot.
      if (input.kind !== 'url') {
        throw new TalkUnsupportedError(
          device.name,
          `ISAPI two-way audio answered notSupport, and the ONVIF backchannel takes ${link.track.encoding}, not the ` +
            `${session.codec === 'alaw' ? 'A-law' : 'µ-law'} the upload was already converted to; send it again with method "onvif"`,
        );
      }
      await session.transcoder.kill();
      session.transcoder = undefined;
    }
    session.codec = link.codec;
    if (!session.transcoder) {
      session.transcoder = new G711Transcoder({
        ffmpegPath: this.settings.ffmpegPath,
        codec: link.codec,
        input,
      });
      // As with ISAPI: a source that is not audio must not take the speaker from anyone.
      await session.transcoder.firstAudio(this.settings.startTimeoutMs, signal);
    }
    await link.play({ signal }).catch((error: unknown) => {
      throw playFailure(device, error);
    });
    signal.throwIfAborted();
  }

  /** The paced upload until something ends it; then the device session is closed and ffmpeg killed. */
  private async run(session: Session): Promise<void> {
    const { transcoder, device } = session;
    const signal = session.controller.signal;
    const limit = setTimeout(() => session.stop('max-duration'), session.maxDurationMs);
    const stats = newPaceStats();
    let reason: TalkEndReason = 'error';
    let error: string | null = null;
    try {
      const frames = paceG711(transcoder!.queue, {
        codec: session.codec!,
        signal,
        maxGapMs: this.settings.maxGapMs,
        stats,
      });
      const end = await device!.send(frames, {
        signal,
        onSent: (bytes) => {
          session.bytesSent += bytes;
        },
      });
      if (end === 'aborted') reason = session.stopReason ?? 'stopped';
      else if (end === 'device-ended') reason = 'device-ended';
      else if (stats.starved) reason = 'source-stalled';
      else {
        const failure = await transcoder!.failure();
        reason = failure ? 'error' : 'input-ended';
        error = failure?.message ?? null;
      }
    } catch (failure) {
      reason = session.stopReason ?? 'error';
      error = session.stopReason ? null : messageOf(failure);
    } finally {
      clearTimeout(limit);
    }
    session.state = 'stopping';
    await this.teardown(session);
    this.unregister(session);
    const ended = this.endedEvent(session, reason, error);
    const log = this.deps.logger;
    const fields = {
      sessionId: session.id,
      deviceId: session.deviceId,
      method: session.method,
      reason,
      durationMs: ended.durationMs,
      bytesSent: session.bytesSent,
      silenceFrames: stats.silenceFrames,
      resyncs: stats.resyncs,
      dropped: transcoder!.queue.dropped,
    };
    if (error) log.warn({ ...fields, error }, 'talk session failed');
    else log.info(fields, 'talk session ended');
    this.deps.bus.emit('talk.ended', ended);
    session.resolveEnded(ended);
  }

  /** Closes the device session (if opened) and kills ffmpeg (if started). Never throws. */
  private async teardown(session: Session): Promise<void> {
    const [closeError] = await Promise.all([session.device?.close(), session.transcoder?.kill()]);
    if (closeError) {
      this.deps.logger.warn(
        { sessionId: session.id, deviceId: session.deviceId, err: closeError.message },
        'closing two-way audio on the device failed',
      );
    }
  }

  private inputOf(source: TalkSource): TranscodeInput {
    if (!source || typeof source !== 'object')
      throw new InputError('source: { url } or { stream }', 'source');
    if ('url' in source && typeof source.url === 'string') {
      const scheme = schemeOf(source.url);
      if (!this.settings.allowedUrlSchemes.has(scheme)) {
        throw new InputError(
          `source.url: "${redactUrl(source.url)}" is not a supported source; use ${[...this.settings.allowedUrlSchemes].join(', ')} URLs`,
          'source.url',
        );
      }
      return { kind: 'url', url: source.url };
    }
    if ('stream' in source && source.stream && typeof source.stream.pipe === 'function') {
      const { format } = source;
      // Passed to ffmpeg as one argument; a format name is short and plain.
      if (format !== undefined && !/^[a-z0-9_]{1,32}$/i.test(format)) {
        throw new InputError('source.format: an ffmpeg format name such as wav, mp3 or ogg', 'source.format');
      }
      return { kind: 'stream', stream: source.stream, ...(format ? { format } : {}) };
    }
    throw new InputError('source: { url } or { stream }', 'source');
  }

  private methodOf(requested: unknown): TalkMethodChoice {
    if (requested === undefined) return this.settings.method;
    if (METHOD_CHOICES.includes(requested as TalkMethodChoice)) return requested as TalkMethodChoice;
    throw new InputError('method: auto, isapi or onvif', 'method');
  }

  private maxDurationOf(requested: number | undefined): number {
    const max = this.settings.maxSessionMs;
    if (requested === undefined) return max;
    if (!(typeof requested === 'number' && requested > 0)) {
      throw new InputError('maxDurationSeconds: a positive number of seconds', 'maxDurationSeconds');
    }
    return Math.min(max, requested * 1000);
  }

  private async channelOf(device: DeviceRecord, channelId: string): Promise<ChannelRecord> {
    const channel = await this.deps.store.channels.get(channelId);
    if (!channel) throw new NotFoundError('channel', channelId);
    if (channel.deviceId !== device.id) {
      throw new InputError(`channelId: channel "${channelId}" belongs to another device`, 'channelId');
    }
    return channel;
  }

  private async clientOf(device: DeviceRecord): Promise<IsapiClient> {
    const { supervisor } = this.deps.devices;
    let client = supervisor.client(device.id);
    if (!client) {
      // Just added or reconfigured: the supervisor is still connecting it.
      await supervisor.settled();
      client = supervisor.client(device.id);
    }
    if (!client) {
      throw new AppError(
        'device_unavailable',
        409,
        `The device "${device.name}" is not connected yet; try again.`,
      );
    }
    return client;
  }

  private async listChannels(
    client: IsapiClient,
    device: DeviceRecord,
    timing: { timeoutMs: number; signal: AbortSignal },
  ): Promise<TwoWayAudioChannel[]> {
    let channels: TwoWayAudioChannel[];
    try {
      channels = await listTwoWayAudioChannels(client, timing);
    } catch (error) {
      if (error instanceof DeviceError && error.code === 'not_supported')
        throw new TalkUnsupportedError(device.name);
      throw error;
    }
    if (channels.length === 0) throw new TalkUnsupportedError(device.name);
    return channels;
  }

  /** The requested (or remembered) channel; the device's own list wins over what was stored. */
  private pickChannel(
    session: Session,
    device: DeviceRecord,
    channels: TwoWayAudioChannel[],
    explicit: boolean,
  ): TwoWayAudioChannel {
    const wanted = channels.find((channel) => channel.id === session.audioChannel);
    if (wanted) return wanted;
    if (explicit) {
      throw new InputError(
        `audioChannel: "${device.name}" has no two-way audio channel ${session.audioChannel} (it has ${channels.map((c) => c.id).join(', ')})`,
        'audioChannel',
      );
    }
    const fallback = channels.find((channel) => channel.enabled) ?? channels[0]!;
    // Re-claim the speaker under its real number (synchronously, like the first claim).
    this.unregister(session);
    session.audioChannel = fallback.id;
    this.assertSpeakerFree(device, fallback.id);
    this.register(session);
    return fallback;
  }

  private assertSpeakerFree(device: DeviceRecord, audioChannel: number): void {
    const active = this.speakers.get(speakerKey(device.id, audioChannel));
    if (active) throw new TalkSessionActiveError(device.name, active.id);
  }

  private register(session: Session): void {
    this.sessions.set(session.id, session);
    this.speakers.set(session.speaker, session);
  }

  private unregister(session: Session): void {
    this.sessions.delete(session.id);
    if (this.speakers.get(session.speaker) === session) this.speakers.delete(session.speaker);
  }

  private stopDevice(deviceId: string): void {
    for (const session of this.sessions.values()) {
      if (session.deviceId === deviceId) session.stop('device-changed');
    }
  }

  private async stopIfDisabled(deviceId: string): Promise<void> {
    if (![...this.sessions.values()].some((session) => session.deviceId === deviceId)) return;
    const device = await this.deps.store.devices.get(deviceId);
    if (!device?.enabled) this.stopDevice(deviceId);
  }

  private startedEvent(session: Session): TalkSessionEvent {
    return {
      sessionId: session.id,
      deviceId: session.deviceId,
      channelId: session.channelId,
      audioChannel: session.audioChannel,
      codec: session.codec ?? 'mulaw',
      startedAt: session.startedAt.toISOString(),
    };
  }

  private endedEvent(session: Session, reason: TalkEndReason, error: string | null): TalkEnded {
    return {
      ...this.startedEvent(session),
      reason,
      error,
      durationMs: session.talkingSince ? Date.now() - session.talkingSince.getTime() : 0,
      bytesSent: session.bytesSent,
    };
  }
}

function settingsOf(settings: TalkSettings): Settings {
  return {
    ffmpegPath: settings.ffmpegPath,
    maxSessionMs: settings.maxSessionSeconds * 1000,
    maxSessions: settings.maxSessions,
    requestTimeoutMs: settings.requestTimeoutMs,
    startTimeoutMs: settings.startTimeoutSeconds * 1000,
    maxGapMs: settings.maxGapSeconds * 1000,
    allowedUrlSchemes: new Set(settings.allowedUrlSchemes),
    method: settings.method,
  };
}

/**
 * Where the backchannel is asked for: the channel's main stream, which is where Hikvision
 * devices answer a backchannel DESCRIBE (`/Streaming/Channels/101` for a camera).
 */
function backchannelUrl(device: DeviceRecord, channel: ChannelRecord | null): string {
  return buildRtspUrl({ host: device.host, port: device.rtspPort, streamId: `${channel?.channelNo ?? 1}01` });
}

/** Why the backchannel cannot be used, in the words of someone who only wanted to talk. */
function backchannelFailure(device: DeviceRecord, error: unknown, fallback: boolean): unknown {
  const deviceName = device.name;
  if (error instanceof RtspNoBackchannelError) {
    return fallback
      ? new TalkUnsupportedError(deviceName, 'no ISAPI two-way audio, and no ONVIF audio backchannel on RTSP')
      : new TalkNoBackchannelError(deviceName, error.detail);
  }
  if (error instanceof RtspBackchannelCodecError)
    return new TalkCodecError(deviceName, error.codecs.join(', '));
  // Trying the backchannel was our idea (auto): an RTSP port that is not there only means the
  // device has no way to talk we know of. Everything else (a refused password...) is said as is.
  if (fallback && error instanceof DeviceError) {
    const timedOut = error instanceof RtspTimeoutError && error.step === 'connect';
    if (error.code === 'unreachable' || timedOut) {
      const what = timedOut ? 'did not answer in time' : 'could not be reached';
      return new TalkUnsupportedError(
        deviceName,
        `no ISAPI two-way audio, and its RTSP port ${device.rtspPort}, where an ONVIF backchannel would be, ${what}`,
      );
    }
  }
  return error;
}

/** SETUP refused for lack of room: on a backchannel that means someone else has the speaker. */
function playFailure(device: DeviceRecord, error: unknown): unknown {
  if (error instanceof RtspStatusError && error.code === 'device_busy') {
    return new TalkSpeakerBusyError(
      `The speaker of "${device.name}" is in use: its RTSP server refused the audio backchannel (${error.status}). ` +
        'Another app (Hik-Connect, an NVR, another gateway) may be talking; try again when it is done.',
    );
  }
  return error;
}

/** Device failures in the user's words, with the busy speaker as its own conflict. */
function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof TwoWayAudioBusyError) return new TalkSpeakerBusyError(error.message);
  if (error instanceof DeviceError) return new DeviceOperationError(error.code, error.message);
  return new AppError('internal', 500, 'Two-way audio failed unexpectedly.');
}

function messageOf(error: unknown): string {
  if (error instanceof AppError || error instanceof DeviceError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
