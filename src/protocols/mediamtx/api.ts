/**
 * Client for MediaMTX's control API (v3). Pure: no app state, every call has a deadline, and
 * failures carry what MediaMTX said so a log line explains itself.
 */
import { request } from 'undici';
import type { PathConfig } from './config.ts';

export interface MediamtxApiOptions {
  /** e.g. `http://127.0.0.1:9997` */
  baseUrl: string;
  timeoutMs?: number;
  /** Sent as Basic auth on every call: MediaMTX's API answers only to who may use it. */
  credentials?: MediamtxCredentials | undefined;
}

export interface MediamtxCredentials {
  user: string;
  password: string;
}

/** One path as MediaMTX reports it live (`/v3/paths/list`). */
export interface LivePath {
  name: string;
  confName: string;
  source: { type: string; id?: string } | null;
  ready: boolean;
  readyTime: string | null;
  tracks: string[];
  bytesReceived: number;
  readers: Array<{ type: string; id?: string }>;
}

export interface MediamtxInfo {
  version: string;
  started: string;
}

export class MediamtxApiError extends Error {
  override name = 'MediamtxApiError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

interface Page<T> {
  itemCount: number;
  pageCount: number;
  items: T[];
}

/** Names may contain `/`; each segment is encoded but the slashes are kept, as MediaMTX expects. */
function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

const PAGE_SIZE = 500;

export class MediamtxApi {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly authorization: string | undefined;

  constructor(options: MediamtxApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    const { credentials } = options;
    this.authorization = credentials
      ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`
      : undefined;
  }

  info(): Promise<MediamtxInfo> {
    return this.call<MediamtxInfo>('GET', '/v3/info');
  }

  /** The running global configuration (ports, auth, which servers are on). */
  globalConfig(): Promise<Record<string, unknown>> {
    return this.call<Record<string, unknown>>('GET', '/v3/config/global/get');
  }

  /** Every configured path (API-added and file-defined). */
  listPathConfigs(): Promise<Array<PathConfig & { name: string }>> {
    return this.listAll<PathConfig & { name: string }>('/v3/config/paths/list');
  }

  /** Every path that exists right now, with its readers and readiness. */
  listPaths(): Promise<LivePath[]> {
    return this.listAll<LivePath>('/v3/paths/list');
  }

  async getPath(name: string): Promise<LivePath | null> {
    try {
      return await this.call<LivePath>('GET', `/v3/paths/get/${encodeName(name)}`);
    } catch (error) {
      if (error instanceof MediamtxApiError && error.status === 404) return null;
      throw error;
    }
  }

  /** Creates or fully replaces a path config (upsert). */
  async replacePath(name: string, config: PathConfig): Promise<void> {
    await this.call('POST', `/v3/config/paths/replace/${encodeName(name)}`, config);
  }

  /** Removes a path config; a path that is already gone is not an error. */
  async deletePath(name: string): Promise<void> {
    try {
      await this.call('DELETE', `/v3/config/paths/delete/${encodeName(name)}`);
    } catch (error) {
      if (error instanceof MediamtxApiError && error.status === 404) return;
      throw error;
    }
  }

  private async listAll<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 0; ; page += 1) {
      const answer = await this.call<Page<T>>('GET', `${path}?itemsPerPage=${PAGE_SIZE}&page=${page}`);
      items.push(...answer.items);
      if (page + 1 >= answer.pageCount) return items;
    }
  }

  private async call<T = unknown>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    let response: Awaited<ReturnType<typeof request>>;
    try {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (this.authorization) headers.authorization = this.authorization;
      response = await request(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new MediamtxApiError(
        `MediaMTX API at ${this.baseUrl} did not answer ${method} ${path}: ${(error as Error).message}`,
        null,
      );
    }
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode > 299) {
      let reason = text.trim();
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? reason;
      } catch {}
      throw new MediamtxApiError(
        `MediaMTX refused ${method} ${path} (${response.statusCode}): ${reason.slice(0, 300)}`,
        response.statusCode,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
