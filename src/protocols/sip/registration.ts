/**
 * Registering as a phone with a SIP registrar (a PBX): REGISTER with digest authentication on
 * 401/407, a refresh before the granted expiry runs out (RFC 3261 §10.2.4; the plugin we
 * replace never refreshed, so its phone fell off the PBX after `Expires`), retries with back-off
 * while the registrar is down or refuses us, and an un-REGISTER (Expires: 0) on stop.
 *
 * One Call-ID for the whole registration and a CSeq that only grows (§10.2), so a registrar can
 * tell our refreshes from a stale copy.
 */
import { authorize, challengeOf } from './digest.ts';
import { contactsOf, expiresOf, formatHost, header, newCallId, newTag } from './headers.ts';
import { buildRequest } from './message.ts';
import type { SipStack } from './stack.ts';
import { realTimers, type TimerHandle, type TimerSource } from './timers.ts';
import type { SipPeer, SipResponse } from './types.ts';

export type RegistrationState = 'registering' | 'registered' | 'retrying' | 'stopped';

export interface RegistrationStatus {
  state: RegistrationState;
  /** Seconds the registrar granted at the last success. */
  grantedSeconds: number | null;
  /** When the last success happened and when it runs out (ms since the epoch). */
  registeredAt: number | null;
  expiresAt: number | null;
  /** What went wrong last, in words (no secret); null after a success. */
  lastError: string | null;
  /** Successful REGISTERs so far (the first one and the refreshes). */
  registrations: number;
}

export interface RegistrationOptions {
  stack: SipStack;
  /** Where REGISTER goes. */
  registrar: SipPeer;
  /** Our phone number or SIP user (the address-of-record's user). */
  user: string;
  /** The address-of-record's host (default: the registrar's address). */
  domain?: string;
  /** Digest credentials; `username` defaults to `user`. */
  credentials?: { username?: string; password: string };
  /** Expires we ask for (the registrar may grant less, or ask for more with 423). */
  expiresSeconds: number;
  /** Refresh when this fraction of the granted time has passed (default 0.5). */
  refreshFraction?: number;
  /** Back-off after a failure: from `minMs` doubling to `maxMs` (defaults 2 s, 60 s). */
  retry?: { minMs: number; maxMs: number };
  clock?: TimerSource;
  now?: () => number;
  onChange?: (status: RegistrationStatus) => void;
}

const DEFAULT_RETRY = { minMs: 2_000, maxMs: 60_000 };
/** Never refresh later than this before expiry, whatever the fraction says (a slow PBX must not lose us). */
const REFRESH_MARGIN_SECONDS = 5;

export class SipRegistration {
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 1;
  private timer: TimerHandle | undefined;
  private failures = 0;
  private running = false;
  private inFlight: Promise<void> | undefined;
  private requestedSeconds: number;
  private current: RegistrationStatus = {
    state: 'stopped',
    grantedSeconds: null,
    registeredAt: null,
    expiresAt: null,
    lastError: null,
    registrations: 0,
  };

  constructor(private readonly options: RegistrationOptions) {
    this.callId = newCallId(options.stack.advertisedHost);
    this.requestedSeconds = options.expiresSeconds;
  }

  get status(): RegistrationStatus {
    return { ...this.current };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops refreshing and removes our binding (Expires: 0), best effort. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.inFlight?.catch(() => {});
    // After a failed attempt the registrar is not answering us: an un-REGISTER would only wait
    // out another 64*T1 before the caller may close its stack.
    if (this.current.state === 'registered' && this.current.lastError === null) {
      await this.send(0).catch(() => {});
    }
    this.update({ state: 'stopped', expiresAt: null });
  }

