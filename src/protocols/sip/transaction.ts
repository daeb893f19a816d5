/**
 * RFC 3261 §17 transactions, with the RFC 6026 "Accepted" state on both INVITE sides so that a
 * retransmitted INVITE after a 2xx is absorbed rather than seen as a new call, and 2xx
 * retransmissions reach the UAC's dialog layer (which sends the end-to-end ACK).
 *
 * A transaction knows nothing of sockets: it gets a `send` function bound to its peer, whether
 * that transport is reliable (TCP: no retransmissions, no lingering states), the timer values
 * and a timer source. Its owner (the stack) routes matching messages to it and removes it from
 * its table when `onTerminated` fires.
 */
import { formatUri, header, headerKey, headers as headerValues, parseNameAddr } from './headers.ts';
import { buildResponse } from './message.ts';
import {
  nextRetransmitInterval,
  type SipTimerConfig,
  type TimerHandle,
  type TimerSource,
  transactionTimeoutMs,
} from './timers.ts';
import type { SipHeader, SipMessage, SipRequest, SipResponse } from './types.ts';

export interface TransactionContext {
  timers: SipTimerConfig;
  clock: TimerSource;
  /** TCP: the transport retransmits, so the transaction does not and its wait states end at once. */
  reliable: boolean;
  /** Hands a message to the transport towards this transaction's peer; rejects on a transport error. */
  send: (message: SipMessage) => Promise<void>;
}

export type TransactionState =
  | 'calling'
  | 'trying'
  | 'proceeding'
  | 'completed'
  | 'accepted'
  | 'confirmed'
  | 'terminated';

/** Why a transaction ended without the normal path. */
export type TransactionFailure = 'timeout' | 'transport-error';

/** Timer bookkeeping and the terminated state every transaction shares. */
abstract class Transaction {
  state: TransactionState;
  private readonly scheduled = new Map<string, TimerHandle>();
  private readonly terminatedListeners: Array<() => void> = [];

  protected constructor(
    protected readonly context: TransactionContext,
    initial: TransactionState,
  ) {
    this.state = initial;
  }

  /** Called once when the transaction is over (the owner drops it from its table). */
  onTerminated(listener: () => void): void {
    if (this.state === 'terminated') listener();
    else this.terminatedListeners.push(listener);
  }

  /** Ends the transaction at once, cancelling its timers (the stack's close, or a TU abort). */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    for (const handle of this.scheduled.values()) this.context.clock.clearTimeout(handle);
    this.scheduled.clear();
    for (const listener of this.terminatedListeners.splice(0)) listener();
  }

  protected schedule(name: string, ms: number, action: () => void): void {
    this.cancel(name);
    const handle = this.context.clock.setTimeout(() => {
      this.scheduled.delete(name);
      if (this.state !== 'terminated') action();
    }, ms);
    this.scheduled.set(name, handle);
  }

  protected cancel(name: string): void {
    const handle = this.scheduled.get(name);
    if (handle === undefined) return;
    this.context.clock.clearTimeout(handle);
    this.scheduled.delete(name);
  }

  /** Waits `ms` in the current state then terminates; 0 (reliable transports) terminates now. */
  protected lingerThenTerminate(name: string, ms: number): void {
    if (ms <= 0) this.terminate();
    else this.schedule(name, ms, () => this.terminate());
  }

  /** Sends; a transport failure ends the transaction and is reported through `failed`. */
  protected transmit(message: SipMessage): void {
    this.context.send(message).catch((error: unknown) => {
      if (this.state === 'terminated') return;
      this.failed('transport-error', error instanceof Error ? error : new Error(String(error)));
    });
  }

  protected abstract failed(reason: TransactionFailure, error?: Error): void;
}

// ---------------------------------------------------------------------------------------------
// Client transactions

export interface ClientTransactionUser {
  /** Every response the TU must see: provisional, final, and (INVITE) 2xx retransmissions. */
  onResponse(response: SipResponse): void;
  /** Timer B or F fired (or the INVITE stayed unanswered past `proceedingTimeoutMs`), or the transport failed. */
  onFailure(reason: TransactionFailure, error?: Error): void;
}

