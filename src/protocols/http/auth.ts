/**
 * What the client knows about logging in to one device: the cached challenge, whether our
 * credentials were ever accepted, and the block that follows a rejection.
 *
 * The rules exist to protect the device's failed-login counter: a 401 only counts as "wrong
 * password" when the credentials were computed from a challenge the device just gave us (or sent
 * as Basic), and after that no request at all reaches the device until the block ends or
 * `reset()` is called.
 */
import {
  type AuthChallenge,
  buildBasicAuthorization,
  type Credentials,
  type DigestChallenge,
  DigestSession,
  hasBasicChallenge,
  parseWwwAuthenticate,
  pickDigestChallenge,
} from './digest.ts';
import { AuthUnsupportedError, BadCredentialsError, type DeviceError, LockedOutError } from './errors.ts';
import { ConcurrencyLimiter, type Release } from './limiter.ts';
import type { AuthFailureInfo, AuthMode, HttpClientOptions } from './types.ts';

export type Challenge = { scheme: 'digest'; digest: DigestChallenge } | { scheme: 'basic' };

export interface AuthPlan {
  authorization?: string;
  scheme: 'none' | 'digest' | 'basic';
  /** A plain 401 to this attempt means the device checked our credentials and refused them. */
  proving: boolean;
}

export interface UnauthorizedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface AuthStateOptions {
  label: string;
  mode: AuthMode;
  credentials?: Credentials;
  authRetryDelayMs: number;
  inspectAuthFailure?: HttpClientOptions['inspectAuthFailure'];
}

interface Block {
  until: number;
  makeError: () => DeviceError;
}

const NO_AUTH: AuthPlan = { scheme: 'none', proving: false };
const NO_CHALLENGE_DETAIL =
  'sent no WWW-Authenticate challenge; check that the user exists on the device and that ' +
  'ISAPI / HTTP authentication is enabled for it';

export class AuthState {
  private credentials: Credentials | undefined;
  private digest: DigestSession | undefined;
  /** The device took Basic credentials from us before: keep sending them without waiting for a 401. */
  private basicAccepted = false;
  /** Our credentials worked at least once since the last reset. */
  private verified = false;
  private block: Block | undefined;
  /** Only one unverified login attempt at a time, so parallel requests cannot each burn a failed login. */
  private readonly loginGate: ConcurrencyLimiter;

  constructor(private readonly options: AuthStateOptions) {
    this.credentials = options.credentials;
    this.loginGate = new ConcurrencyLimiter({
      maxConcurrent: 1,
      maxQueued: Number.POSITIVE_INFINITY,
      label: options.label,
    });
  }

