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
  /**
   * Show a snapshot while connecting. Off for a device known to be unreachable: its picture
   * request would only fail (and log an error in the console).
   */
  poster?: boolean;
  onState?: (state: PlayerState, stream: LiveStream | undefined) => void;
}

const WHEP_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 15_000;
/**
 * The snapshot poster is asked for only when video is this late: on a wall that starts in time
 * it would cost every camera a picture for nothing, and its requests would queue before the
 * stream-URL requests (a browser opens six connections per host).
 */
const POSTER_AFTER_MS = 800;

export function Player({
  channelId,
  prefer,
  streamName,
  label,
  muted = true,
  poster = true,
  onState,
}: PlayerProps) {
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<PlayerState>({ kind: 'connecting' });
  const [stream, setStream] = useState<LiveStream>();
  const [choice, setChoice] = useState<StreamChoice>();
  const [tried, setTried] = useState<string>();
  const [late, setLate] = useState(false);
  const chosenName = tried ?? streamName;

  useEffect(() => {
    setLate(false);
    const timer = window.setTimeout(() => setLate(true), POSTER_AFTER_MS);
    return () => window.clearTimeout(timer);
  }, [channelId, chosenName]);

  useEffect(() => {
    const element = video.current;
    if (!element) return;
    const session = new PlaybackSession(element, (next, chosen, why) => {
      setState(next);
      setStream(chosen);
      if (why) setChoice(why);
      onState?.(next, chosen);
    });
    session.start(channelId, prefer, chosenName);
    return () => session.close();
  }, [channelId, prefer, chosenName]);

  return (
    <div class="player" data-state={state.kind}>
      <video
        ref={video}
        muted={muted}
        playsInline
        autoplay
        poster={
          poster && late && state.kind !== 'live'
            ? `/api/v1/channels/${encodeURIComponent(channelId)}/snapshot.jpg?width=640`
            : undefined
        }
        aria-label={`Live video: ${label}`}
        data-stream={stream?.name}
      />
      {state.kind !== 'live' && (
        <p class={`player-status ${state.kind}`} role="status">
          {state.kind === 'connecting' ? 'Connecting…' : state.reason}
        </p>
      )}
      {choice?.note && !tried && (
        <p class="player-note">
          {choice.note}{' '}
          <button type="button" class="small secondary" onClick={() => setTried(choice.passedOver?.name)}>
            Try the {choice.passedOver?.name} stream anyway
          </button>
        </p>
      )}
    </div>
  );
}

export interface StreamChoice {
  stream: LiveStream | undefined;
  /** Why the preferred stream is not the one shown (H.265 in a browser), in words. */
  note?: string;
  /** The stream passed over, which the user may still try. */
  passedOver?: LiveStream;
}

/**
 * The stream to show: the one the user named (played even when flagged, since they asked), else
 * the preferred kind when browsers play it, else a playable one with a note saying why.
 */
export function chooseStream(streams: LiveStream[], prefer: 'sub' | 'main', name?: string): StreamChoice {
  if (name) return { stream: streams.find((s) => s.name === name) };
  const isMain = (s: LiveStream) => s.name === 'main';
  const wanted = streams.filter((s) => (prefer === 'main' ? isMain(s) : !isMain(s)));
  const playable = streams.filter((s) => s.browserPlayable);
  const best = wanted.find((s) => s.browserPlayable);
  if (best) return { stream: best };
  const fallback = playable.find((s) => s.default) ?? playable[0];
  const passedOver = wanted[0];
  if (fallback && passedOver) {
    return {
      stream: fallback,
      passedOver,
      note: `The ${passedOver.name} stream is ${passedOver.codec ?? 'in a codec'}, which browsers may not play; showing the ${fallback.name} stream.`,
    };
  }
  return { stream: fallback ?? passedOver ?? streams[0] };
}

