/**
 * The doorbell's requests: builds them (header order of the captured INVITE), runs each in its
 * client transaction, answers one digest challenge per request (the re-sent request takes the
 * next CSeq and a new branch), and builds CANCEL and ACK (RFC 3261 §9.1, §17.1.1.3, §13.2.2.4).
 */
import { answerChallenge, type DigestCredentials } from './digest.ts';
import {
  deviceNumber,
  formatHost,
  header,
  parseUri,
  type SipResponse,
  serialize,
  splitAddress,
  splitList,
  topBranch,
} from './message.ts';
import { ClientTransaction, type TimeoutCause } from './transaction.ts';
import type { SendFailure, SipPeer, SipTransportKind } from './transport.ts';

export const USER_AGENT = 'HKVS/2.0.0';

export interface OutgoingRequest {
  method: string;
  uri: string;
  /** Where the request goes. */
  peer: SipPeer;
  /** Full From value with our tag; To value (with the peer's tag inside a dialog). */
  from: string;
  to: string;
  callId: string;
  cseq: number;
  /** Headers after CSeq, in order (Contact, Content-Type, Max-Forwards...); Content-Length is added. */
  headers: Array<[string, string]>;
  body?: Buffer;
  /** When set, one 401/407 challenge is answered with these. */
  credentials?: DigestCredentials;
}

export interface SentRequest extends OutgoingRequest {
  branch: string;
  transaction: ClientTransaction;
  /** Carries an answer to a challenge already. */
  authorized: boolean;
}

export interface UacHandlers {
  onProvisional?: (response: SipResponse, request: SentRequest) => void;
  onFinal: (response: SipResponse, request: SentRequest) => void;
  onTimeout: (cause: TimeoutCause) => void;
  /** The request was sent again with credentials (new CSeq and branch): track this one now. */
  onResend?: (request: SentRequest) => void;
}

export interface UacLink {
  kind: SipTransportKind;
  /** The doorbell's address as it writes it in Via and Contact. */
  host: () => string;
  port: () => number;
  t1Ms: number;
  send: (peer: SipPeer, data: Buffer, onFailure?: SendFailure) => void;
}

/** Up to this many transactions are tracked at once; more means something loops. */
const MAX_TRANSACTIONS = 256;

export class SipUac {
  private readonly transactions = new Map<string, SentRequest>();
  /** Where the response being handled came from (the fallback target of a 2xx without Contact). */
  responsePeer: SipPeer = { host: '', port: 0 };

  constructor(private readonly link: UacLink) {}

  private via(branch: string): string {
    return `SIP/2.0/${this.link.kind.toUpperCase()} ${formatHost(this.link.host())}:${this.link.port()};rport;branch=${branch}`;
  }

  private head(
    request: OutgoingRequest,
    branch: string,
    method: string,
    seq: number,
  ): Array<[string, string]> {
    return [
      ['Via', this.via(branch)],
      ['From', request.from],
      ['To', request.to],
      ['Call-ID', request.callId],
      ['CSeq', `${seq} ${method}`],
    ];
  }

  send(request: OutgoingRequest, handlers: UacHandlers, authorized = false): SentRequest {
    const branch = `z9hG4bK${deviceNumber()}`;
    const data = serialize(
      `${request.method} ${request.uri} SIP/2.0`,
      [...this.head(request, branch, request.method, request.cseq), ...request.headers],
      request.body,
    );
    const sent = { ...request, branch, authorized } as SentRequest;
    const key = `${branch} ${request.method}`;
    sent.transaction = new ClientTransaction({
      method: request.method,
      reliable: this.link.kind === 'tcp',
      timers: { t1Ms: this.link.t1Ms },
      send: () => this.link.send(request.peer, data, () => sent.transaction.transportFailed()),
      onProvisional: (response) => handlers.onProvisional?.(response, sent),
      onFinal: (response) => this.onFinal(sent, response, handlers),
      onTimeout: (cause) => {
        this.transactions.delete(key);
        handlers.onTimeout(cause);
      },
      ackFor: request.method === 'INVITE' ? (response) => this.failureAck(sent, response) : undefined,
    });
    this.track(key, sent);
    sent.transaction.start();
    return sent;
  }

  private track(key: string, sent: SentRequest): void {
    if (this.transactions.size >= MAX_TRANSACTIONS) {
      const [oldest] = this.transactions;
      oldest?.[1].transaction.terminate();
      if (oldest) this.transactions.delete(oldest[0]);
    }
    this.transactions.set(key, sent);
  }

