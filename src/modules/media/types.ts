/** What the media module hands out: its state and the stream URLs of a channel. */
import type { Config } from '../../core/config/index.ts';
import type { StreamUrls } from './urls.ts';

export type MediaSettings = Config['media'];

export type MediaState =
  | 'disabled'
  | 'provisioning'
  | 'starting'
  | 'running'
  | 'restarting'
  | 'failed'
  | 'external'
  | 'file';

export interface MediaStatus {
  enabled: boolean;
  mode: MediaSettings['mode'];
  state: MediaState;
  version: string;
  binary: string | null;
  restarts: number;
  lastError: string | null;
  paths: number;
}

export interface StreamView {
  id: string;
  streamNo: number;
  name: string;
  path: string;
  codec: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  /** False for codecs most browsers cannot decode over WebRTC (H.265). */
  browserPlayable: boolean;
  /** The stream the UI and API pick when none is asked for. */
  default: boolean;
  note: string | null;
  urls: StreamUrls;
}

export interface TalkPath {
  path: string;
  /** WHIP endpoint the browser publishes its microphone to (includes a publish grant). */
  whipUrl: string;
  /** Where hikbridge itself reads the published audio (internal credentials; never shown). */
  readUrl: string;
}
