/**
 * The gateway's HTTP API as `hikbridge cloud` uses it: a client with a deadline on every request,
 * the answers' shapes, and errors in the API's own words. The CLI never calls the cloud itself:
 * the gateway owns each account's 5 calls/s budget.
 *
 * Every text that leaves this file (error messages) has the token, the password and the keys
 * this run knows masked, whatever put them there.
 */
import type { CloudSyncOutcome } from '../core/store/types.ts';
import type { SyncProgress } from '../modules/cloud/index.ts';
import { withoutPassword } from './credentials.ts';

export type { SyncProgress };

/** Deadline of each request to the gateway unless --timeout says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export type SyncOutcome = CloudSyncOutcome;

export interface CloudAccount {
  id: string;
  name: string;
  appKeyHint: string;
  baseUrl: string;
  quality: 'main' | 'sub';
  enabled: boolean;
  lastSync: SyncOutcome | null;
  sync: SyncProgress | null;
  trouble: string | null;
  nextRenewalAt: string | null;
  cameras: {
    total: number;
    ok: number;
    pending: number;
    offline: number;
    error: number;
    removed: number;
    disabled: number;
  };
}

export interface CloudCamera {
  id: string;
  accountId: string;
  name: string;
  deviceSerial: string;
  channelNo: number;
  status: string;
  lastError: string | null;
  urlExpiresAt: string | null;
  path: string | null;
}

/** A failure to show the user as it is (the API's words, or why the gateway could not be asked). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** The API answered with an error: `status` and the API's `error.code`. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** Values this run must never print: each is masked in every message. */
export class Secrets {
  private readonly values = new Set<string>();

  add(value: string | undefined): void {
    if (value) this.values.add(value);
  }

  clean(text: string): string {
    let clean = text;
    for (const value of this.values) clean = withoutPassword(clean, value);
    return clean;
  }
}

export interface GatewayClientOptions {
  /** http[s]://host:port without a trailing slash. */
  url: string;
  timeoutMs: number;
  secrets: Secrets;
}

export class GatewayClient {
  private token: string | undefined;

  constructor(private readonly options: GatewayClientOptions) {}

  get url(): string {
    return this.options.url;
  }

  useToken(token: string): void {
    this.token = token;
    this.options.secrets.add(token);
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.options.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
        redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      throw new CliError(this.options.secrets.clean(this.unreachable(error)));
    }
    const json = parseJson(text);
    if (!response.ok) throw this.apiError(response.status, json);
    return json as T;
  }

  private unreachable(error: unknown): string {
    const where = `the gateway at ${this.options.url}`;
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      return `${where} did not answer within ${this.options.timeoutMs} ms (--timeout to wait longer).`;
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return `cannot reach ${where} (${why}). Is it running? Give its address with --url.`;
  }

  private apiError(status: number, json: unknown): ApiError {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : undefined;
    let message = typeof error?.message === 'string' ? error.message : `the gateway answered HTTP ${status}.`;
    if (status === 401) message += ' (Check HIKBRIDGE_TOKEN / --token, or the user and HIKBRIDGE_PASSWORD.)';
    return new ApiError(this.options.secrets.clean(message), status, code);
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `http://host:port` as given with --url: no credentials, query or fragment; no trailing slash. */
export function parseGatewayUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('--url: expected the gateway address, e.g. http://127.0.0.1:8080', 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('--url: expected an http:// or https:// address', 2);
  }
  if (url.username || url.password) {
    throw new CliError('--url: no user or password in the address; use HIKBRIDGE_TOKEN or --user', 2);
  }
  if (url.search || url.hash) throw new CliError('--url: no query or fragment in the address', 2);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
