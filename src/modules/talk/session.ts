/**
 * One talk session: who it talks to, what it has opened (ffmpeg, the link to the speaker), the
 * paced upload that runs until something ends it, and the records the bus hears about it.
 *
 * The module decides when a session starts and ends and keeps the one-session-per-speaker
 * rule; the session only knows itself.
 */
import { randomUUID } from 'node:crypto';
import type { TalkEndReason, TalkSessionEvent } from '../../core/bus.ts';
import {
  type G711Codec,
  newPaceStats,
  type PaceStats,
  paceG711,
} from '../../protocols/isapi/two-way-audio.ts';
import { TalkCancelledError } from './errors.ts';
import type { G711Transcoder } from './ffmpeg.ts';
import { messageOf, type SpeakerLink } from './links.ts';
import type { TalkEnded, TalkMethod, TalkSessionInfo, TalkState } from './types.ts';

/** What ended the paced upload, and what went wrong when it failed. */
export interface TalkOutcome {
  reason: TalkEndReason;
  error: string | null;
  stats: PaceStats;
}

/** The key of a device's speaker: one session at a time may talk on it. */
export function speakerKey(deviceId: string, audioChannel: number): string {
  return `${deviceId}#${audioChannel}`;
}

export class Session {
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
  link: SpeakerLink | undefined;
  /** Settles (never rejects) once finish() is called. */
  readonly ended: Promise<TalkEnded>;
  private resolveEnded!: (ended: TalkEnded) => void;

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

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Ends the session (the first reason given is the one reported). */
  stop(reason: TalkEndReason): void {
    this.stopReason ??= reason;
    this.controller.abort(new TalkCancelledError());
  }

  /**
   * Sends ffmpeg's audio to the speaker on a 20 ms schedule until the source, the device,
   * stop() or the time limit ends it. Needs the transcoder and the link; never throws.
   */
  async talk(maxGapMs: number): Promise<TalkOutcome> {
    const transcoder = this.transcoder!;
    const limit = setTimeout(() => this.stop('max-duration'), this.maxDurationMs);
    const stats = newPaceStats();
    try {
      const frames = paceG711(transcoder.queue, {
        codec: this.codec!,
        signal: this.signal,
        maxGapMs,
        stats,
      });
      const end = await this.link!.send(frames, {
        signal: this.signal,
        onSent: (bytes) => {
          this.bytesSent += bytes;
        },
      });
      if (end === 'aborted') return { reason: this.stopReason ?? 'stopped', error: null, stats };
      if (end === 'device-ended') return { reason: 'device-ended', error: null, stats };
      if (stats.starved) return { reason: 'source-stalled', error: null, stats };
      const failure = await transcoder.failure();
      return { reason: failure ? 'error' : 'input-ended', error: failure?.message ?? null, stats };
    } catch (failure) {
      const error = this.stopReason ? null : messageOf(failure);
      return { reason: this.stopReason ?? 'error', error, stats };
    } finally {
      clearTimeout(limit);
    }
  }

  /** Closes the link (if opened) and kills ffmpeg (if started). Never throws: returns what the device side failed with. */
  async close(): Promise<Error | undefined> {
    const [closeError] = await Promise.all([this.link?.close(), this.transcoder?.kill()]);
    return closeError;
  }

  /** Settles `ended` with the final record, and returns it. */
  finish(reason: TalkEndReason, error: string | null): TalkEnded {
    const ended: TalkEnded = {
      ...this.startedEvent(),
      reason,
      error,
      durationMs: this.talkingSince ? Date.now() - this.talkingSince.getTime() : 0,
      bytesSent: this.bytesSent,
    };
    this.resolveEnded(ended);
    return ended;
  }

  startedEvent(): TalkSessionEvent {
    return {
      sessionId: this.id,
      deviceId: this.deviceId,
      channelId: this.channelId,
      audioChannel: this.audioChannel,
      codec: this.codec ?? 'mulaw',
      startedAt: this.startedAt.toISOString(),
    };
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