class PlaybackSession {
  private closed = false;
  private pc: RTCPeerConnection | undefined;
  private whepSession: string | undefined;
  private hls: { destroy(): void } | undefined;
  private timer: number | undefined;
  private stream: LiveStream | undefined;
  private choice: StreamChoice | undefined;
  private readonly startedAt = performance.now();
  private channelId = '';

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly report: (
      state: PlayerState,
      stream: LiveStream | undefined,
      choice?: StreamChoice,
    ) => void,
  ) {}

  async start(channelId: string, prefer: 'sub' | 'main', name: string | undefined): Promise<void> {
    this.channelId = channelId;
    this.report({ kind: 'connecting' }, undefined);
    let streams: LiveStream[];
    try {
      streams = await api<LiveStream[]>('GET', `/api/v1/channels/${encodeURIComponent(channelId)}/streams`);
      this.measure('stream-urls', this.startedAt);
    } catch (error) {
      return this.fail(errorText(error));
    }
    if (this.closed) return;
    const choice = chooseStream(streams, prefer, name);
    const stream = choice.stream;
    this.stream = stream;
    this.choice = choice;
    if (!stream) {
      return this.fail('This camera has no live stream (switched off, or MediaMTX is not running).');
    }
    this.report({ kind: 'connecting' }, stream, choice);
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
      this.closeWebRtc();
      await this.playHls(stream.urls.hls).catch((hlsError: unknown) => this.fail(errorText(hlsError)));
    }
  }

  private readonly onPlaying = () => {
    if (this.closed) return;
    this.measure('first-frame', this.startedAt);
    window.clearTimeout(this.timer);
    this.report({ kind: 'live', via: this.pc ? 'webrtc' : 'hls' }, this.stream, this.choice);
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
    const gatheringStarted = performance.now();
    await iceGathered(pc);
    this.measure('ice-gathering', gatheringStarted);
    const negotiationStarted = performance.now();
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
    this.measure('whep-negotiation', negotiationStarted);
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

  /**
   * hls.js wherever Media Source Extensions exist: MediaMTX's low-latency playlists use gap
   * segments that Chromium's own new HLS player fetches and fails on. The browser's own player
   * only where hls.js cannot run (iPhone Safari before iOS 17.1), which plays them.
   */
  private async playHls(url: string): Promise<void> {
    const { default: Hls } = await import('hls.js');
    if (this.closed) return;
    if (!Hls.isSupported()) {
      if (!this.video.canPlayType('application/vnd.apple.mpegurl')) {
        throw new Error('This browser plays neither WebRTC nor HLS.');
      }
      this.video.src = url;
      return;
    }
    const hls = new Hls({ lowLatencyMode: true, liveSyncDurationCount: 1 });
    this.hls = hls;
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal) this.fail(`The HLS stream stopped (${data.details}).`);
    });
    hls.loadSource(url);
    hls.attachMedia(this.video);
  }

  /** A performance entry (`first-frame <channel>`...): what the UI adds, readable by tests and devtools. */
  private measure(what: string, since: number): void {
    performance.measure(`${what} ${this.channelId}`, { start: since, end: performance.now() });
  }

  private fail(reason: string): void {
    if (this.closed) return;
    window.clearTimeout(this.timer);
    const flagged = this.stream && !this.stream.browserPlayable;
    const why = flagged
      ? `${reason} The ${this.stream?.name} stream is ${this.stream?.codec ?? 'in a codec'}, which this browser may not play.`
      : reason;
    this.report({ kind: 'offline', reason: why }, this.stream, this.choice);
  }

  private closeWebRtc(): void {
    const session = this.whepSession;
    this.whepSession = undefined;
    const pc = this.pc;
    this.pc = undefined;
    if (!session) {
      pc?.close();
      return;
    }
    // Tells MediaMTX at once that this viewer left (else it notices after a timeout). The
    // connection closes once MediaMTX has answered: closed first, MediaMTX may drop the session
    // by itself before the DELETE arrives, which then fails with a 404 in the console.
    fetch(session, { method: 'DELETE' })
      .catch(() => {})
      .finally(() => pc?.close());
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
