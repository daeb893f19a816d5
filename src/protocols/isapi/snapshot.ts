/**
 * Snapshots over ISAPI, gentle on the device.
 *
 * Picture requests are the classic way to exhaust a device's few connections, so concurrent
 * requests for the same picture share one device request, and a finished picture is reused
 * for a short moment. NVRs that refuse `Streaming/channels/{id}/picture` (ResponseStatus 6 or
 * 404) are asked through `ContentMgmt/StreamingProxy`, and the path that worked is remembered.
 * `fetchPicture` is that fallback on its own, for callers that want one picture and no cache
 * (the doctor).
 *
 * An override URL is a user-given URL (http/url-policy.ts): the device's credentials go only to
 * the device's own origin; an override on another origin gets its own credentials or none, even
 * when it answers with a login challenge, and a redirect is never followed.
 */
import { createHash } from 'node:crypto';
import type { Credentials } from '../http/digest.ts';
import { DeviceError } from '../http/errors.ts';
import {
  type CheckedUrl,
  checkUserUrl,
  redirectVerdict,
  sameOrigin,
  URL_RULES,
  UrlPolicyError,
} from '../http/url-policy.ts';
import { IsapiClient } from './client.ts';
import { InvalidResponseError, IsapiStatusError } from './errors.ts';
import { STATUS_INVALID_XML_CONTENT } from './status.ts';

export interface SnapshotRequest {
  /** ISAPI stream id, e.g. '101'. */
  streamId: string;
  width?: number;
  height?: number;
  /**
   * Full URL that replaces the ISAPI path for this channel (camera's own address, NVR
   * per-channel port). Checked against URL_RULES.snapshot; `user:password` in it go to its own
   * origin only.
   */
  overrideUrl?: string;
  /** The override's own credentials (stored with it, not the device's), for its origin only. */
  overrideCredentials?: Credentials;
  /** Same device and path, another HTTP port. */
  httpPort?: number;
}

export type SnapshotSource = 'isapi' | 'streaming-proxy' | 'override';

export interface Snapshot {
  jpeg: Buffer;
  takenAt: number;
  source: SnapshotSource;
}

export interface SnapshotFetcherOptions {
  /** How long a finished picture answers new requests (default 1000 ms). */
  cacheMs?: number;
  /**
   * The device's credentials, for the device on its other HTTP port (`httpPort`: same scheme
   * and host). Never sent to an override URL: on the device's own origin the device's client is
   * used, and any other origin gets the override's own credentials or none.
   */
  credentials?: Credentials;
  /** Per-request timeout (default 10 s; NVRs can be slow to encode a 4K picture). */
  timeoutMs?: number;
}

export interface PictureOptions {
  timeoutMs: number;
  /** Aborts the request(s). */
  signal?: AbortSignal;
  /** This stream's pictures are known to come only through StreamingProxy: the direct path is skipped. */
  viaProxy?: boolean;
  /** Told why the direct path refused, before StreamingProxy is asked. */
  onRefused?: (error: DeviceError) => void;
}

const MAX_CACHED = 256;
/** Clients kept for override origins; the oldest is closed when another is needed. */
const MAX_OVERRIDE_CLIENTS = 16;
const JPEG_MAGIC = Buffer.from([0xff, 0xd8]);