export interface ClientTransactionOptions {
  /** INVITE only: give up when no final response arrives this long after a provisional one (default 180 s). */
  proceedingTimeoutMs?: number;
}

export const DEFAULT_PROCEEDING_TIMEOUT_MS = 180_000;

/** §17.1.1: INVITE client transaction (timers A, B, D; RFC 6026 timer M). */
export class InviteClientTransaction extends Transaction {
  private ack: SipRequest | undefined;
  private retransmitIntervalMs: number;

  constructor(
    readonly request: SipRequest,
    context: TransactionContext,
    private readonly user: ClientTransactionUser,
    private readonly options: ClientTransactionOptions = {},
  ) {
    super(context, 'calling');
    this.retransmitIntervalMs = context.timers.t1Ms;
  }

  start(): void {
    this.transmit(this.request);
    if (!this.context.reliable) this.schedule('A', this.retransmitIntervalMs, () => this.retransmitInvite());
    this.schedule('B', transactionTimeoutMs(this.context.timers), () => this.failed('timeout'));
  }

  receive(response: SipResponse): void {
    if (response.status < 200) this.receiveProvisional(response);
    else if (response.status < 300) this.receiveSuccess(response);
    else this.receiveFailure(response);
  }

  private retransmitInvite(): void {
    if (this.state !== 'calling') return;
    this.transmit(this.request);
    // Timer A doubles without a cap: timer B ends the sequence.
    this.retransmitIntervalMs *= 2;
    this.schedule('A', this.retransmitIntervalMs, () => this.retransmitInvite());
  }

  private receiveProvisional(response: SipResponse): void {
    if (this.state !== 'calling' && this.state !== 'proceeding') return;
    if (this.state === 'calling') {
      this.state = 'proceeding';
      this.cancel('A');
      this.cancel('B');
    }
    // The TU gives up on a call that rings forever; restarting on each provisional keeps a
    // call alive while the far end keeps saying it is still working.
    this.schedule('proceeding', this.options.proceedingTimeoutMs ?? DEFAULT_PROCEEDING_TIMEOUT_MS, () =>
      this.failed('timeout'),
    );
    this.user.onResponse(response);
  }

  private receiveSuccess(response: SipResponse): void {
    if (this.state === 'calling' || this.state === 'proceeding') {
      this.state = 'accepted';
      this.cancelAll(['A', 'B', 'proceeding']);
      // RFC 6026 timer M: 2xx retransmissions (and forked 2xx) still reach the TU, which ACKs them.
      this.schedule('M', transactionTimeoutMs(this.context.timers), () => this.terminate());
      this.user.onResponse(response);
    } else if (this.state === 'accepted') {
      this.user.onResponse(response);
    }
  }

  private receiveFailure(response: SipResponse): void {
    if (this.state === 'calling' || this.state === 'proceeding') {
      this.state = 'completed';
      this.cancelAll(['A', 'B', 'proceeding']);
      this.ack = buildAckForFailure(this.request, response);
      this.transmit(this.ack);
      this.lingerThenTerminate('D', this.context.reliable ? 0 : this.context.timers.timerDMs);
      this.user.onResponse(response);
    } else if (this.state === 'completed' && this.ack) {
      // The server did not get our ACK: send it again, the TU has seen this response already.
      this.transmit(this.ack);
    }
  }

  private cancelAll(names: string[]): void {
    for (const name of names) this.cancel(name);
  }

  protected failed(reason: TransactionFailure, error?: Error): void {
    // After a final response the TU has its answer: a late transport error only ends the wait.
    const answered = this.state === 'completed' || this.state === 'accepted';
    this.terminate();
    if (!answered) this.user.onFailure(reason, error);
  }
}

/** §17.1.2: non-INVITE client transaction (timers E, F, K). */
export class NonInviteClientTransaction extends Transaction {
  private retransmitIntervalMs: number;

  constructor(
    readonly request: SipRequest,
    context: TransactionContext,
    private readonly user: ClientTransactionUser,
  ) {
    super(context, 'trying');
    this.retransmitIntervalMs = context.timers.t1Ms;
  }

