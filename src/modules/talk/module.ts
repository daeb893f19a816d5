/**
 * The talk module: two-way audio from any ffmpeg-readable source to a device's speaker.
 *
 * A session: checks (device, NVR, codec, speaker free) -> ffmpeg transcodes the source to
 * 8 kHz mono G.711 in the device's flavour -> the first audio is there -> the device session is
 * opened (close first, then open) -> paced upload -> the device session is closed and ffmpeg
 * killed, whatever ended it: the input, stop(), the time limit, the device, module stop.
 *
 * Two ways to the speaker (links.ts): ISAPI two-way audio (the usual one), or the ONVIF RTSP
 * backchannel, used when asked for or, with `auto`, when the device has no ISAPI two-way audio.
 * Both get the same transcoder and the same pacer (session.ts); only the link differs. Which
 * ISAPI channel, and whether it can talk: channels.ts.
 *
 * This file orchestrates: it owns the sessions (in memory), one per device speaker, a bounded
 * number overall, and decides when each starts and ends.
 */

import type { Bus, DoorbellCallAudio } from '../../core/bus.ts';
import { AppError, InputError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Module } from '../../core/module.ts';
import type { ChannelRecord, DeviceRecord, Store } from '../../core/store/types.ts';
import { checkUserUrl, URL_RULES, UrlPolicyError } from '../../protocols/http/url-policy.ts';
import { redactUrl } from '../../protocols/isapi/client.ts';
import type { TwoWayAudioChannel } from '../../protocols/isapi/two-way-audio.ts';
import type { DevicesModule } from '../devices/index.ts';
import { BrowserTalkSessions, type TalkPaths } from './browser.ts';
import { deviceClient, listTalkChannels, pickTalkChannel, talkCodecOf } from './channels.ts';
import {
  TalkCancelledError,
  TalkLimitError,
  TalkSessionActiveError,
  TalkUnsupportedError,
  TalkViaNvrError,
} from './errors.ts';
import { checkFfmpeg, G711Transcoder, schemeOf, type TranscodeInput } from './ffmpeg.ts';
import {
  describeBackchannel,
  isNotSupported,
  type LinkTiming,
  openIsapiLink,
  playBackchannel,
  toAppError,
} from './links.ts';
import { talkRoutes } from './routes.ts';
import { Session, speakerKey } from './session.ts';
import type {
  TalkEnded,
  TalkMethodChoice,
  TalkRequest,
  TalkSessionInfo,
  TalkSettings,
  TalkSource,
  TalkStarted,
} from './types.ts';

const METHOD_CHOICES: readonly TalkMethodChoice[] = ['auto', 'isapi', 'onvif'];

