/**
 * HikCentral Connect (Hik-Connect for Teams) OpenAPI client for one account: the access token
 * (fetched once, renewed before it expires or when the cloud drops it early), the account's
 * rate limit (5 calls/s, shared by every call), retries with back-off on overload and network
 * failures, paging, and the live-address call. Pure: no app state, every call has a deadline,
 * every wait line a bound, and no secret appears in an error or a log line.
 */
import { type Dispatcher, request } from 'undici';
import { type Clock, realClock } from './clock.ts';
import { HccError } from './errors.ts';
import { RateLimiter } from './rate-limit.ts';
import {
  type HccCamera,
  type HccDevice,
  type LiveAddress,
  type LiveAddressRequest,
  toCamera,
  toDevice,
} from './types.ts';

export interface HccClientOptions {
  appKey: string;
  secretKey: string;
  /** The region's bootstrap address, e.g. `https://ieu.hikcentralconnect.com`. */
  baseUrl: string;
  /** Deadline of one HTTP exchange. */
  timeoutMs?: number;
  /** The API allows 5 calls per second per account. */
  requestsPerSecond?: number;
  /** Calls allowed to wait for the rate limit; the next one fails with `queue_full`. */
  maxQueued?: number;
  /** Tries of one call when the cloud is overloaded or unreachable. */
  maxAttempts?: number;
  /** First back-off between tries; doubles each time. */
  retryBaseMs?: number;
  /** undici dispatcher (tests, proxies). */
  dispatcher?: Dispatcher;
  /** Real time unless given (a benchmark runs on simulated time). */
  clock?: Clock;
}

interface Token {
  value: string;
  /** Epoch ms. */
  expiresAt: number;
  /** When to fetch the next one (epoch ms), before it expires. */
  renewAt: number;
  /** Where every call but the token call goes. */
  apiBase: string;
}

const TOKEN_PATH = '/api/hccgw/platform/v1/token/get';
const DEVICES_PATH = '/api/hccgw/resource/v1/devices/get';
const CAMERAS_PATH = '/api/hccgw/resource/v1/areas/cameras/get';
const LIVE_ADDRESS_PATH = '/api/hccgw/video/v1/live/address/get';
/**
 * A token is renewed this long before the cloud says it expires (it lives 7 days), or a tenth of
 * its lifetime before when that is shorter.
 */
const RENEW_BEFORE_MS = 10 * 60_000;
const PAGE_SIZE = 500;
/** 500 pages of 500: far beyond any account; a paging bug must not loop forever. */
const MAX_PAGES = 500;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const MIN_EXPIRE_SECONDS = 30;
const MAX_EXPIRE_SECONDS = 720 * 86_400;
const PROTOCOLS = { ezopen: 1, hls: 2, rtmp: 3 } as const;
const QUALITIES = { main: '1', sub: '2' } as const;

export class HccClient {
  private readonly settings: Required<Omit<HccClientOptions, 'dispatcher'>>;
  /** Calls sent, token calls included (what counts against the account's limit). */
  private sent = 0;
  private readonly limiter: RateLimiter;
  private token: Token | undefined;
  private tokenPending: Promise<Token> | undefined;

  constructor(private readonly options: HccClientOptions) {
    if (!options.appKey || !options.secretKey) throw new TypeError('appKey and secretKey are required');
    if (options.appKey.length > 64 || options.secretKey.length > 64)
      throw new TypeError('appKey and secretKey have at most 64 characters');
    this.settings = {
      appKey: options.appKey,
      secretKey: options.secretKey,
      baseUrl: withScheme(options.baseUrl),
      timeoutMs: options.timeoutMs ?? 10_000,
      requestsPerSecond: options.requestsPerSecond ?? 5,
      maxQueued: options.maxQueued ?? 1000,
      maxAttempts: options.maxAttempts ?? 3,
      retryBaseMs: options.retryBaseMs ?? 500,
      clock: options.clock ?? realClock,
    };
    this.limiter = new RateLimiter(
      this.settings.requestsPerSecond,
      this.settings.maxQueued,
      this.settings.clock,
    );
  }

