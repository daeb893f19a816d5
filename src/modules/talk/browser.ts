/**
 * Two-way audio from a browser: the API hands the browser a WHIP URL on a MediaMTX path of its
 * own; once the microphone is published there, the talk module reads it and speaks through the
 * device. The media module gives the path; the talk module's sessions do the device side.
 */
import { randomUUID } from 'node:crypto';
import { AppError, NotFoundError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';
import { g711CodecOf } from '../../protocols/isapi/two-way-audio.ts';
import { TalkCodecError, TalkUnsupportedError, TalkViaNvrError } from './errors.ts';

type TalkMethod = 'auto' | 'isapi' | 'onvif';

/** The media module's talk paths: a WHIP endpoint per session, read back over RTSP. */
export interface TalkPaths {
  openTalkPath(
    sessionId: string,
    requestHost: string,
  ): Promise<{ path: string; whipUrl: string; readUrl: string }>;
  waitForPublisher(path: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  closeTalkPath(sessionId: string): Promise<void>;
}

/** The device side: the talk module's sessions. */
interface DeviceTalk {
  startSession(request: {
    deviceId: string;
    channelId: string;
    source: { url: string };
    maxDurationSeconds: number;
    signal: AbortSignal;
    method?: TalkMethod;
  }): Promise<{ sessionId: string; codec: string; ended: Promise<{ error: string | null }> }>;
  stopSession(sessionId: string): Promise<unknown>;
}

export interface BrowserTalkView {
  id: string;
  deviceId: string;
  channelId: string;
  state: 'waiting' | 'talking' | 'ended';
  whipUrl: string;
  /** The device's G.711 flavour when known before talking (ISAPI); null until then. */
  codec: string | null;
  error: string | null;
}

interface BrowserTalk {
  view: BrowserTalkView;
  sessionId: string | undefined;
  abort: AbortController;
}

/** At most this many browser sessions wait or talk at once; each holds a MediaMTX path. */
const MAX_BROWSER_SESSIONS = 16;
/** Ended sessions stay visible this long, so the page can read why its session ended. */
const KEEP_ENDED_MS = 60_000;

export class BrowserTalkSessions {
  private readonly sessions = new Map<string, BrowserTalk>();

  constructor(
    private readonly deps: {
      /** Absent when live video is off: browser sessions are refused then. */
      media?: TalkPaths;
      talk: DeviceTalk;
      logger: Logger;
      waitMs: number;
      maxDurationSeconds: number;
      defaultMethod: TalkMethod;
    },
  ) {}

  /**
   * Refuses at once what the device cannot do, before a browser opens its microphone. Without
   * ISAPI two-way audio the talk module may still find an ONVIF backchannel, so only a known
   * non-G.711 ISAPI codec with `method: isapi` is refused here.
   */
  static check(device: DeviceRecord, channel: ChannelRecord, method: TalkMethod): string | null {
    if (device.kind === 'nvr' || device.kind === 'dvr' || channel.source === 'proxy') {
      throw new TalkViaNvrError(device.name);
    }
    if (!device.twoWayAudio) {
      if (method === 'isapi') throw new TalkUnsupportedError(device.name);
      return null;
    }
    const codec = g711CodecOf(device.twoWayAudio.codec);
    if (!codec && method === 'isapi') throw new TalkCodecError(device.name, device.twoWayAudio.codec);
    return codec ?? null;
  }

  async open(
    device: DeviceRecord,
    channel: ChannelRecord,
    requestHost: string,
    method?: TalkMethod,
  ): Promise<BrowserTalkView> {
    const codec = BrowserTalkSessions.check(device, channel, method ?? this.deps.defaultMethod);
    const active = [...this.sessions.values()].filter((each) => each.view.state !== 'ended');
    if (active.length >= MAX_BROWSER_SESSIONS) {
      throw new AppError('talk_limit', 503, 'Too many browser talk sessions are open; close one first.');
    }
    if (active.some((each) => each.view.deviceId === device.id)) {
      throw new AppError('conflict', 409, `Someone is already talking through "${device.name}".`);
    }
    const media = this.deps.media;
    if (!media) {
      throw new AppError('talk_unavailable', 503, 'Talking from a browser needs live video (media.enabled).');
    }
    const id = randomUUID();
    const path = await media.openTalkPath(id, requestHost);
    const entry: BrowserTalk = {
      view: {
        id,
        deviceId: device.id,
        channelId: channel.id,
        state: 'waiting',
        whipUrl: path.whipUrl,
        codec,
        error: null,
      },
      sessionId: undefined,
      abort: new AbortController(),
    };
    this.sessions.set(id, entry);
    void this.run(entry, path.path, path.readUrl, method);
    return { ...entry.view };
  }

  /** Whether a talk-module session belongs to a browser session (listed once, as that). */
  ownsSession(sessionId: string): boolean {
    return [...this.sessions.values()].some((each) => each.sessionId === sessionId);
  }

  list(): BrowserTalkView[] {
    return [...this.sessions.values()].map((each) => ({ ...each.view }));
  }

  /** Ends a browser session: stops the device session, closes the path. */
  async close(id: string): Promise<BrowserTalkView> {
    const entry = this.sessions.get(id);
    if (!entry) throw new NotFoundError('talk session', id);
    entry.abort.abort();
    if (entry.sessionId) await this.deps.talk.stopSession(entry.sessionId).catch(() => undefined);
    await this.finish(entry, null);
    return { ...entry.view };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id).catch(() => undefined)));
  }

  private async run(entry: BrowserTalk, path: string, readUrl: string, method?: TalkMethod): Promise<void> {
    const { talk, logger } = this.deps;
    const media = this.deps.media!;
    try {
      const published = await media.waitForPublisher(path, this.deps.waitMs, entry.abort.signal);
      if (entry.abort.signal.aborted) return;
      if (!published) {
        throw new AppError(
          'talk_no_microphone',
          408,
          'No microphone audio arrived from the browser in time.',
        );
      }
      const started = await talk.startSession({
        deviceId: entry.view.deviceId,
        channelId: entry.view.channelId,
        source: { url: readUrl },
        maxDurationSeconds: this.deps.maxDurationSeconds,
        signal: entry.abort.signal,
        ...(method ? { method } : {}),
      });
      entry.sessionId = started.sessionId;
      entry.view.codec = started.codec;
      entry.view.state = 'talking';
      const ended = await started.ended;
      await this.finish(entry, ended.error ?? null);
    } catch (error) {
      if (!entry.abort.signal.aborted)
        logger.warn({ err: error, talkId: entry.view.id }, 'browser talk failed');
      await this.finish(entry, (error as Error).message);
    }
  }

  private async finish(entry: BrowserTalk, error: string | null): Promise<void> {
    if (entry.view.state === 'ended') return;
    entry.view.state = 'ended';
    entry.view.error = error;
    entry.abort.abort();
    await this.deps.media?.closeTalkPath(entry.view.id).catch(() => undefined);
    setTimeout(() => this.sessions.delete(entry.view.id), KEEP_ENDED_MS).unref();
  }
}