  start(): void {
    this.transmit(this.request);
    if (!this.context.reliable) this.schedule('E', this.retransmitIntervalMs, () => this.retransmitRequest());
    this.schedule('F', transactionTimeoutMs(this.context.timers), () => this.failed('timeout'));
  }

  receive(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    if (response.status < 200) {
      this.state = 'proceeding';
    } else {
      this.state = 'completed';
      this.cancel('E');
      this.cancel('F');
      this.lingerThenTerminate('K', this.context.reliable ? 0 : this.context.timers.t4Ms);
    }
    this.user.onResponse(response);
  }

  private retransmitRequest(): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transmit(this.request);
    // In Proceeding the server is known to be alive: retransmit at the T2 pace (§17.1.2.2).
    this.retransmitIntervalMs =
      this.state === 'proceeding'
        ? this.context.timers.t2Ms
        : nextRetransmitInterval(this.retransmitIntervalMs, this.context.timers);
    this.schedule('E', this.retransmitIntervalMs, () => this.retransmitRequest());
  }

  protected failed(reason: TransactionFailure, error?: Error): void {
    const answered = this.state === 'completed';
    this.terminate();
    if (!answered) this.user.onFailure(reason, error);
  }
}

// ---------------------------------------------------------------------------------------------
// Server transactions

export interface ServerTransactionUser {
  /** INVITE: timer H fired (no ACK for a non-2xx final), or the transport failed while sending. */
  onFailure?(reason: TransactionFailure, error?: Error): void;
  /** INVITE in Accepted: an ACK that matched this transaction (rare: ACKs for 2xx carry a new branch). */
  onAck?(ack: SipRequest): void;
}

/** §17.2.1: INVITE server transaction (100 Trying, timers G, H, I; RFC 6026 timer L). */
export class InviteServerTransaction extends Transaction {
  private lastResponse: SipResponse | undefined;
  private retransmitIntervalMs: number;
  user: ServerTransactionUser = {};

  constructor(
    readonly request: SipRequest,
    context: TransactionContext,
  ) {
    super(context, 'proceeding');
    this.retransmitIntervalMs = context.timers.t1Ms;
  }

  /** Starts the 100 Trying clock (§17.2.1: at once, or when the TU is slower than 200 ms). */
  start(): void {
    const delay = this.context.timers.tryingDelayMs;
    if (delay <= 0) this.sendTrying();
    else this.schedule('trying', delay, () => this.sendTrying());
  }

  /** True until a final response was sent. */
  get awaitingFinal(): boolean {
    return this.state === 'proceeding';
  }

  get finalResponse(): SipResponse | undefined {
    return this.lastResponse && this.lastResponse.status >= 200 ? this.lastResponse : undefined;
  }

  /** The TU's response. Throws when the transaction can no longer send it. */
  respond(response: SipResponse): void {
    if (this.state === 'accepted' && response.status >= 200 && response.status < 300) {
      // The TU retransmits its 2xx itself (§13.3.1.4); RFC 6026 lets it through here.
      this.transmit(response);
      return;
    }
    if (this.state !== 'proceeding') throw new Error(`INVITE transaction is ${this.state}: cannot respond`);
    this.cancel('trying');
    this.lastResponse = response;
    this.transmit(response);
    if (response.status < 200) return;
    if (response.status < 300) {
      this.state = 'accepted';
      this.schedule('L', transactionTimeoutMs(this.context.timers), () => this.terminate());
      return;
    }
    this.state = 'completed';
    if (!this.context.reliable) this.schedule('G', this.retransmitIntervalMs, () => this.retransmitFinal());
    this.schedule('H', transactionTimeoutMs(this.context.timers), () => this.failed('timeout'));
  }

