import type { Readable } from 'node:stream';
import type { DeviceError } from './errors.ts';

/** How the client authenticates. `auto` answers whatever the device challenges with (Digest or Basic). */
export type AuthMode = 'auto' | 'digest' | 'basic' | 'none';

export interface TlsOptions {
  /**
   * SHA-256 fingerprint of the device certificate that must be presented, in the colon-separated
   * upper-case hex form Node prints (`AB:CD:...`); comparison ignores case and separators.
   * When set, normal CA verification is skipped and only the pin counts.
   */
  pinnedFingerprint?: string;
  /** Accept any certificate. Explicit opt-in for users who know what they are doing. */
  insecure?: boolean;
}

/** What the caller (ISAPI layer) reads out of a rejected login's body. */
export interface AuthFailureInfo {
  /** The device says the user is locked; seconds until unlock when known (0 = unknown). */
  lockedForSeconds?: number;
  /** Attempts left before a lock, when the device says. */
  attemptsLeft?: number;
  /** A more exact reason than "bad credentials" read from the body (e.g. a never-activated device). */
  error?: DeviceError;
}

export interface HttpClientOptions {
  /** `http://host:port` or `https://host:port`; no path. */
  baseUrl: string;
  username?: string;
  password?: string;
  /** Default `auto`. */
  auth?: AuthMode;
  tls?: TlsOptions;
  /** Requests in flight at once to this device (default 2). Streams do not count. */
  maxConcurrent?: number;
  /** Requests allowed to wait for a slot (default 64); more are rejected with QueueFullError. */
  maxQueued?: number;
  /** Long-lived streams open at once (default 4). */
  maxStreams?: number;
  /** TCP+TLS connect timeout (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Time to response headers, and between body chunks, for ordinary requests (default 10000 ms). */
  requestTimeoutMs?: number;
  /** Largest response body buffered by request() (default 8 MiB). */
  maxBodyBytes?: number;
  /**
   * After the device rejects our credentials, no further authenticated request is sent for this
   * long (default 60 s) unless a lock time is known, in which case that is used. Protects the
   * device's lockout counter; `resetAuth()` lifts it when credentials change.
   */
  authRetryDelayMs?: number;
  /** Reads lockout / attempts-left facts from a 401 body (ISAPI supplies one). */
  inspectAuthFailure?: (status: number, headers: Record<string, string>, body: Buffer) => AuthFailureInfo;
  /** Called with the certificate fingerprint every time a TLS connection is made (trust-on-first-use). */
  onCertificate?: (fingerprint256: string) => void;
}

export type RequestBody = string | Buffer | Uint8Array;

export interface RequestOptions {
  method?: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** Path with query string, e.g. `/ISAPI/System/deviceInfo?format=json`. */
  path: string;
  headers?: Record<string, string>;
  body?: RequestBody;
  /** Overrides the client's requestTimeoutMs for this request. */
  timeoutMs?: number;
  /** Overrides the client's maxBodyBytes for this request. */
  maxBodyBytes?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface StreamOptions extends Omit<RequestOptions, 'maxBodyBytes' | 'body'> {
  /** Body to send, possibly streamed (e.g. live audio). A stream body cannot be replayed, see client docs. */
  body?: RequestBody | Readable | AsyncIterable<Uint8Array>;
  /** Abort the stream when no byte arrives for this long (default: none; the caller decides). */
  idleTimeoutMs?: number;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string>;
  /** The response body as it arrives. Ends when the device closes; errors with TimeoutError on idle. */
  body: Readable;
  /** Closes the connection and frees the stream slot. Safe to call twice. */
  close(): void;
}
