/**
 * The endpoint MediaMTX calls (`authHTTPAddress`) before every read, publish and control API
 * request, so access is decided by hikbridge: a viewer token in the URL, a hikbridge API/session
 * token, the hikbridge user's password, or the internal credential hikbridge's own readers use.
 * The control API (camera source URLs with their passwords, path changes) answers only to the
 * gateway's own API user, whose password is made at each start and lives only in this process.
 * It listens on loopback only, on a path with a random key, so nothing else can ask it questions.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/logger.ts';
import { grantAllows, readViewerToken } from './viewer-token.ts';

/** What MediaMTX sends (v1.20). */
export interface AuthQuestion {
  ip?: string;
  user?: string;
  password?: string;
  token?: string;
  action?: string;
  path?: string;
  protocol?: string;
  query?: string;
}

export interface AuthHookOptions {
  logger: Logger;
  tokenKey: Buffer;
  /** Checks a hikbridge user's password or API/session token. */
  verifyCredentials: (credentials: { user: string; password: string; token: string }) => Promise<boolean>;
  /**
   * Told of every read it lets in (path name, and MediaMTX's protocol word: rtsp, webrtc, hls...),
   * just before MediaMTX hears "allowed". Must not block.
   */
  onRead?: (path: string, protocol: string) => void;
}

/** The user name hikbridge's own readers (frame grabs, talk) present, with a per-start secret. */
export const INTERNAL_USER = 'hikbridge-internal';
/** The user name hikbridge's own control API client presents; nobody else may use the API. */
export const API_USER = 'hikbridge-api';
const MAX_BODY_BYTES = 16 * 1024;

export class AuthHook {
  readonly internalPassword = randomBytes(24).toString('base64url');
  /** Never logged nor written anywhere: MediaMTX learns nothing but "allowed" or "refused". */
  readonly apiPassword = randomBytes(24).toString('base64url');
  private readonly key = randomBytes(16).toString('hex');
  private server: Server | undefined;

  constructor(private readonly options: AuthHookOptions) {}

  /** The URL to give MediaMTX as `authHTTPAddress`. */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    if (!address) throw new Error('the media auth hook is not listening');
    return `http://127.0.0.1:${address.port}/mediamtx-auth/${this.key}`;
  }

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      if (request.method !== 'POST' || request.url !== `/mediamtx-auth/${this.key}`) {
        response.writeHead(404).end();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      request.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) request.destroy();
        else chunks.push(chunk);
      });
      request.on('end', () => {
        let question: AuthQuestion;
        try {
          question = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AuthQuestion;
        } catch {
          response.writeHead(400).end();
          return;
        }
        this.decide(question).then(
          (allowed) => {
            if (allowed && question.action === 'read' && question.path) {
              this.notifyRead(question.path, question.protocol ?? '');
            }
            response.writeHead(allowed ? 200 : 401).end();
          },
          (error) => {
            this.options.logger.error({ err: error }, 'media authorization failed');
            response.writeHead(500).end();
          },
        );
      });
    });
    this.server.requestTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private notifyRead(path: string, protocol: string): void {
    try {
      this.options.onRead?.(path, protocol);
    } catch (error) {
      this.options.logger.warn({ err: error, path }, 'a reader of the media auth hook failed');
    }
  }

  /** Whether MediaMTX may let this client do what it asks. */
  async decide(question: AuthQuestion): Promise<boolean> {
    const action = question.action ?? '';
    const path = question.path ?? '';
    const user = question.user ?? '';
    const password = question.password ?? '';
    // The control API, metrics and pprof: the gateway's API client only (metrics and pprof are off).
    if (action === 'api') return user === API_USER && sameSecret(password, this.apiPassword);
    if (action === 'metrics' || action === 'pprof' || user === API_USER) return false;
    if (user === INTERNAL_USER) return sameSecret(password, this.internalPassword);
    const grantToken =
      new URLSearchParams(question.query ?? '').get('token') ?? (user === 'viewer' ? password : '');
    if (grantToken) {
      const grant = readViewerToken(this.options.tokenKey, grantToken);
      if (grant && grantAllows(grant, action, path)) return true;
    }
    // Publishing is only for talk sessions, which always come with their own grant.
    if (action !== 'read' && action !== 'playback') return false;
    if (!user && !password && !question.token) return false;
    const allowed = await this.options.verifyCredentials({ user, password, token: question.token ?? '' });
    if (!allowed)
      this.options.logger.warn({ path, ip: question.ip, user }, 'viewer refused: wrong credentials');
    return allowed;
  }
}

/** Compares a presented password with ours in time that does not depend on where they differ. */
function sameSecret(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