export class SnapshotFetcher {
  private readonly inFlight = new Map<string, Promise<Snapshot>>();
  private readonly cache = new Map<string, Snapshot>();
  /** Stream ids whose pictures only come through StreamingProxy (NVR channels). */
  private readonly viaProxy = new Set<string>();
  private readonly overrideClients = new Map<string, IsapiClient>();
  private readonly cacheMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: IsapiClient,
    private readonly options: SnapshotFetcherOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** A fresh-enough JPEG for the request; concurrent identical requests share one device call. */
  get(request: SnapshotRequest): Promise<Snapshot> {
    const key = cacheKey(request);
    const cached = this.cache.get(key);
    if (cached && Date.now() - cached.takenAt < this.cacheMs) return Promise.resolve(cached);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const started = this.fetch(request)
      .then((snapshot) => {
        this.remember(key, snapshot);
        return snapshot;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  async close(): Promise<void> {
    await Promise.all([...this.overrideClients.values()].map((client) => client.close()));
    this.overrideClients.clear();
  }

  private async fetch(request: SnapshotRequest): Promise<Snapshot> {
    if (request.overrideUrl || request.httpPort) return this.fetchOverride(request);
    const snapshot = await fetchPicture(this.client, request, {
      timeoutMs: this.timeoutMs,
      viaProxy: this.viaProxy.has(request.streamId),
    });
    if (snapshot.source === 'streaming-proxy') this.viaProxy.add(request.streamId);
    return snapshot;
  }

  private fetchOverride(request: SnapshotRequest): Promise<Snapshot> {
    if (!request.overrideUrl) return this.fetchOtherPort(request);
    const target = checkOverride(request.overrideUrl);
    const path = `${target.url.pathname}${target.url.search}`;
    const own = target.credentials ?? request.overrideCredentials;
    // The device's own origin and nothing of its own: the device's client, its login, its slots.
    const client =
      !own && sameOrigin(target.url, this.client.baseUrl) ? this.client : this.clientFor(target.url, own);
    return this.downloadOverride(client, path);
  }

  /** The device itself on another HTTP port: its own credentials go with it. */
  private fetchOtherPort(request: SnapshotRequest): Promise<Snapshot> {
    const url = new URL(this.client.baseUrl);
    url.port = String(request.httpPort);
    const path = `/ISAPI/Streaming/channels/${request.streamId}/picture${pictureQuery(request)}`;
    return this.downloadOverride(this.clientFor(url, this.options.credentials), path);
  }

  private async downloadOverride(client: IsapiClient, path: string): Promise<Snapshot> {
    try {
      return await downloadPicture(client, path, 'override', { timeoutMs: this.timeoutMs });
    } catch (error) {
      if (!(error instanceof IsapiStatusError && error.httpStatus >= 300 && error.httpStatus < 400))
        throw error;
      // Not followed: it could lead anywhere, and the next hop is no business of these credentials.
      const verdict = redirectVerdict(new URL(client.baseUrl), undefined, URL_RULES.snapshot, 0);
      throw new InvalidResponseError(client.host, path, verdict.follow ? 'a redirect' : verdict.reason);
    }
  }

  /** A client for one origin and the credentials that belong to it (none: no login is ever sent). */
  private clientFor(origin: URL, credentials: Credentials | undefined): IsapiClient {
    const key = `${origin.origin}|${credentials ? fingerprint(credentials) : '-'}`;
    const existing = this.overrideClients.get(key);
    if (existing) {
      // Most recently used last: the one closed to make room is the one unused longest.
      this.overrideClients.delete(key);
      this.overrideClients.set(key, existing);
      return existing;
    }
    const client = new IsapiClient({
      baseUrl: origin.origin,
      ...(credentials ? { username: credentials.username, password: credentials.password } : {}),
      maxBodyBytes: URL_RULES.snapshot.maxResponseBytes,
    });
    this.overrideClients.set(key, client);
    if (this.overrideClients.size > MAX_OVERRIDE_CLIENTS) {
      const [oldestKey, oldest] = this.overrideClients.entries().next().value as [string, IsapiClient];
      this.overrideClients.delete(oldestKey);
      void oldest.close();
    }
    return client;
  }

  private remember(key: string, snapshot: Snapshot): void {
    if (this.cacheMs <= 0) return;
    this.cache.delete(key);
    this.cache.set(key, snapshot);
    if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
  }
}

/**
 * One picture, no cache: `Streaming/channels/{id}/picture`, and when the device refuses it there,
 * `ContentMgmt/StreamingProxy` (the snapshot's `source` says which gave it). Throws the last
 * path's error.
 */
export async function fetchPicture(
  client: IsapiClient,
  request: Pick<SnapshotRequest, 'streamId' | 'width' | 'height'>,
  options: PictureOptions,
): Promise<Snapshot> {
  const query = pictureQuery(request);
  const timing = { timeoutMs: options.timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  if (!options.viaProxy) {
    try {
      const path = `/ISAPI/Streaming/channels/${request.streamId}/picture${query}`;
      return await downloadPicture(client, path, 'isapi', timing);
    } catch (error) {
      if (!needsProxyFallback(error)) throw error;
      options.onRefused?.(error);
    }
  }
  const path = `/ISAPI/ContentMgmt/StreamingProxy/channels/${request.streamId}/picture${query}`;
  return downloadPicture(client, path, 'streaming-proxy', timing);
}

async function downloadPicture(
  client: IsapiClient,
  path: string,
  source: SnapshotSource,
  timing: { timeoutMs: number; signal?: AbortSignal },
): Promise<Snapshot> {
  const response = await client.call({ method: 'GET', path, ...timing });
  if (!response.body.subarray(0, 2).equals(JPEG_MAGIC)) {
    throw new InvalidResponseError(
      client.host,
      path,
      `expected a JPEG picture, got ${describeBody(response.body)}`,
    );
  }
  return { jpeg: response.body, takenAt: Date.now(), source };
}

/** ResponseStatus 6 (Invalid XML Content) or 404 on the direct path means "ask the NVR's proxy". */
function needsProxyFallback(error: unknown): error is DeviceError {
  if (!(error instanceof DeviceError)) return false;
  if (error.code === 'not_supported') return true;
  return error instanceof IsapiStatusError && error.status?.statusCode === STATUS_INVALID_XML_CONTENT;
}

function pictureQuery(request: SnapshotRequest): string {
  if (!request.width || !request.height) return '';
  return `?videoResolutionWidth=${request.width}&videoResolutionHeight=${request.height}`;
}

function cacheKey(request: SnapshotRequest): string {
  return [
    request.streamId,
    request.width ?? '',
    request.height ?? '',
    request.overrideUrl ?? '',
    request.httpPort ?? '',
  ].join('|');
}

/** The override URL as the policy has it; a stored URL that breaks it is a setting to fix. */
function checkOverride(url: string): CheckedUrl {
  try {
    return checkUserUrl(url, URL_RULES.snapshot);
  } catch (error) {
    if (!(error instanceof UrlPolicyError)) throw error;
    throw new DeviceError('device_error', `${error.message}. Correct the snapshot URL override.`);
  }
}

/** Tells credentials apart without keeping them in a map key. */
function fingerprint(credentials: Credentials): string {
  return createHash('sha256')
    .update(`${credentials.username}\0${credentials.password}`)
    .digest('hex')
    .slice(0, 16);
}

function describeBody(body: Buffer): string {
  if (body.length === 0) return 'an empty body';
  const start = body.subarray(0, 40).toString('utf8').replace(/\s+/g, ' ');
  return `${body.length} bytes starting "${start}"`;
}