  /** Calls per second this client sustains under the account's limit. */
  get callsPerSecond(): number {
    return this.limiter.sustainedPerSecond;
  }

  /** Calls sent so far, token calls included. */
  get callCount(): number {
    return this.sent;
  }

  /**
   * Gets a fresh token: proves the key, the secret and the address (one call, retried like any
   * other when the cloud is overloaded or out of reach).
   */
  async verify(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.token = undefined;
      try {
        await this.validToken('signing in to HikCentral Connect');
        return;
      } catch (error) {
        if (!(error instanceof HccError) || !error.retryable || attempt >= this.settings.maxAttempts)
          throw error;
        await this.backOff(attempt);
      }
    }
  }

  /** Every device of the account (all pages). */
  async listDevices(): Promise<HccDevice[]> {
    const rows = await this.allPages(DEVICES_PATH, {}, 'device', 'listing the devices');
    return rows.map(toDevice);
  }

  /** Every camera of the account, or of one device (all pages, all areas). */
  async listCameras(deviceSerial?: string): Promise<HccCamera[]> {
    const filter = {
      areaID: '-1',
      includeSubArea: '1',
      ...(deviceSerial ? { deviceSerialNo: deviceSerial } : {}),
    };
    const rows = await this.allPages(CAMERAS_PATH, { filter }, 'camera', 'listing the cameras');
    return rows.map(toCamera);
  }

  /** A live URL for one camera, valid for `expireSeconds` (the API counts seconds, not ms). */
  async liveAddress(ask: LiveAddressRequest): Promise<LiveAddress> {
    const expireSeconds = Math.round(ask.expireSeconds);
    if (!(expireSeconds >= MIN_EXPIRE_SECONDS && expireSeconds <= MAX_EXPIRE_SECONDS))
      throw new RangeError(`expireSeconds must be ${MIN_EXPIRE_SECONDS}..${MAX_EXPIRE_SECONDS}`);
    const data = await this.call(
      LIVE_ADDRESS_PATH,
      {
        resourceId: ask.resourceId,
        deviceSerial: ask.deviceSerial,
        type: '1',
        protocol: PROTOCOLS[ask.protocol],
        quality: QUALITIES[ask.quality],
        expireTime: expireSeconds,
        ...(ask.code ? { code: ask.code } : {}),
      },
      `getting the live address of camera ${ask.deviceSerial}`,
    );
    const url = typeof data.url === 'string' ? data.url : '';
    const expiresAt = Number(data.expireTime);
    if (!url || !Number.isFinite(expiresAt))
      throw new HccError(
        'bad_response',
        'api',
        'HikCentral Connect answered a live address without a URL or expiry',
      );
    return { id: String(data.id ?? ''), url, expiresAt };
  }

  /** One API call with the token, the rate limit, token renewal and retries. */
  async call(path: string, body: Record<string, unknown>, what: string): Promise<Record<string, unknown>> {
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const token = await this.validToken(what);
        return await this.post(`${token.apiBase}${path}`, body, { Token: token.value }, what);
      } catch (error) {
        if (!(error instanceof HccError)) throw error;
        if (error.kind === 'token' && !renewed) {
          // Tokens can die before their expiry time: a fresh one, and the call once more.
          this.token = undefined;
          renewed = true;
          attempt--;
          continue;
        }
        if (!error.retryable || attempt >= this.settings.maxAttempts) throw error;
        await this.backOff(attempt);
      }
    }
  }

  /** Waits before try `attempt + 1`: doubling from retryBaseMs, with a random spread. */
  private backOff(attempt: number): Promise<void> {
    return this.settings.clock.sleep(
      this.settings.retryBaseMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5),
    );
  }

  private async allPages(
    path: string,
    extra: Record<string, unknown>,
    listKey: string,
    what: string,
  ): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for (let pageIndex = 1; pageIndex <= MAX_PAGES; pageIndex++) {
      const data = await this.call(path, { pageIndex, pageSize: PAGE_SIZE, ...extra }, what);
      const page = Array.isArray(data[listKey]) ? (data[listKey] as Record<string, unknown>[]) : [];
      rows.push(...page);
      // totalCount is ambiguous in the guide: a short page is the last one.
      if (page.length < PAGE_SIZE) return rows;
    }
    throw new HccError('bad_response', 'api', `${what}: more than ${MAX_PAGES} pages; stopped`);
  }

  private async validToken(what: string): Promise<Token> {
    const token = this.token;
    if (token && this.settings.clock.now() < token.renewAt) return token;
    // One token request at a time, however many calls need it.
    this.tokenPending ??= this.fetchToken(what).finally(() => {
      this.tokenPending = undefined;
    });
    return this.tokenPending;
  }

  private async fetchToken(what: string): Promise<Token> {
    const { appKey, secretKey, baseUrl } = this.settings;
    const data = await this.post(`${baseUrl}${TOKEN_PATH}`, { appKey, secretKey }, {}, what);
    const value = typeof data.accessToken === 'string' ? data.accessToken : '';
    const expireSeconds = Number(data.expireTime);
    if (!value || !Number.isFinite(expireSeconds))
      throw new HccError('bad_response', 'api', `${what}: HikCentral Connect answered no access token`);
    const area =
      typeof data.areaDomain === 'string' && data.areaDomain ? withScheme(data.areaDomain) : baseUrl;
    const expiresAt = expireSeconds * 1000;
    const lifetime = Math.max(0, expiresAt - this.settings.clock.now());
    const renewAt = expiresAt - Math.min(RENEW_BEFORE_MS, lifetime / 10);
    this.token = { value, expiresAt, renewAt, apiBase: area };
    return this.token;
  }

  /** One rate-limited POST; the envelope's errorCode becomes an HccError. */
  private async post(
    url: string,
    body: Record<string, unknown>,
    headers: Record<string, string>,
    what: string,
  ): Promise<Record<string, unknown>> {
    await this.limiter.acquire(
      () => new HccError('queue_full', 'transient', `${what}: too many calls waiting`),
    );
    const { timeoutMs } = this.settings;
    this.sent++;
    let text: string;
    let status: number;
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      status = response.statusCode;
      text = await readText(response.body, MAX_BODY_BYTES);
    } catch (error) {
      throw transportError(error, what, timeoutMs);
    }
    if (status !== 200)
      throw new HccError('http_status', status >= 500 ? 'transient' : 'api', `${what}: HTTP ${status}`);
    return unwrap(text, what);
  }
}

