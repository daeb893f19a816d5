/** The talk module's public types: settings, requests, sessions. */
import type { Readable } from 'node:stream';
import type { TalkEndedEvent } from '../../core/bus.ts';
import type { Config } from '../../core/config/index.ts';
import type { G711Codec } from '../../protocols/isapi/two-way-audio.ts';

/** How audio reaches the speaker: ISAPI two-way audio, or the ONVIF RTSP backchannel. */
/** How the voice reaches the speaker; `sip` = inside a doorbell's SIP call (picked by `auto` only). */
export type TalkMethod = 'isapi' | 'onvif' | 'sip';
/** `auto`: ISAPI, and the ONVIF backchannel when the device has no ISAPI two-way audio. */
export type TalkMethodChoice = 'auto' | 'isapi' | 'onvif';

/**
 * The `talk` section of the configuration, plus the ffmpeg program (`media.ffmpeg`) and the
 * time limit of one device request (`devices.requestTimeoutMs`).
 */
export type TalkSettings = Config['talk'] & { ffmpegPath: string; requestTimeoutMs: number };

/** A URL ffmpeg reads (e.g. the RTSP URL of a MediaMTX path a browser publishes its microphone to). */
export interface TalkUrlSource {
  url: string;
}

/** Bytes of any format ffmpeg knows (WAV, MP3, Ogg...), e.g. an HTTP request body. The session owns the stream. */
export interface TalkStreamSource {
  stream: Readable;
  /** ffmpeg input format (`wav`, `mp3`, `ogg`...) when probing cannot tell. */
  format?: string;
}

export type TalkSource = TalkUrlSource | TalkStreamSource;

export interface TalkRequest {
  deviceId: string;
  /** The camera channel (store id) talked through; an NVR channel is refused. */
  channelId?: string;
  /** The device's two-way audio channel number (default: the one found when the device was added). */
  audioChannel?: number;
  source: TalkSource;
  /** Shorter than the configured limit, if wanted. */
  maxDurationSeconds?: number;
  /** Stops the session when aborted (e.g. the HTTP client went away). */
  signal?: AbortSignal;
  /** `isapi`, `onvif` (RTSP backchannel), or `auto` (ISAPI, else ONVIF); default: the setting. */
  method?: TalkMethodChoice;
}

export type TalkState = 'starting' | 'talking' | 'stopping';

export interface TalkSessionInfo {
  sessionId: string;
  deviceId: string;
  channelId: string | null;
  audioChannel: number;
  /** The G.711 flavour sent; null until the device has told its codec. */
  codec: G711Codec | null;
  /** How audio reaches the speaker; null while `auto` has not decided yet. */
  method: TalkMethod | null;
  state: TalkState;
  source: 'url' | 'stream';
  /** ISO: when start() was called. */
  startedAt: string;
  /** ISO: when audio started flowing to the device. */
  talkingSince: string | null;
  bytesSent: number;
  maxDurationMs: number;
}

export interface TalkStarted extends TalkSessionInfo {
  codec: G711Codec;
  method: TalkMethod;
  /** Settles (never rejects) when the session is over and the device session closed. */
  ended: Promise<TalkEnded>;
}

export type TalkEnded = TalkEndedEvent;