  /** A retransmission of the INVITE (same branch): answered with the last response, never passed up. */
  receiveRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) {
      this.transmit(this.lastResponse);
    }
  }

  /** An ACK with this transaction's branch: the end of a non-2xx exchange. */
  receiveAck(ack: SipRequest): void {
    if (this.state === 'completed') {
      this.state = 'confirmed';
      this.cancel('G');
      this.cancel('H');
      this.lingerThenTerminate('I', this.context.reliable ? 0 : this.context.timers.t4Ms);
    } else if (this.state === 'accepted') {
      this.user.onAck?.(ack);
    }
  }

  private sendTrying(): void {
    if (this.state !== 'proceeding' || this.lastResponse) return;
    this.lastResponse = buildTrying(this.request);
    this.transmit(this.lastResponse);
  }

  private retransmitFinal(): void {
    if (this.state !== 'completed' || !this.lastResponse) return;
    this.transmit(this.lastResponse);
    this.retransmitIntervalMs = nextRetransmitInterval(this.retransmitIntervalMs, this.context.timers);
    this.schedule('G', this.retransmitIntervalMs, () => this.retransmitFinal());
  }

  protected failed(reason: TransactionFailure, error?: Error): void {
    this.terminate();
    this.user.onFailure?.(reason, error);
  }
}

/** §17.2.2: non-INVITE server transaction (timer J). */
export class NonInviteServerTransaction extends Transaction {
  private lastResponse: SipResponse | undefined;
  user: ServerTransactionUser = {};

  constructor(
    readonly request: SipRequest,
    context: TransactionContext,
  ) {
    super(context, 'trying');
  }

  /**
   * The client gives up after 64*T1 (timer F); a TU that never answers would otherwise keep
   * this transaction forever.
   */
  start(): void {
    this.schedule('unanswered', transactionTimeoutMs(this.context.timers), () => this.failed('timeout'));
  }

  get awaitingFinal(): boolean {
    return this.state === 'trying' || this.state === 'proceeding';
  }

  get finalResponse(): SipResponse | undefined {
    return this.lastResponse && this.lastResponse.status >= 200 ? this.lastResponse : undefined;
  }

  respond(response: SipResponse): void {
    if (!this.awaitingFinal)
      throw new Error(`${this.request.method} transaction is ${this.state}: cannot respond`);
    this.lastResponse = response;
    this.transmit(response);
    if (response.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.state = 'completed';
    this.cancel('unanswered');
    this.lingerThenTerminate('J', this.context.reliable ? 0 : transactionTimeoutMs(this.context.timers));
  }

  receiveRetransmission(): void {
    // In Trying nothing was sent yet: the retransmission is simply absorbed.
    if (this.lastResponse) this.transmit(this.lastResponse);
  }

  protected failed(reason: TransactionFailure, error?: Error): void {
    this.terminate();
    this.user.onFailure?.(reason, error);
  }
}

// ---------------------------------------------------------------------------------------------
// 2xx to INVITE: the UAS core retransmits it until the ACK (§13.3.1.4)

export interface SuccessRetransmitterOptions {
  timers: SipTimerConfig;
  clock: TimerSource;
  send: (response: SipResponse) => Promise<void>;
  /** No ACK after 64*T1: the dialog should be ended with a BYE. */
  onGiveUp: () => void;
  /** A send failed; retransmission stops. */
  onTransportError?: (error: Error) => void;
}

/**
 * Re-sends a 2xx to INVITE at T1, 2*T1... capped at T2, until `acknowledge()` or 64*T1. The
 * transport (UDP or TCP) makes no difference here: the ACK is end-to-end.
 */
export class SuccessRetransmitter {
  private intervalMs: number;
  private retransmitTimer: TimerHandle | undefined;
  private giveUpTimer: TimerHandle | undefined;
  private done = false;
  /** Times the 2xx was re-sent (the first send is the caller's). */
  retransmissions = 0;

  constructor(
    readonly response: SipResponse,
    private readonly options: SuccessRetransmitterOptions,
  ) {
    this.intervalMs = options.timers.t1Ms;
  }

  start(): void {
    this.scheduleNext();
    this.giveUpTimer = this.options.clock.setTimeout(() => {
      this.stop();
      this.options.onGiveUp();
    }, transactionTimeoutMs(this.options.timers));
  }

  get active(): boolean {
    return !this.done;
  }

  /** The ACK arrived (or the dialog ended): stop re-sending. */
  acknowledge(): void {
    this.stop();
  }

