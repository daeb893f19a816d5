/**
 * The MediaMTX configuration model hikbridge writes: the global part (ports, API, auth hook)
 * and the per-path part (where each stream comes from). Pure data in, plain objects out; the
 * same objects go to the control API and, in file mode, into mediamtx.yml.
 */

/** The subset of MediaMTX path settings hikbridge manages. Keys are MediaMTX's own. */
export interface PathConfig {
  source?: string;
  sourceOnDemand?: boolean;
  sourceOnDemandStartTimeout?: string;
  sourceOnDemandCloseAfter?: string;
  rtspTransport?: 'tcp' | 'udp' | 'multicast' | 'automatic';
  maxReaders?: number;
}

export interface BaseConfigOptions {
  apiAddress: string;
  rtspAddress: string;
  webrtcAddress: string;
  webrtcUdpAddress: string;
  hlsAddress: string;
  /**
   * Every request is authorized by this URL (hikbridge's own endpoint): reads, publishes and the
   * control API alike.
   */
  authHttpAddress: string;
  /** Extra hosts/IPs announced in WebRTC ICE candidates (NAT, Docker). */
  webrtcAdditionalHosts?: string[] | undefined;
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  readTimeoutSeconds?: number;
}

/**
 * Global settings. Everything hikbridge does not use is turned off so it neither takes a port
 * nor surprises anyone (RTMP, SRT, MoQ, playback, metrics, pprof). The hook at
 * `authHttpAddress` decides every request, the control API's included.
 */
export function buildBaseConfig(options: BaseConfigOptions): Record<string, unknown> {
  return {
    logLevel: options.logLevel ?? 'info',
    logDestinations: ['stdout'],
    readTimeout: `${options.readTimeoutSeconds ?? 10}s`,
    writeTimeout: `${options.readTimeoutSeconds ?? 10}s`,
    authMethod: 'http',
    authHTTPAddress: options.authHttpAddress,
    // Nothing is excluded: the control API shows every camera's source URL with its password and
    // can change paths, so even a local process must present the gateway's API credentials.
    authHTTPExclude: [],
    api: true,
    apiAddress: options.apiAddress,
    metrics: false,
    pprof: false,
    playback: false,
    rtsp: true,
    rtspAddress: options.rtspAddress,
    // TCP only: cameras on real networks lose UDP packets, and it needs no extra ports.
    rtspTransports: ['tcp'],
    rtmp: false,
    hls: true,
    hlsAddress: options.hlsAddress,
    webrtc: true,
    webrtcAddress: options.webrtcAddress,
    webrtcLocalUDPAddress: options.webrtcUdpAddress,
    webrtcAdditionalHosts: options.webrtcAdditionalHosts ?? [],
    srt: false,
    moq: false,
    paths: {},
  };
}

export interface CameraPathOptions {
  /** The camera's RTSP URL including credentials. */
  source: string;
  rtspTransport: 'tcp' | 'udp' | 'automatic';
  startTimeoutSeconds: number;
  closeAfterSeconds: number;
  /** Pull the stream all the time (a kept-warm tile), not only while someone watches. */
  alwaysOn?: boolean;
}

/** A relay of one camera stream: MediaMTX connects only while someone watches, unless always on. */
export function cameraPath(options: CameraPathOptions): PathConfig {
  return {
    source: options.source,
    sourceOnDemand: !options.alwaysOn,
    sourceOnDemandStartTimeout: `${options.startTimeoutSeconds}s`,
    sourceOnDemandCloseAfter: `${options.closeAfterSeconds}s`,
    rtspTransport: options.rtspTransport,
  };
}

export interface RtmpPathOptions {
  /** An RTMP(S) URL whose last segment is the stream name, maybe with a query (cloud live URLs). */
  source: string;
  startTimeoutSeconds: number;
  closeAfterSeconds: number;
}

/** An on-demand relay of an RTMP stream (a cloud camera's live URL). */
export function rtmpPath(options: RtmpPathOptions): PathConfig {
  return {
    source: rtmpStreamKeySource(options.source),
    sourceOnDemand: true,
    sourceOnDemandStartTimeout: `${options.startTimeoutSeconds}s`,
    sourceOnDemandCloseAfter: `${options.closeAfterSeconds}s`,
  };
}

/**
 * MediaMTX 1.20+ takes the RTMP stream key from what follows `#`; without it, a URL with a query
 * (`.../openlive/SN_1_2?expire=…`) would not reach the stream. `rtmp://host/app/KEY?q` becomes
 * `rtmp://host/app#KEY?q`, which is what the origin receives as app `app` and key `KEY?q`.
 */
export function rtmpStreamKeySource(url: string): string {
  if (url.includes('#')) return url;
  const queryAt = url.indexOf('?');
  const pathPart = queryAt === -1 ? url : url.slice(0, queryAt);
  const slash = pathPart.lastIndexOf('/');
  if (slash <= pathPart.indexOf('//') + 1) return url;
  return `${url.slice(0, slash)}#${url.slice(slash + 1)}`;
}

/** A path a client publishes into (WHIP from a browser microphone for two-way audio). */
export function publisherPath(): PathConfig {
  return { source: 'publisher' };
}

/** Whether MediaMTX's current config for a path already says what `desired` says. */
export function pathMatches(actual: Record<string, unknown> | undefined, desired: PathConfig): boolean {
  if (!actual) return false;
  return Object.entries(desired).every(([key, value]) => actual[key] === value);
}

/** A path name MediaMTX accepts and a person can read: lower-case words joined by `-`. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'camera';
}