export interface TalkModuleDeps {
  store: Store;
  bus: Bus;
  logger: Logger;
  /** Device records, the device's shared ISAPI client, and picking up a doorbell's ring. */
  devices: Pick<DevicesModule, 'registry' | 'supervisor'> & Partial<Pick<DevicesModule, 'answerIfRinging'>>;
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
      session.finish(session.stopReason ?? 'error', failure.message);
      throw failure;
    }

    session.state = 'talking';
    session.talkingSince = new Date();
    this.deps.bus.emit('talk.started', session.startedEvent());
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
    if (method === 'auto' && device.kind === 'doorbell') {
      const callAudio = await this.sipCallAudio(device);
      if (callAudio) return this.prepareSipCall(session, callAudio, input);
    }
    const timing = this.timingOf(session);
    const client = await deviceClient(this.deps.devices.supervisor, device);
    let channels: TwoWayAudioChannel[];
    try {
      channels = await listTalkChannels(client, device, timing);
    } catch (error) {
      // No ISAPI two-way audio at all: the ONVIF backchannel may still reach the speaker.
      if (method === 'auto' && error instanceof TalkUnsupportedError) {
        return this.prepareBackchannel(session, device, channel, input, true);
      }
      throw error;
    }
    session.method = 'isapi';
    const audio = pickTalkChannel(device, channels, session.audioChannel, explicitChannel);
    if (audio.id !== session.audioChannel) this.reclaimSpeaker(session, device, audio.id);
    const codec = talkCodecOf(device, audio);
    session.codec = codec;
    timing.signal.throwIfAborted();

    session.transcoder = new G711Transcoder({ ffmpegPath: this.settings.ffmpegPath, codec, input });
    // Before the device is touched: a source that is not audio must not cut off anyone talking.
    await session.transcoder.firstAudio(this.settings.startTimeoutMs, timing.signal);
    // A ringing doorbell keeps its speaker for the ring: talking to the visitor picks up the call.
    // If that fails, opening the speaker says why (busy) in the talk module's own words.
    if (device.kind === 'doorbell') {
      await this.deps.devices
        .answerIfRinging?.(device.id)
        .catch((error) =>
          this.deps.logger.warn({ err: error, deviceId: device.id }, 'could not pick up the ring'),
        );
    }
    timing.signal.throwIfAborted();
    try {
      session.link = await openIsapiLink(client, audio.id, timing);
    } catch (error) {
      // Firmware that lists a talk channel and then answers notSupport to open it (the link
      // has closed whatever it half-opened).
      if (method === 'auto' && isNotSupported(error)) {
        return this.prepareBackchannel(session, device, channel, input, true);
      }
      throw error;
    }
    timing.signal.throwIfAborted();
  }

  /**
   * A doorbell in a SIP call with us wants our voice as RTP in that call: a ringing SIP call is
   * picked up first. Undefined when the doorbell has no SIP call (ISAPI it is, then).
   */
  private async sipCallAudio(device: DeviceRecord): Promise<DoorbellCallAudio | undefined> {
    const { bus } = this.deps;
    let state: string | undefined;
    bus.emit('doorbell.call.query', { deviceId: device.id, answer: (value) => (state = value) });
    if (state === undefined) return undefined;
    if (state === 'ringing') await this.deps.devices.answerIfRinging?.(device.id);
    let audio: DoorbellCallAudio | undefined;
    bus.emit('doorbell.call.audio', { deviceId: device.id, answer: (value) => (audio = value) });
    return audio;
  }

  private async prepareSipCall(
    session: Session,
    audio: DoorbellCallAudio,
    input: TranscodeInput,
  ): Promise<void> {
    const timing = this.timingOf(session);
    session.method = 'sip';
    session.codec = audio.codec;
    session.transcoder = new G711Transcoder({
      ffmpegPath: this.settings.ffmpegPath,
      codec: audio.codec,
      input,
    });
    await session.transcoder.firstAudio(this.settings.startTimeoutMs, timing.signal);
    session.link = audio;
    timing.signal.throwIfAborted();
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
    const timing = this.timingOf(session);
    session.method = 'onvif';
    const link = await describeBackchannel(device, channel, timing, fallback);
    session.link = link;
    timing.signal.throwIfAborted();
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
      await session.transcoder.firstAudio(this.settings.startTimeoutMs, timing.signal);
    }
    await playBackchannel(device, link, timing.signal);
    timing.signal.throwIfAborted();
  }

  private timingOf(session: Session): LinkTiming {
    return { timeoutMs: this.settings.requestTimeoutMs, signal: session.signal };
  }

  /** The paced upload until something ends it; then the device session is closed and ffmpeg killed. */
  private async run(session: Session): Promise<void> {
    const { reason, error, stats } = await session.talk(this.settings.maxGapMs);
    session.state = 'stopping';
    await this.teardown(session);
    this.unregister(session);
    const ended = session.finish(reason, error);
    const fields = {
      sessionId: session.id,
      deviceId: session.deviceId,
      method: session.method,
      reason,
      durationMs: ended.durationMs,
      bytesSent: session.bytesSent,
      silenceFrames: stats.silenceFrames,
      resyncs: stats.resyncs,
      dropped: session.transcoder!.queue.dropped,
    };
    if (error) this.deps.logger.warn({ ...fields, error }, 'talk session failed');
    else this.deps.logger.info(fields, 'talk session ended');
    this.deps.bus.emit('talk.ended', ended);
  }

  /** Closes the device session (if opened) and kills ffmpeg (if started). Never throws. */
  private async teardown(session: Session): Promise<void> {
    const closeError = await session.close();
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
      try {
        // The one policy for user-given URLs: length, no control characters, user info only for its own origin.
        checkUserUrl(source.url, URL_RULES.talkSource);
      } catch (error) {
        if (error instanceof UrlPolicyError)
          throw new InputError(`source.url: ${error.message}`, 'source.url');
        throw error;
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

  /** The session moves to the device's real channel: claimed again synchronously, like the first claim. */
  private reclaimSpeaker(session: Session, device: DeviceRecord, audioChannel: number): void {
    this.unregister(session);
    session.audioChannel = audioChannel;
    this.assertSpeakerFree(device, audioChannel);
    this.register(session);
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
