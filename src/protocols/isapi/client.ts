/**
 * Typed ISAPI client over the HTTP layer: XML/JSON bodies, ResponseStatus checking and
 * errors a user understands. Holds no application state beyond its HTTP connection.
 */
import { DeviceError } from '../http/errors.ts';
import { HttpClient } from '../http/index.ts';
import type { AuthFailureInfo, HttpClientOptions, HttpResponse, RequestOptions } from '../http/types.ts';
import {
  type ErrorContext,
  errorForAnswer,
  InvalidResponseError,
  mentionsNotActivated,
  NotActivatedError,
} from './errors.ts';
import { parseResponseStatus, type ResponseStatus } from './status.ts';
import { buildXml, int, looksLikeXml, parseXml, text, type XmlDocument, XmlSyntaxError } from './xml.ts';

export interface DeviceAddress {
  baseUrl: string;
  username: string;
  password: string;
}

/** Splits `http[s]://user:pass@host[:port]` into base URL and (decoded) credentials. */
export function parseDeviceUrl(url: string): DeviceAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`"${redactUrl(url)}" is not a URL; expected http://user:password@host[:port]`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`unsupported scheme "${parsed.protocol}"; use http:// or https://`);
  }
  if (!parsed.hostname) throw new TypeError('the URL has no host');
  return {
    baseUrl: `${parsed.protocol}//${parsed.host}`,
    username: decodeURIComponent(parsed.username || 'admin'),
    password: decodeURIComponent(parsed.password),
  };
}

/** The URL with any password replaced, safe for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/**
 * Reads a rejected login's body: lockout facts (Hikvision `userCheck` or a ResponseStatus), or
 * a never-activated device, which also answers 401.
 */
export function inspectIsapiAuthFailure(host: string, body: Buffer): AuthFailureInfo {
  const textBody = body.toString('utf8');
  if (mentionsNotActivated(textBody)) return { error: new NotActivatedError(host) };
  if (!looksLikeXml(textBody) && !textBody.trimStart().startsWith('{')) return {};
  const info: AuthFailureInfo = {};
  try {
    if (looksLikeXml(textBody)) {
      const doc = parseXml(textBody);
      const lockStatus = text(doc.node, 'lockStatus');
      const unlockTime = int(doc.node, 'unlockTime');
      const retries = int(doc.node, 'retryLoginTime');
      const sub = text(doc.node, 'subStatusCode') ?? '';
      if (lockStatus === 'lock' || /locked/i.test(sub)) info.lockedForSeconds = unlockTime ?? 0;
      if (retries !== undefined && info.lockedForSeconds === undefined) info.attemptsLeft = retries;
    } else {
      const status = parseResponseStatus(textBody);
      if (status?.subStatusCode && /locked/i.test(status.subStatusCode)) info.lockedForSeconds = 0;
    }
  } catch {
    // An unreadable 401 body is still a plain credential rejection.
  }
  return info;
}

export interface IsapiClientOptions extends Omit<HttpClientOptions, 'inspectAuthFailure'> {
  /**
   * Sees what a rejected login's body said and may change it before the HTTP client decides on
   * its block: the owner of the device's login policy (e.g. a lock without a stated length).
   */
  judgeAuthFailure?: (info: AuthFailureInfo) => AuthFailureInfo;
}

export class IsapiClient {
  readonly http: HttpClient;
  readonly baseUrl: string;
  /** Host and port, for messages. */
  readonly host: string;
  readonly username: string;

  constructor(options: IsapiClientOptions) {
    const host = new URL(options.baseUrl).host;
    const { judgeAuthFailure, ...httpOptions } = options;
    this.http = new HttpClient({
      ...httpOptions,
      inspectAuthFailure: (_status, _headers, body) => {
        const info = inspectIsapiAuthFailure(host, body);
        return judgeAuthFailure ? judgeAuthFailure(info) : info;
      },
    });
    this.baseUrl = options.baseUrl;
    this.host = host;
    this.username = options.username ?? 'admin';
  }

  static fromUrl(url: string, extra: Partial<IsapiClientOptions> = {}): IsapiClient {
    const address = parseDeviceUrl(url);
    return new IsapiClient({ ...extra, ...address });
  }

  /** Sends a request and throws the matching DeviceError unless the device reports success. */
  async call(options: RequestOptions): Promise<HttpResponse> {
    const response = await this.http.request(options);
    this.check(options.path, response);
    return response;
  }

  async getXml(path: string, options: Partial<RequestOptions> = {}): Promise<XmlDocument> {
    const response = await this.call({ ...options, method: 'GET', path });
    return this.parseXmlBody(path, response);
  }

  async getJson<T = unknown>(path: string, options: Partial<RequestOptions> = {}): Promise<T> {
    const response = await this.call({ ...options, method: 'GET', path: withJsonFormat(path) });
    return this.parseJsonBody<T>(path, response);
  }

  /** PUT/POST an XML body built from `body` under `root`; returns the device's ResponseStatus. */
  async sendXml(
    method: 'PUT' | 'POST',
    path: string,
    root: string,
    body: Record<string, unknown>,
  ): Promise<ResponseStatus | undefined> {
    const response = await this.call({
      method,
      path,
      body: buildXml(root, body),
      headers: { 'content-type': 'application/xml; charset="UTF-8"' },
    });
    return parseResponseStatus(response.body.toString('utf8'));
  }

  async sendJson<T = unknown>(method: 'PUT' | 'POST', path: string, body: unknown): Promise<T> {
    const response = await this.call({
      method,
      path: withJsonFormat(path),
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    return this.parseJsonBody<T>(path, response);
  }

  /** Runs an ISAPI call whose absence is normal: NotSupported/PermissionDenied/device errors give undefined. */
  async optional<T>(
    call: () => Promise<T>,
    absent: DeviceError['code'][] = ABSENT_CODES,
  ): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DeviceError && absent.includes(error.code)) return undefined;
      throw error;
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private check(path: string, response: HttpResponse): void {
    const contentType = response.headers['content-type'] ?? '';
    if (contentType.startsWith('image/') || contentType.includes('octet-stream')) {
      if (response.status >= 200 && response.status < 300) return;
    }
    const body = response.body.length <= 64 * 1024 ? response.body.toString('utf8') : '';
    const status = parseResponseStatus(body);
    const error = errorForAnswer(this.context(path), response.status, body, status);
    if (error) throw error;
  }

  private parseXmlBody(path: string, response: HttpResponse): XmlDocument {
    try {
      return parseXml(response.body.toString('utf8'));
    } catch (error) {
      const detail = error instanceof XmlSyntaxError ? error.message : 'not XML';
      throw new InvalidResponseError(this.host, path, detail);
    }
  }

  private parseJsonBody<T>(path: string, response: HttpResponse): T {
    try {
      return JSON.parse(response.body.toString('utf8')) as T;
    } catch {
      throw new InvalidResponseError(this.host, path, 'not JSON');
    }
  }

  private context(path: string): ErrorContext {
    return { host: this.host, username: this.username, path };
  }
}

/** Error codes that mean "this device does not offer that", as opposed to "the device failed". */
export const ABSENT_CODES: DeviceError['code'][] = ['not_supported', 'permission_denied', 'device_error'];

function withJsonFormat(path: string): string {
  if (/[?&]format=json\b/.test(path)) return path;
  return `${path}${path.includes('?') ? '&' : '?'}format=json`;
}
