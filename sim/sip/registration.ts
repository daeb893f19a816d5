/**
 * The doorbell's registration with its SIP proxy (RFC 3261 §10.2): REGISTER with `Expires`, one
 * digest answer per REGISTER, a refresh at half the granted time, a 423 followed once per
 * request with the registrar's Min-Expires, and on failure a retry after a back-off (2·T1
 * doubling to 60·T1: 1 s to 30 s with the RFC's T1). One Call-ID and a growing CSeq for the
 * registration's life; a new target is a new registration.
 */
import type { SimRegisterStatus } from '../sip-settings.ts';
import {
  deviceNumber,
  formatHost,
  header,
  headerValues,
  parseUri,
  type SipResponse,
  splitAddress,
  splitList,
} from './message.ts';
import type { SipPeer } from './transport.ts';
import { type SentRequest, type SipUac, USER_AGENT } from './uac.ts';

export interface RegistrationTarget {
  proxy: string;
  proxyPort: number;
  userName: string;
  displayName: string;
  authId: string;
  password: string;
  expires: number;
}

export interface RegistrationLink {
  uac: SipUac;
  /** `sip:<user>@<our host>:<our port>`. */
  contactUri: (user: string) => string;
  t1Ms: number;
  onStatus: (status: SimRegisterStatus, registeredTo: string | null) => void;
}

/** From/To of the registration: the address-of-record at the registrar. */
export function addressOfRecord(target: RegistrationTarget): string {
  const uri = `<sip:${target.userName}@${formatHost(target.proxy)}:${target.proxyPort}>`;
  return target.displayName ? `"${target.displayName.replace(/["\\]/g, '')}" ${uri}` : uri;
}

export class SipRegistration {
  private readonly callId = deviceNumber();
  private readonly fromTag = deviceNumber();
  private cseq = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private registered = false;
  private backoffMs: number;
  private readonly peer: SipPeer;

  constructor(
    private readonly link: RegistrationLink,
    readonly target: RegistrationTarget,
  ) {
    this.backoffMs = 2 * link.t1Ms;
    this.peer = { host: target.proxy, port: target.proxyPort };
  }

  get registeredTo(): string | null {
    return this.registered ? `${formatHost(this.target.proxy)}:${this.target.proxyPort}` : null;
  }

  start(): void {
    this.link.onStatus('registering', null);
    this.send(this.target.expires);
  }

  /** Stops refreshing; `unregister`: a REGISTER with Expires: 0 when we are registered. */
  stop(unregister: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    if (unregister && this.registered) this.send(0);
    this.registered = false;
  }

  private send(expires: number, minExpiresFollowed = false): void {
    this.cseq += 1;
    const aor = addressOfRecord(this.target);
    this.link.uac.send(
      {
        method: 'REGISTER',
        uri: `sip:${formatHost(this.target.proxy)}:${this.target.proxyPort}`,
        peer: this.peer,
        from: `${aor};tag=${this.fromTag}`,
        to: aor,
        callId: this.callId,
        cseq: this.cseq,
        headers: [
          ['Contact', `<${this.link.contactUri(this.target.userName)}>`],
          ['Max-Forwards', '70'],
          ['User-Agent', USER_AGENT],
          ['Expires', String(expires)],
        ],
        credentials: { username: this.target.authId || this.target.userName, password: this.target.password },
      },
      {
        onResend: (request: SentRequest) => {
          this.cseq = request.cseq;
        },
        onFinal: (response) => this.onFinal(response, expires, minExpiresFollowed),
        onTimeout: () => this.fail(),
      },
    );
  }

  private onFinal(response: SipResponse, asked: number, minExpiresFollowed: boolean): void {
    if (this.stopped || asked === 0) return;
    if (response.status === 423 && !minExpiresFollowed) {
      const minimum = Number(header(response, 'min-expires'));
      if (Number.isInteger(minimum) && minimum > asked) {
        this.send(minimum, true);
        return;
      }
    }
    if (response.status < 200 || response.status >= 300) {
      this.fail();
      return;
    }
    const granted = this.grantedSeconds(response) ?? asked;
    this.registered = true;
    this.backoffMs = 2 * this.link.t1Ms;
    this.link.onStatus('registered', this.registeredTo);
    // Refresh at half the granted time (at least 1 s, so a tiny grant cannot make us spin).
    this.timer = setTimeout(() => this.send(asked), Math.max(1000, (granted * 1000) / 2));
  }

  /** Our Contact's `expires` in the 200, else its Expires header (RFC 3261 §10.2.4). */
  private grantedSeconds(response: SipResponse): number | undefined {
    const ours = parseUri(this.link.contactUri(this.target.userName));
    for (const value of headerValues(response, 'contact').flatMap(splitList)) {
      const { uri, params } = splitAddress(value);
      const theirs = parseUri(uri);
      const same = theirs && ours && theirs.host === ours.host && theirs.port === ours.port;
      if (same && params.expires !== undefined && /^\d+$/.test(params.expires)) return Number(params.expires);
    }
    const expires = header(response, 'expires');
    return expires !== undefined && /^\d+$/.test(expires) ? Number(expires) : undefined;
  }

  private fail(): void {
    if (this.stopped) return;
    this.registered = false;
    this.link.onStatus('failed', null);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.send(this.target.expires), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, 60 * this.link.t1Ms);
  }
}