  get enabled(): boolean {
    return this.options.mode !== 'none';
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  get blockedUntil(): number | undefined {
    return this.block && this.block.until > Date.now() ? this.block.until : undefined;
  }

  reset(credentials?: Credentials): void {
    if (credentials) this.credentials = { ...credentials };
    this.digest = undefined;
    this.basicAccepted = false;
    this.verified = false;
    this.block = undefined;
  }

  throwIfBlocked(): void {
    if (this.blockedUntil !== undefined) throw this.block!.makeError();
  }

  /** Basic needs no challenge, so a request can carry it without asking the device first. */
  get sendsBasicUpfront(): boolean {
    return this.preemptiveScheme() === 'basic';
  }

  /**
   * Waits for the login gate when the next attempt could be refused as a failed login and our
   * credentials are not known to work yet. Returns the release function (a no-op when not gated).
   */
  async enterGate(challenge: Challenge | undefined, signal?: AbortSignal): Promise<Release> {
    const mayProve = challenge !== undefined || this.preemptiveScheme() === 'basic';
    if (!mayProve || this.verified) return () => {};
    return this.loginGate.acquire(signal);
  }

  /** Credentials to send before the device asked: cached Digest nonce, or Basic when known to be wanted. */
  preemptive(method: string, uri: string): AuthPlan {
    const credentials = this.credentials;
    switch (this.preemptiveScheme()) {
      case 'basic':
        return { scheme: 'basic', proving: true, authorization: basic(credentials!) };
      case 'digest':
        return {
          scheme: 'digest',
          proving: false,
          authorization: this.digest!.authorize(credentials!, method, uri),
        };
      default:
        return NO_AUTH;
    }
  }

  /** Credentials answering a challenge the device has just sent. */
  answer(challenge: Challenge, method: string, uri: string): AuthPlan {
    const credentials = this.credentials!;
    if (challenge.scheme === 'basic')
      return { scheme: 'basic', proving: true, authorization: basic(credentials) };
    this.basicAccepted = false;
    if (!this.digest?.sameNonce(challenge.digest)) this.digest = new DigestSession(challenge.digest);
    return {
      scheme: 'digest',
      proving: true,
      authorization: this.digest.authorize(credentials, method, uri),
    };
  }

  succeeded(plan: AuthPlan): void {
    if (plan.scheme === 'none') return;
    this.verified = true;
    if (plan.scheme === 'basic') this.basicAccepted = true;
  }

  /**
   * Decides what a 401 means. Returns the challenge to retry with, or throws the error the user
   * should see (and, for a refused login, starts the block).
   */
  onUnauthorized(plan: AuthPlan, answer: UnauthorizedAnswer): Challenge {
    const offered = parseWwwAuthenticate(answer.headers['www-authenticate']);
    const next = this.choose(offered);
    if (!this.credentials) {
      throw new AuthUnsupportedError(this.options.label, 'no username and password are configured for it');
    }
    const stale = next?.scheme === 'digest' && next.digest.stale;
    if (plan.authorization !== undefined && !stale) this.judgeRefusal(plan, answer, offered);
    if (!next) throw new AuthUnsupportedError(this.options.label, this.unsupportedDetail(offered));
    return next;
  }

  private judgeRefusal(plan: AuthPlan, answer: UnauthorizedAnswer, offered: AuthChallenge[]): void {
    const info = this.inspect(answer);
    if (info.lockedForSeconds !== undefined) throw this.startBlock(this.lockBlock(info.lockedForSeconds));
    const explained = info.error;
    if (explained) throw this.startBlock(this.blockFor(() => explained));
    if (!plan.proving) {
      // A cached nonce the device no longer likes: a new challenge is due. Until it proves our
      // credentials still work, logins go one at a time again.
      this.verified = false;
      return;
    }
    if (offered.length === 0) {
      throw this.startBlock(
        this.blockFor(() => new AuthUnsupportedError(this.options.label, NO_CHALLENGE_DETAIL)),
      );
    }
    // The device no longer offers the scheme we used (e.g. switched Basic off): not a wrong password.
    if (!offered.some((c) => c.scheme === plan.scheme)) return;
    const { username } = this.credentials!;
    throw this.startBlock(
      this.blockFor(() => new BadCredentialsError(this.options.label, username, info.attemptsLeft)),
    );
  }

  private lockBlock(lockedForSeconds: number): Block {
    const { username } = this.credentials!;
    const ms = lockedForSeconds > 0 ? lockedForSeconds * 1000 : this.options.authRetryDelayMs;
    const until = Date.now() + ms;
    const remaining = () => (lockedForSeconds > 0 ? Math.ceil((until - Date.now()) / 1000) : undefined);
    return { until, makeError: () => new LockedOutError(this.options.label, username, remaining()) };
  }

  private blockFor(makeError: () => DeviceError): Block {
    return { until: Date.now() + this.options.authRetryDelayMs, makeError };
  }

  private startBlock(block: Block): DeviceError {
    this.digest = undefined;
    this.basicAccepted = false;
    this.verified = false;
    this.block = block;
    return block.makeError();
  }

  private inspect(answer: UnauthorizedAnswer): AuthFailureInfo {
    try {
      return this.options.inspectAuthFailure?.(answer.status, answer.headers, answer.body) ?? {};
    } catch {
      return {}; // a body the inspector cannot read tells us nothing more than the status did
    }
  }

  private choose(offered: AuthChallenge[]): Challenge | undefined {
    const { mode } = this.options;
    if (mode !== 'basic') {
      const digest = pickDigestChallenge(offered);
      if (digest) return { scheme: 'digest', digest };
    }
    if (mode !== 'digest' && hasBasicChallenge(offered)) return { scheme: 'basic' };
    return undefined;
  }

  private unsupportedDetail(offered: AuthChallenge[]): string {
    if (offered.length === 0) return NO_CHALLENGE_DETAIL;
    const { mode } = this.options;
    if (mode === 'digest' && hasBasicChallenge(offered)) {
      return 'only offers Basic authentication, which is refused because the auth mode is "digest" (Basic sends the password in clear)';
    }
    if (mode === 'basic' && offered.some((c) => c.scheme === 'digest')) {
      return 'does not accept Basic authentication; set the auth mode to "auto" or "digest"';
    }
    const schemes = [...new Set(offered.map((c) => c.scheme))].join(', ');
    return `only offers authentication hikbridge cannot answer (${schemes}; unsupported Digest algorithm or qop?)`;
  }

  private preemptiveScheme(): AuthPlan['scheme'] {
    if (!this.credentials || !this.enabled) return 'none';
    if (this.options.mode === 'basic' || this.basicAccepted) return 'basic';
    if (this.digest) return 'digest';
    return 'none';
  }
}

function basic(credentials: Credentials): string {
  return buildBasicAuthorization(credentials.username, credentials.password);
}
