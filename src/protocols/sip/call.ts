/**
 * One incoming call (RFC 3261 §12-§15 as a UAS): ring, pick up with an SDP answer, hang up with
 * a BYE, or have the caller cancel or hang up. The stack does the transactions; this is the
 * dialog on top — tags, the remote target, our CSeq, and where a BYE must go.
 *
 * A door station calls us; it sends its INVITE to a phone that has one call at a time, so the
 * owner of calls (the doorbell module) keeps a table by Call-ID and hands in-dialog requests
 * (BYE, re-INVITE, INFO) to `receive`.
 */
import { formatUri, header, headers, parseNameAddr, tagOf } from './headers.ts';
import { buildRequest } from './message.ts';
import type { IncomingRequest, SipStack } from './stack.ts';
import { realTimers, type TimerHandle } from './timers.ts';
import type { SipPeer, SipRequest } from './types.ts';

export type CallPhase = 'ringing' | 'answering' | 'connected' | 'ended';

/**
 * How long a hang-up right after our answer waits for the ACK before its BYE. The stack gives
 * up on an unacknowledged 2xx after 64*T1 and tells us sooner; this only bounds the wait when the
 * stack was closed meanwhile (64 * the default T1 of 500 ms).
 */
const ACK_WAIT_LIMIT_MS = 32_000;

/** Why a call ended, for the ring event's end and the logs. */
export type CallEndReason =
  | 'cancelled'
  | 'remote-hang-up'
  | 'hung-up'
  | 'declined'
  | 'unacknowledged'
  | 'failed';

export interface IncomingCallOptions {
  stack: SipStack;
  /** The INVITE, fresh from the stack's onRequest. */
  invite: IncomingRequest;
  /** Our Contact URI, e.g. `sip:10102@192.168.0.114:5060`. */
  contact: string;
  onConnected?: () => void;
  onEnded?: (reason: CallEndReason, detail: string | null) => void;
}

export class IncomingCall {
  readonly callId: string;
  readonly remoteTag: string | null;
  private phaseValue: CallPhase = 'ringing';
  private localSeq = Math.floor(Math.random() * 10_000) + 1;
  private answeredSdp: string | null = null;
  /** Where in-dialog requests go: the INVITE's Contact, replaced by a re-INVITE's (§12.2.2). */
  private remoteTarget: string;
  private readonly routeSet: string[];
  /** Settles when our 2xx was acknowledged or given up on. */
  private readonly acknowledged: Promise<void>;
  private settleAcknowledged!: () => void;

  constructor(private readonly options: IncomingCallOptions) {
    const request = options.invite.request;
    this.callId = header(request, 'Call-ID') ?? '';
    this.remoteTag = tagOf(header(request, 'From'));
    this.remoteTarget = remoteTargetOf(request);
    // §12.1.1: the UAS keeps the Record-Route values in order as its route set.
    this.routeSet = headers(request, 'Record-Route');
    this.acknowledged = new Promise((resolve) => {
      this.settleAcknowledged = resolve;
    });
    options.invite.onCancel(() => this.end('cancelled', 'the caller hung up before an answer'));
    options.invite.onAck(() => {
      this.settleAcknowledged();
      if (this.phaseValue !== 'answering') return;
      this.phaseValue = 'connected';
      options.onConnected?.();
    });
    options.invite.onUnacknowledged(() => {
      this.settleAcknowledged();
      // Ended already: a hangUp() is waiting on `acknowledged` and sends the one BYE.
      if (this.phaseValue === 'ended') return;
      this.sendBye().catch(() => {});
      this.end('unacknowledged', 'the caller never acknowledged our answer');
    });
  }

  get phase(): CallPhase {
    return this.phaseValue;
  }

  get localTag(): string {
    return this.options.invite.toTag;
  }

  /** The caller's SDP offer (the INVITE body). */
  get offer(): Buffer {
    return this.options.invite.request.body;
  }

  /** Where the INVITE came from. */
  get peer(): SipPeer {
    return this.options.invite.peer;
  }

  /** The caller's user (the doorbell's phone number) from From. */
  get caller(): string | null {
    try {
      return parseNameAddr(header(this.options.invite.request, 'From') ?? '').uri.user;
    } catch {
      return null;
    }
  }

  /** 180 Ringing: the doorbell now shows the call is ringing at the other end. */
  ring(): void {
    if (this.phaseValue !== 'ringing') return;
    this.options.invite.reply(180, 'Ringing', { headers: this.contactHeaders() });
  }

  /** Picks up: 200 with our SDP answer. False when the call is no longer ringing. */
  answer(sdp: string): boolean {
    if (this.phaseValue !== 'ringing') return false;
    const sent = this.options.invite.reply(200, 'OK', {
      headers: [...this.contactHeaders(), { name: 'Content-Type', value: 'application/sdp' }],
      body: Buffer.from(sdp),
    });
    if (!sent) return false;
    this.answeredSdp = sdp;
    this.phaseValue = 'answering';
    return true;
  }