  private scheduleNext(): void {
    this.retransmitTimer = this.options.clock.setTimeout(() => {
      if (this.done) return;
      this.retransmissions += 1;
      this.options.send(this.response).catch((error: unknown) => {
        if (this.done) return;
        this.stop();
        this.options.onTransportError?.(error instanceof Error ? error : new Error(String(error)));
      });
      this.intervalMs = nextRetransmitInterval(this.intervalMs, this.options.timers);
      this.scheduleNext();
    }, this.intervalMs);
  }

  private stop(): void {
    if (this.done) return;
    this.done = true;
    if (this.retransmitTimer !== undefined) this.options.clock.clearTimeout(this.retransmitTimer);
    if (this.giveUpTimer !== undefined) this.options.clock.clearTimeout(this.giveUpTimer);
  }
}

// ---------------------------------------------------------------------------------------------
// Messages the transaction layer builds itself

function copyHeaders(message: SipMessage, names: string[]): SipHeader[] {
  const wanted = new Set(names.map(headerKey));
  return message.headers.filter((entry) => wanted.has(headerKey(entry.name))).map((entry) => ({ ...entry }));
}

function cseqNumber(message: SipMessage): string {
  return (header(message, 'CSeq') ?? '').split(/\s+/)[0] ?? '';
}

/**
 * §17.1.1.3: the ACK an INVITE client transaction sends for a 300-699 response: the request's
 * URI, Call-ID, From, top Via and Route, the response's To (with its tag), CSeq number + ACK.
 */
export function buildAckForFailure(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: SipHeader[] = [];
  const via = header(invite, 'Via');
  if (via !== undefined) headers.push({ name: 'Via', value: via });
  headers.push(...copyHeaders(invite, ['From']));
  const to = header(response, 'To');
  if (to !== undefined) headers.push({ name: 'To', value: to });
  headers.push(...copyHeaders(invite, ['Call-ID']));
  headers.push({ name: 'CSeq', value: `${cseqNumber(invite)} ACK` });
  headers.push({ name: 'Max-Forwards', value: '70' });
  headers.push(...copyHeaders(invite, ['Route']));
  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/**
 * §13.2.2.4: the ACK a UAC sends for a 2xx (end to end, a transaction of its own): to the 2xx's
 * Contact, along the reversed Record-Route, with the INVITE's From, Call-ID and CSeq number and
 * the 2xx's To. It has no Via yet: the stack adds one with a new branch when it is sent.
 */
export function buildAckForSuccess(invite: SipRequest, response: SipResponse): SipRequest {
  const contact = header(response, 'Contact');
  let uri = invite.uri;
  try {
    if (contact !== undefined && contact !== '*') uri = formatUri(parseNameAddr(contact).uri);
  } catch {
    // An unreadable Contact: the INVITE's Request-URI is the best target left.
  }
  const headers: SipHeader[] = [...copyHeaders(invite, ['From'])];
  const to = header(response, 'To');
  if (to !== undefined) headers.push({ name: 'To', value: to });
  headers.push(...copyHeaders(invite, ['Call-ID']));
  headers.push({ name: 'CSeq', value: `${cseqNumber(invite)} ACK` });
  headers.push({ name: 'Max-Forwards', value: '70' });
  for (const route of headerValues(response, 'Record-Route').reverse())
    headers.push({ name: 'Route', value: route });
  return { kind: 'request', method: 'ACK', uri, headers, body: Buffer.alloc(0) };
}

/**
 * §9.1: the CANCEL for an INVITE: same URI, top Via (so it reaches the same server
 * transaction), From, To, Call-ID and CSeq number, and its Route headers.
 */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers: SipHeader[] = [];
  const via = header(invite, 'Via');
  if (via !== undefined) headers.push({ name: 'Via', value: via });
  headers.push(...copyHeaders(invite, ['From', 'To', 'Call-ID']));
  headers.push({ name: 'CSeq', value: `${cseqNumber(invite)} CANCEL` });
  headers.push({ name: 'Max-Forwards', value: '70' });
  headers.push(...copyHeaders(invite, ['Route']));
  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/** §8.2.6.1: 100 Trying copies Via, From, To, Call-ID, CSeq and Timestamp, and adds no To tag. */
export function buildTrying(request: SipRequest): SipResponse {
  return buildResponse(request, 100, 'Trying');
}