  private get clock(): TimerSource {
    return this.options.clock ?? realTimers;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.inFlight = this.register();
    }, ms);
  }

  private async register(): Promise<void> {
    if (!this.running) return;
    // Only the first attempt says "registering": a retry stays "retrying" (with its last error)
    // and a refresh stays "registered", so a status page does not flicker on every attempt.
    if (this.current.state === 'stopped') this.update({ state: 'registering' });
    try {
      const granted = await this.send(this.requestedSeconds);
      if (!this.running) return;
      this.failures = 0;
      const at = this.now();
      this.update({
        state: 'registered',
        grantedSeconds: granted,
        registeredAt: at,
        expiresAt: at + granted * 1000,
        lastError: null,
        registrations: this.current.registrations + 1,
      });
      this.schedule(refreshDelayMs(granted, this.options.refreshFraction ?? 0.5));
    } catch (error) {
      if (!this.running) return;
      this.failures += 1;
      const retry = this.options.retry ?? DEFAULT_RETRY;
      const delay = Math.min(retry.maxMs, retry.minMs * 2 ** Math.min(this.failures - 1, 16));
      // A binding that has not run out yet still routes calls to us: keep saying so until it does.
      const stillBound = this.current.expiresAt !== null && this.current.expiresAt > this.now();
      this.update({
        state: stillBound ? 'registered' : 'retrying',
        lastError: (error as Error).message,
      });
      this.schedule(stillBound ? Math.min(delay, this.current.expiresAt! - this.now()) : delay);
    }
  }

  /** One REGISTER (with a digest retry and a 423 retry); resolves with the granted seconds. */
  private async send(expires: number): Promise<number> {
    let response = await this.request(expires);
    const challenge = challengeOf(response);
    if (challenge) {
      const credentials = this.options.credentials;
      if (!credentials) throw new RegistrationError('the registrar asks for a password and none is set');
      response = await this.request(expires, (uri) =>
        authorize({
          challenge,
          username: credentials.username ?? this.options.user,
          password: credentials.password,
          method: 'REGISTER',
          uri,
        }),
      );
      if (challengeOf(response)) {
        throw new RegistrationError(
          `the registrar refused the user name or password (${response.status} ${response.reason})`,
        );
      }
    }
    if (response.status === 423) {
      const minimum = Number(header(response, 'Min-Expires'));
      if (!Number.isInteger(minimum) || minimum <= expires || minimum > 86_400) {
        throw new RegistrationError('the registrar wants a longer registration than it says (423)');
      }
      this.requestedSeconds = minimum;
      return this.send(minimum);
    }
    if (response.status < 200 || response.status >= 300) {
      throw new RegistrationError(`the registrar answered ${response.status} ${response.reason}`);
    }
    return expires === 0 ? 0 : this.grantedSeconds(response, expires);
  }

  private request(
    expires: number,
    auth?: (uri: string) => { name: string; value: string },
  ): Promise<SipResponse> {
    const { stack, registrar, user } = this.options;
    const domain = this.options.domain ?? registrar.address;
    const uri = `sip:${formatHost(domain)}${registrar.port === 5060 ? '' : `:${registrar.port}`}`;
    const aor = `<sip:${user}@${formatHost(domain)}>`;
    const contact = `<sip:${user}@${formatHost(stack.advertisedHost)}:${stack.port}${
      registrar.transport === 'tcp' ? ';transport=tcp' : ''
    }>`;
    const headers = [
      { name: 'From', value: `${aor};tag=${this.fromTag}` },
      { name: 'To', value: aor },
      { name: 'Call-ID', value: this.callId },
      { name: 'CSeq', value: `${this.cseq++} REGISTER` },
      { name: 'Contact', value: contact },
      { name: 'Expires', value: String(expires) },
      { name: 'User-Agent', value: 'hikbridge' },
    ];
    if (auth) headers.push(auth(uri));
    return stack.request(buildRequest({ method: 'REGISTER', uri, headers }), registrar);
  }

  /** What the 200 granted for our Contact (its `expires`), else its Expires, else what we asked. */
  private grantedSeconds(response: SipResponse, asked: number): number {
    const { stack } = this.options;
    const contacts = contactsOf(response);
    const ours =
      contacts === '*'
        ? undefined
        : contacts.find(
            (each) => each.uri.host === stack.advertisedHost && (each.uri.port ?? 5060) === stack.port,
          );
    const granted = expiresOf(response, ours) ?? asked;
    return granted > 0 ? granted : asked;
  }

  private update(patch: Partial<RegistrationStatus>): void {
    this.current = { ...this.current, ...patch };
    this.options.onChange?.(this.status);
  }
}

export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
}

/** When to refresh a registration granted for `seconds`: at the fraction, and at least a margin early. */
export function refreshDelayMs(seconds: number, fraction: number): number {
  const byFraction = seconds * fraction;
  const byMargin = seconds - REFRESH_MARGIN_SECONDS;
  return Math.max(1, Math.round(Math.min(byFraction, Math.max(byMargin, seconds / 2)) * 1000));
}