  private onFinal(sent: SentRequest, response: SipResponse, handlers: UacHandlers): void {
    const key = `${sent.branch} ${sent.method}`;
    // An INVITE's failure stays to ACK repeats of its answer; the rest is done.
    if (response.status < 300 || sent.method !== 'INVITE') this.transactions.delete(key);
    else setTimeout(() => this.transactions.delete(key), 64 * this.link.t1Ms).unref();
    const challenged = response.status === 401 || response.status === 407;
    if (challenged && sent.credentials && !sent.authorized) {
      const authorization = answerChallenge(response, sent.method, sent.uri, sent.credentials);
      if (authorization) {
        const { branch: _branch, transaction: _transaction, authorized: _authorized, ...request } = sent;
        const next: OutgoingRequest = {
          ...request,
          cseq: sent.cseq + 1,
          headers: [authorization, ...sent.headers],
        };
        handlers.onResend?.(this.send(next, handlers, true));
        return;
      }
    }
    handlers.onFinal(response, sent);
  }

  /** Routes a response to its transaction; false when none is waiting for it (a stray). */
  dispatch(response: SipResponse, from: SipPeer): boolean {
    this.responsePeer = from;
    const sent = this.transactions.get(`${topBranch(response)} ${response.cseq.method}`);
    if (!sent || sent.callId !== response.callId) return false;
    sent.transaction.receive(response);
    return true;
  }

  /** ACK for a 3xx-6xx answer to an INVITE: same branch, the answer's To (RFC 3261 §17.1.1.3). */
  private failureAck(invite: SentRequest, response: SipResponse): () => void {
    const data = serialize(`ACK ${invite.uri} SIP/2.0`, [
      ...this.head({ ...invite, to: header(response, 'to') ?? invite.to }, invite.branch, 'ACK', invite.cseq),
      ['Max-Forwards', '70'],
      ['User-Agent', USER_AGENT],
    ]);
    return () => this.link.send(invite.peer, data);
  }

  /** CANCEL of a pending INVITE: same Request-URI, branch, From, To, Call-ID and CSeq number. */
  cancel(invite: SentRequest, handlers: UacHandlers): void {
    const data = serialize(`CANCEL ${invite.uri} SIP/2.0`, [
      ...this.head(invite, invite.branch, 'CANCEL', invite.cseq),
      ['Max-Forwards', '70'],
      ['User-Agent', USER_AGENT],
    ]);
    const key = `${invite.branch} CANCEL`;
    const sent = { ...invite, method: 'CANCEL', authorized: true } as SentRequest;
    sent.transaction = new ClientTransaction({
      method: 'CANCEL',
      reliable: this.link.kind === 'tcp',
      timers: { t1Ms: this.link.t1Ms },
      send: () => this.link.send(invite.peer, data, () => sent.transaction.transportFailed()),
      onFinal: (response) => {
        this.transactions.delete(key);
        handlers.onFinal(response, sent);
      },
      onTimeout: (cause) => {
        this.transactions.delete(key);
        handlers.onTimeout(cause);
      },
    });
    this.track(key, sent);
    sent.transaction.start();
  }

  /**
   * ACK for a 2xx: a new branch, sent to the answer's Contact (RFC 3261 §13.2.2.4); `fallback` is
   * where the answer came from, used when its Contact is unusable. Returns a resend for repeats.
   */
  successAck(invite: SentRequest, response: SipResponse, fallback: SipPeer): () => void {
    const target = remoteTargetOf(response, fallback);
    const data = serialize(`ACK ${target.uri} SIP/2.0`, [
      ...this.head(
        { ...invite, to: header(response, 'to') ?? invite.to },
        `z9hG4bK${deviceNumber()}`,
        'ACK',
        invite.cseq,
      ),
      ['Max-Forwards', '70'],
      ['User-Agent', USER_AGENT],
    ]);
    const resend = () => this.link.send(target.peer, data);
    resend();
    return resend;
  }

  closeAll(): void {
    for (const sent of this.transactions.values()) sent.transaction.terminate();
    this.transactions.clear();
  }
}

/** The Contact of a 2xx (the dialog's remote target) and where to send to it. */
export function remoteTargetOf(response: SipResponse, fallback: SipPeer): { uri: string; peer: SipPeer } {
  const contact = header(response, 'contact');
  const first = contact === undefined ? undefined : splitList(contact)[0];
  const uriText = first === undefined ? undefined : splitAddress(first).uri;
  const uri = uriText ? parseUri(uriText) : undefined;
  if (!uriText || !uri) {
    return { uri: `sip:${formatHost(fallback.host)}:${fallback.port}`, peer: fallback };
  }
  return { uri: uriText, peer: { host: uri.host, port: uri.port ?? 5060 } };
}