  /** Turns the call down while it rings (603 Decline by default). */
  decline(status = 603, reason = 'Decline'): boolean {
    if (this.phaseValue !== 'ringing') return false;
    if (!this.options.invite.reply(status, reason)) return false;
    this.end('declined', `we answered ${status} ${reason}`);
    return true;
  }

  /** Ends a call we picked up (BYE) or turns down one that rings; resolves once the BYE is answered. */
  async hangUp(): Promise<void> {
    if (this.phaseValue === 'ringing') {
      this.decline();
      return;
    }
    if (this.phaseValue === 'ended') return;
    const unacknowledged = this.phaseValue === 'answering';
    this.end('hung-up', null);
    // §15: no BYE before the ACK for our 2xx (or the give-up on it); it would cross the ACK.
    if (unacknowledged) await this.untilAcknowledged();
    await this.sendBye();
  }

  /** True when `request` belongs to this dialog (same Call-ID, the caller's tag as From tag). */
  matches(request: SipRequest): boolean {
    if (header(request, 'Call-ID') !== this.callId) return false;
    try {
      return tagOf(header(request, 'From')) === this.remoteTag;
    } catch {
      return false;
    }
  }

  /** Answers an in-dialog request from the caller: BYE ends the call, a re-INVITE keeps our answer. */
  receive(incoming: IncomingRequest): void {
    const method = incoming.method;
    if (method === 'BYE') {
      incoming.reply(200);
      // §15.1.2: a BYE before our answer still leaves the INVITE to be answered: 487.
      this.options.invite.reply(487);
      this.end('remote-hang-up', 'the caller hung up');
      return;
    }
    if (method === 'INVITE') {
      // A session refresh or hold: we keep what we agreed, and say so (§14.2).
      if (this.answeredSdp === null || this.phaseValue === 'ended') {
        incoming.reply(this.phaseValue === 'ended' ? 481 : 491);
        return;
      }
      incoming.reply(200, 'OK', {
        headers: [...this.contactHeaders(), { name: 'Content-Type', value: 'application/sdp' }],
        body: Buffer.from(this.answeredSdp),
      });
      // A target refresh (§12.2.2): the caller may have moved; BYE goes to its new Contact.
      this.remoteTarget = contactUriOf(incoming.request) ?? this.remoteTarget;
      return;
    }
    incoming.reply(this.phaseValue === 'ended' ? 481 : 200);
  }

  private async untilAcknowledged(): Promise<void> {
    let timer: TimerHandle | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = realTimers.setTimeout(resolve, ACK_WAIT_LIMIT_MS);
    });
    await Promise.race([this.acknowledged, limit]);
    realTimers.clearTimeout(timer!);
  }

  private end(reason: CallEndReason, detail: string | null): void {
    if (this.phaseValue === 'ended') return;
    this.phaseValue = 'ended';
    this.options.onEnded?.(reason, detail);
  }

  /** §15.1.1 / §12.2.1.1: BYE to the remote target along the route set, From and To from our side. */
  private async sendBye(): Promise<void> {
    const request = this.options.invite.request;
    const from = header(request, 'To') ?? '';
    const ourSide = tagOf(from) === null ? `${from};tag=${this.localTag}` : from;
    const bye = buildRequest({
      method: 'BYE',
      // Loose routing (§16.12): the remote target stays the Request-URI, the route set goes in Route.
      uri: this.remoteTarget,
      headers: [
        { name: 'From', value: ourSide },
        { name: 'To', value: header(request, 'From') ?? '' },
        { name: 'Call-ID', value: this.callId },
        { name: 'CSeq', value: `${this.localSeq++} BYE` },
        ...this.routeSet.map((value) => ({ name: 'Route', value })),
        { name: 'User-Agent', value: 'hikbridge' },
      ],
    });
    await this.options.stack.request(bye, this.byePeer());
  }

  /** Through a proxy that stays in the path, BYE goes to it; otherwise straight to the caller's Contact. */
  private byePeer(): SipPeer {
    const peer = this.options.invite.peer;
    const target = this.routeSet[0] ? routeUri(this.routeSet[0]) : this.remoteTarget;
    try {
      const uri = parseNameAddr(target).uri;
      return { transport: peer.transport, address: uri.host, port: uri.port ?? 5060 };
    } catch {
      return peer;
    }
  }

  private contactHeaders() {
    return [{ name: 'Contact', value: `<${this.options.contact}>` }];
  }
}

/** The INVITE's Contact URI (the remote target, §12.1.1), else its From address. */
function remoteTargetOf(request: SipRequest): string {
  return contactUriOf(request) ?? formatUri(parseNameAddr(header(request, 'From') ?? '').uri);
}

/** A request's Contact URI; undefined when it has none or it is unreadable. */
function contactUriOf(request: SipRequest): string | undefined {
  try {
    const contact = header(request, 'Contact');
    if (contact !== undefined && contact !== '*') return formatUri(parseNameAddr(contact).uri);
  } catch {
    // none usable
  }
  return undefined;
}

function routeUri(route: string): string {
  return formatUri(parseNameAddr(route).uri);
}
