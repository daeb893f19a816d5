/**
 * A live video tile's player: WebRTC over WHEP straight from MediaMTX (sub-second start), HLS
 * (hls.js, or the browser's own) when WebRTC fails, a snapshot as the poster while connecting,
 * and its state in words. The stream URLs carry a short-lived viewer token from the API.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText, type LiveStream } from '../api.ts';

export type PlayerState =
  | { kind: 'connecting' }
  | { kind: 'live'; via: 'webrtc' | 'hls' }
  | { kind: 'offline'; reason: string };

export interface PlayerProps {
  channelId: string;
  /** `sub` (wall tiles) or `main` (an opened tile); falls back to what the channel has. */
  prefer: 'sub' | 'main';
  /** A stream name chosen by the user (e.g. the sub stream on an H.265 camera). */
  streamName?: string | undefined;
  label: string;
  muted?: boolean;
  onState?: (state: PlayerState, stream: LiveStream | undefined) => void;
}

const WHEP_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 15_000;

export function Player({ channelId, prefer, streamName, label, muted = true, onState }: PlayerProps) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>({ kind: 'connecting' });
  const [stream, setStream] = useState<LiveStream>();

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    const session = new PlaybackSession(element, (next, chosen) => {
      setState(next);
      setStream(chosen);
      onState?.(next, chosen);
    });
    session.start(channelId, prefer, streamName);
    return () => session.close();
  }, [channelId, prefer, streamName]);

  return (
    <div class="player" data-state={state.kind}>
      <video
        ref={video}
        muted={muted}
        playsInline
        autoplay
        poster={`/api/v1/channels/${encodeURIComponent(channelId)}/snapshot.jpg?width=640`}
        aria-label={`Live video: ${label}`}
        data-stream={stream?.name}
      />
      {state.kind !== 'live' && (
        <p class={`player-status ${state.kind}`} role="status">
          {state.kind === 'connecting' ? 'Connecting…' : state.reason}
        </p>
      )}
    </div>
  );
}

/** The stream to show: the preferred kind when the browser can play it, else any playable one. */
export function chooseStream(
  streams: LiveStream[],
  prefer: 'sub' | 'main',
  name?: string,
): LiveStream | undefined {
  if (name) return streams.find((s) => s.name === name);
  const playable = streams.filter((s) => s.browserPlayable);
  const isMain = (s: LiveStream) => s.name === 'main';
  const preferred = playable.filter((s) => (prefer === 'main' ? isMain(s) : !isMain(s)));
  return preferred[0] ?? playable.find((s) => s.default) ?? playable[0] ?? streams[0];
}

class PlaybackSession {
  private closed = false;
  private pc: RTCPeerConnection | undefined;
  private whepSession: string | undefined;
  private hls: { destroy(): void } | undefined;
  private timer: number | undefined;
  private stream: LiveStream | undefined;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly report: (state: PlayerState, stream: LiveStream | undefined) => void,
  ) {}

  async start(channelId: string, prefer: 'sub' | 'main', name: string | undefined): Promise<void> {
    this.report({ kind: 'connecting' }, undefined);
    let streams: LiveStream[];
    try {
      streams = await api<LiveStream[]>('GET', `/api/v1/channels/${encodeURIComponent(channelId)}/streams`);
    } catch (error) {
      return this.fail(errorText(error));
    }
    if (this.closed) return;
    const stream = chooseStream(streams, prefer, name);
    this.stream = stream;
    if (!stream)
      return this.fail('This camera has no live stream (switched off, or MediaMTX is not running).');
    if (!stream.browserPlayable) {
      return this.fail(
        `The ${stream.name} stream is ${stream.codec ?? 'in a codec'} browsers may not play; choose another stream or let the doctor fix it.`,
      );
    }
    this.video.addEventListener('playing', this.onPlaying);
    this.timer = window.setTimeout(
      () => this.fail('No video arrived in 15 s: the camera may be offline.'),
      CONNECT_TIMEOUT_MS,
    );
    try {
      await this.playWebRtc(stream.urls.whep);
    } catch (error) {
      if (this.closed) return;
      console.info(`WebRTC failed for ${channelId} (${errorText(error)}); trying HLS`);
      await this.playHls(stream.urls.hls).catch((hlsError: unknown) => this.fail(errorText(hlsError)));
    }
  }

  private readonly onPlaying = () => {
    if (this.closed) return;
    window.clearTimeout(this.timer);
    this.report({ kind: 'live', via: this.pc ? 'webrtc' : 'hls' }, this.stream);
  };

  private async playWebRtc(whepUrl: string): Promise<void> {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const media = new MediaStream();
    pc.ontrack = (event) => {
      media.addTrack(event.track);
      if (this.video.srcObject !== media) this.video.srcObject = media;
    };
    const failed = new Promise<never>((_resolve, reject) => {
      pc.onconnectionstatechange = () => {
        if (pc.connectionState === 'failed') reject(new Error('the WebRTC connection failed'));
      };
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc);
    const response = await fetch(whepUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp' },
      body: pc.localDescription?.sdp ?? '',
      signal: AbortSignal.timeout(WHEP_TIMEOUT_MS),
    });
    if (response.status !== 201) throw new Error(`MediaMTX answered ${response.status} to WHEP`);
    const location = response.headers.get('location');
    if (location) this.whepSession = new URL(location, whepUrl).href;
    if (this.closed) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
    void failed.catch((error: Error) => {
      if (!this.closed && this.video.readyState < 2) this.fallBackToHls(error);
    });
  }

  private fallBackToHls(error: Error): void {
    if (!this.stream) return;
    console.info(`WebRTC stopped (${error.message}); trying HLS`);
    this.closeWebRtc();
    this.playHls(this.stream.urls.hls).catch((hlsError: unknown) => this.fail(errorText(hlsError)));
  }

  private async playHls(url: string): Promise<void> {
    if (this.video.canPlayType('application/vnd.apple.mpegurl')) {
      this.video.src = url;
      return;
    }
    const { default: Hls } = await import('hls.js');
    if (this.closed) return;
    if (!Hls.isSupported()) throw new Error('This browser plays neither WebRTC nor HLS.');
    const hls = new Hls({ lowLatencyMode: true, liveSyncDurationCount: 1 });
    this.hls = hls;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) this.fail(`The HLS stream stopped (${data.details}).`);
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  private fail(reason: string): void {
    if (this.closed) return;
    window.clearTimeout(this.timer);
    this.report({ kind: 'offline', reason }, this.stream);
  }

  private closeWebRtc(): void {
    const session = this.whepSession;
    this.whepSession = undefined;
    // Tells MediaMTX at once that this viewer left (else it notices after a timeout).
    if (session) fetch(session, { method: 'DELETE' }).catch(() => {});
    this.pc?.close();
    this.pc = undefined;
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.timer);
    this.video.removeEventListener('playing', this.onPlaying);
    this.closeWebRtc();
    this.hls?.destroy();
    this.video.srcObject = null;
    this.video.removeAttribute('src');
  }
}

/** Waits until the offer holds its ICE candidates (host candidates: milliseconds; capped). */
function iceGathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = window.setTimeout(done, 2000);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
