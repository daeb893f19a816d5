/**
 * The gateway's API from the browser: the session cookie authenticates, and every change also
 * carries the session's anti-CSRF token (from the login answer or /auth/me). Errors become
 * `ApiError` with the gateway's own message, which is written for people.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
const signedOutListeners = new Set<() => void>();

/** Called when any request finds the session gone (expired, logged out elsewhere). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const TIMEOUT_MS = 30_000;

export async function api<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new ApiError(
      0,
      timedOut ? 'timeout' : 'network',
      timedOut ? 'hikbridge did not answer in time.' : 'hikbridge cannot be reached; is it running?',
    );
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    // Only a missing or expired session signs out; a wrong password in a form is the form's error.
    if (response.status === 401 && error?.code === 'unauthorized') {
      for (const listener of signedOutListeners) listener();
    }
    throw new ApiError(
      response.status,
      error?.code ?? 'http_error',
      error?.message ?? `hikbridge answered ${response.status}.`,
    );
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message to show for any error thrown by `api` (or anything else). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// --- shapes the screens use (the API's OpenAPI document has them all) ---------------------------

export interface Health {
  state: string;
  lastError: string | null;
  lastSeen: string | null;
  since: string;
}

/** `GET /api/v1/devices` items (never a password). */
export interface Device {
  id: string;
  name: string;
  host: string;
  port: number;
  https: boolean;
  username: string;
  kind: string;
  model: string | null;
  serialNumber: string | null;
  firmwareVersion: string | null;
  doors: number;
  alarmOutputs: number;
  twoWayAudio: { channelId: number; codec: string } | null;
  enabled: boolean;
  health: Health | null;
}

export interface Stream {
  id: string;
  streamNo: number;
  codec: string | null;
  width: number | null;
  height: number | null;
  browserCompatible: boolean;
}

/** `GET /api/v1/channels` items: local channels and cloud cameras alike. */
export interface Channel {
  id: string;
  deviceId: string;
  channelNo: number;
  name: string;
  source: string;
  enabled: boolean;
  online: boolean;
  preferredStream: string | null;
  /** Its wall stream is pulled all the time (instant start); local channels only. */
  keepWarm: boolean;
  streams: Stream[];
  snapshotUrl: string;
  cloud?: { status: string; lastError: string | null; urlExpiresAt: string | null };
}

export interface LiveStream {
  name: string;
  codec: string | null;
  width: number | null;
  height: number | null;
  browserPlayable: boolean;
  default: boolean;
  note: string | null;
  urls: { webrtc: string; whep: string; hls: string; rtsp: string };
}

export interface HikEvent {
  id: string;
  deviceId: string;
  channelId: string | null;
  channelNo: number | null;
  kind: string;
  state: string;
  at: string;
  receivedAt: string;
  targets: string[];
  attributes: Record<string, unknown>;
  snapshotRef: string | null;
}