/** `{errorCode:"0", message, data}` -> data; anything else -> HccError. */
function unwrap(text: string, what: string): Record<string, unknown> {
  let envelope: { errorCode?: unknown; message?: unknown; data?: unknown };
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    throw new HccError(
      'bad_response',
      'transient',
      `${what}: HikCentral Connect answered something that is not JSON`,
    );
  }
  const code = envelope?.errorCode === undefined ? '' : String(envelope.errorCode);
  if (code !== '0') {
    const message = typeof envelope?.message === 'string' ? envelope.message : undefined;
    throw HccError.fromApi(code || 'missing', message, what);
  }
  const data = envelope.data;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}

async function readText(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new HccError('bad_response', 'api', `answer larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function transportError(error: unknown, what: string, timeoutMs: number): HccError {
  if (error instanceof HccError) return error;
  const name = (error as { name?: string; code?: string })?.name ?? '';
  const code = (error as { code?: string })?.code ?? '';
  if (name === 'TimeoutError' || code.includes('TIMEOUT'))
    return new HccError(
      'timeout',
      'transient',
      `${what}: HikCentral Connect did not answer within ${timeoutMs} ms`,
    );
  return new HccError(
    'unreachable',
    'transient',
    `${what}: HikCentral Connect could not be reached (${code || (error as Error)?.message || 'network error'})`,
  );
}

function withScheme(address: string): string {
  const trimmed = address.replace(/\/+$/, '');
  return /^https?:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
}
