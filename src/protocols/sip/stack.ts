/**
 * A small SIP stack: one transport (UDP + TCP) and the transaction tables around it. As a UAC
 * it sends requests through client transactions; as a UAS it hands each new request to the app
 * once (retransmissions are absorbed by the server transactions), answers CANCEL, retransmits
 * 2xx to INVITE until the ACK, and answers what the app never sees: 400 to malformed requests
 * it can still answer (the rest are dropped), 501 to methods it was told not to accept, 503
 * when its tables are full, 481 to a CANCEL that matches nothing.
 *
 * Not here: dialogs, registrations, authentication, SDP — the layers above build those from
 * `request()`, `onRequest` and `send()`.
 */
import { networkInterfaces } from 'node:os';
import {
  BRANCH_COOKIE,
  formatVia,
  header,
  headerKey,
  newBranch,
  newTag,
  parseCSeq,
  SipParseError,
  splitHeaderList,
  tagOf,
  topViaOrUndefined,
  viaOrUndefined,
} from './headers.ts';
import { answerToMalformed, buildResponse } from './message.ts';
import {
  realTimers,
  type SipTimerConfig,
  sipTimers,
  type TimerHandle,
  type TimerSource,
  transactionTimeoutMs,
} from './timers.ts';
import {
  buildCancel,
  type ClientTransactionUser,
  DEFAULT_PROCEEDING_TIMEOUT_MS,
  InviteClientTransaction,
  InviteServerTransaction,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  SuccessRetransmitter,
  type TransactionContext,
  type TransactionFailure,
} from './transaction.ts';
import {
  type SipLog,
  SipTransport,
  SipTransportError,
  type SipTransportOptions,
  stampVia,
} from './transport.ts';
import type { CSeq, SipHeader, SipMessage, SipPeer, SipRequest, SipResponse, Via } from './types.ts';

export interface SipStackOptions extends SipTransportOptions {
  /** T1, T2, T4, timer D and the 100 Trying delay (tests use short values). */
  timers?: Partial<SipTimerConfig>;
  clock?: TimerSource;
  /**
   * When given, requests for other methods are answered 501 Not Implemented with an Allow
   * header (ACK and CANCEL are always handled). Without it every method reaches `onRequest`.
   */
  allowedMethods?: readonly string[];
  /** Most transactions (client + server) and pending 2xx at once; beyond it requests get 503 (default 1024). */
  maxTransactions?: number;
  /**
   * Most server transactions for one source address (default maxTransactions / 8): a peer that
   * floods us (refused requests linger 64*T1 over UDP) gets 503 while the others are still served.
   */
  maxTransactionsPerPeer?: number;
  /** Host we put in our Via (default: the bound host, or the first non-internal IPv4 address). */
  advertisedHost?: string;
  /** An INVITE without a final response this long is answered 408 (UAS) or failed (UAC); default 180 s. */
  proceedingTimeoutMs?: number;
  /** Every new request (not retransmissions, ACK or CANCEL). Answer it with `respond`/`reply`. */
  onRequest: (request: IncomingRequest) => void;
  /** ACKs for 2xx responses (end-to-end, so outside any transaction); retransmitted ACKs are absorbed. */
  onAck?: (ack: SipRequest, peer: SipPeer) => void;
}

export class SipTimeoutError extends Error {
  override readonly name = 'SipTimeoutError';
}

export interface RequestOptions {
  /** Every response: provisional ones, the final one, and 2xx retransmissions (re-send the ACK for those). */
  onResponse?: (response: SipResponse) => void;
}

export interface ReplyOptions {
  headers?: SipHeader[];
  body?: Buffer;
}

/** A request the app must answer, with the transaction that carries its answers. */
export class IncomingRequest {
  /** Our To tag for this request's responses (kept for 1xx, 2xx and the CANCEL's 200, §9.2/§12.1.1). */
  readonly toTag: string;
  private cancelledFlag = false;
  private readonly cancelListeners: Array<() => void> = [];
  private readonly ackListeners: Array<(ack: SipRequest) => void> = [];
  private readonly unacknowledgedListeners: Array<() => void> = [];

  constructor(
    readonly request: SipRequest,
    readonly peer: SipPeer,
    private readonly transaction: InviteServerTransaction | NonInviteServerTransaction,
    private readonly sendFinal2xx: (incoming: IncomingRequest, response: SipResponse) => void,
  ) {
    this.toTag = tagOrUndefined(header(request, 'To')) ?? newTag();
  }

  get method(): string {
    return this.request.method;
  }

  /** A CANCEL for this INVITE arrived. */
  get cancelled(): boolean {
    return this.cancelledFlag;
  }

  /** True until a final response was sent. */
  get awaitingFinal(): boolean {
    return this.transaction.awaitingFinal;
  }

  /**
   * Builds a response to this request (§8.2.6) with our To tag and sends it. Returns undefined
   * (and sends nothing) when a final response already went out: a call the doorbell cancelled
   * meanwhile has had its 487, and a late "answer" must not throw in the app's timer.
   */
  reply(status: number, reason?: string, options: ReplyOptions = {}): SipResponse | undefined {
    if (!this.awaitingFinal) return undefined;
    const response = buildResponse(this.request, status, reason, { ...options, toTag: this.toTag });
    this.respond(response);
    return response;
  }

  /** Sends a response the app built itself; false (nothing sent) once a final response went out. */
  respond(response: SipResponse): boolean {
    if (!this.awaitingFinal) return false;
    const finalSuccessToInvite = this.method === 'INVITE' && response.status >= 200 && response.status < 300;
    this.transaction.respond(response);
    if (finalSuccessToInvite) this.sendFinal2xx(this, response);
    return true;
  }

  /** INVITE: the caller cancelled. The stack has answered the CANCEL 200; answer 487 here (or it will). */
  onCancel(listener: () => void): void {
    this.cancelListeners.push(listener);
  }

  /** INVITE: the ACK for our 2xx arrived. */
  onAck(listener: (ack: SipRequest) => void): void {
    this.ackListeners.push(listener);
  }

  /** INVITE: our 2xx was never acknowledged within 64*T1 (§13.3.1.4: end the dialog with a BYE). */
  onUnacknowledged(listener: () => void): void {
    this.unacknowledgedListeners.push(listener);
  }

  /** @internal the stack's CANCEL handling. */
  notifyCancel(): void {
    this.cancelledFlag = true;
    for (const listener of this.cancelListeners) listener();
  }

  /** @internal */
  notifyAck(ack: SipRequest): void {
    for (const listener of this.ackListeners) listener(ack);
  }

  /** @internal */
  notifyUnacknowledged(): void {
    for (const listener of this.unacknowledgedListeners) listener();
  }
}

interface PendingSuccess {
  retransmitter: SuccessRetransmitter;
  incoming: IncomingRequest;
  cleanup: TimerHandle;
}

type ServerTransaction = InviteServerTransaction | NonInviteServerTransaction;
type ClientTransaction = InviteClientTransaction | NonInviteClientTransaction;

const DEFAULT_MAX_TRANSACTIONS = 1024;

export class SipStack {
  readonly advertisedHost: string;
  /** Requests that matched a running server transaction (retransmissions absorbed, never passed up). */
  retransmissionsAbsorbed = 0;
  private readonly timers: SipTimerConfig;
  private readonly clock: TimerSource;
  private readonly log: SipLog;
  private readonly serverTransactions = new Map<string, ServerTransaction>();
  private readonly invitesByKey = new Map<string, IncomingRequest>();
  private readonly clientTransactions = new Map<string, ClientTransaction>();
  private readonly pendingSuccess = new Map<string, PendingSuccess>();
  private readonly perPeer = new Map<string, number>();
  private readonly allowed: Set<string> | undefined;
  private transport!: SipTransport;
  private closed = false;

  private constructor(private readonly options: SipStackOptions) {
    this.timers = sipTimers(options.timers);
    this.clock = options.clock ?? realTimers;
    this.log = options.log ?? (() => {});
    this.allowed = options.allowedMethods
      ? new Set(['ACK', 'CANCEL', ...options.allowedMethods.map((method) => method.toUpperCase())])
      : undefined;
    this.advertisedHost = options.advertisedHost ?? defaultAdvertisedHost(options.host ?? '0.0.0.0');
  }

  static async start(options: SipStackOptions): Promise<SipStack> {
    const stack = new SipStack(options);
    stack.transport = await SipTransport.listen(options, {
      onMessage: (message, peer) => stack.receive(message, peer),
      onInvalid: (_data, peer, error) => stack.receiveInvalid(peer, error),
    });
    return stack;
  }

  get port(): number {
    return this.transport.port;
  }

  get host(): string {
    return this.transport.host;
  }

  /** Transactions and pending 2xx in the tables (tests check that they drain). */
  get activeCount(): number {
    return this.serverTransactions.size + this.clientTransactions.size + this.pendingSuccess.size;
  }

  get connectionCount(): number {
    return this.transport.connectionCount;
  }

  /**
   * Sends a request through a client transaction and resolves with its final response. Adds a
   * Via (or fixes the transport and branch of the one given). Rejects with SipTimeoutError
   * (timer B/F) or SipTransportError.
   */
  request(request: SipRequest, peer: SipPeer, options: RequestOptions = {}): Promise<SipResponse> {
    if (request.method === 'ACK') return Promise.reject(new Error('ACK has no transaction: use send()'));
    if (this.closed) return Promise.reject(new SipTransportError('SIP stack is closed', peer));
    if (this.clientTransactions.size >= this.maxTransactions) {
      return Promise.reject(new Error('too many SIP transactions in progress'));
    }
    const branch = this.prepareVia(request, peer);
    const key = clientKey(branch, request.method);
    if (this.clientTransactions.has(key))
      return Promise.reject(new Error('a transaction with this branch is running'));
    return new Promise((resolve, reject) => {
      let settled = false;
      const user: ClientTransactionUser = {
        onResponse: (response) => {
          if (response.status >= 200 && !settled) {
            settled = true;
            resolve(response);
          }
          this.guard(`SIP ${request.method} response listener`, peer, () => options.onResponse?.(response));
        },
        onFailure: (reason, error) => {
          if (settled) return;
          settled = true;
          reject(failureError(reason, request, peer, error));
        },
      };
      const context = this.contextFor(peer, (message) => this.transport.send(message, peer));
      const transaction =
        request.method === 'INVITE'
          ? new InviteClientTransaction(request, context, user, {
              proceedingTimeoutMs: this.options.proceedingTimeoutMs ?? DEFAULT_PROCEEDING_TIMEOUT_MS,
            })
          : new NonInviteClientTransaction(request, context, user);
      this.clientTransactions.set(key, transaction);
      transaction.onTerminated(() => this.clientTransactions.delete(key));
      transaction.start();
    });
  }

  /** Cancels an INVITE we sent (§9.1): send it once a provisional response has arrived. */
  cancel(invite: SipRequest, peer: SipPeer): Promise<SipResponse> {
    return this.request(buildCancel(invite), peer);
  }

  /** Sends a message outside any transaction (an ACK for a 2xx); adds our Via to a request without one. */
  async send(message: SipMessage, peer: SipPeer): Promise<void> {
    if (message.kind === 'request') this.prepareVia(message, peer);
    await this.transport.send(message, peer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const transaction of [...this.clientTransactions.values(), ...this.serverTransactions.values()]) {
      transaction.terminate();
    }
    for (const pending of this.pendingSuccess.values()) {
      pending.retransmitter.acknowledge();
      this.clock.clearTimeout(pending.cleanup);
    }
    this.pendingSuccess.clear();
    await this.transport?.close();
  }

  private get maxTransactions(): number {
    return this.options.maxTransactions ?? DEFAULT_MAX_TRANSACTIONS;
  }

  private get maxTransactionsPerPeer(): number {
    return this.options.maxTransactionsPerPeer ?? Math.max(1, Math.floor(this.maxTransactions / 8));
  }

  /** Server transactions per source address, so one noisy peer cannot take every slot. */
  private countPeer(address: string, delta: number): void {
    const next = (this.perPeer.get(address) ?? 0) + delta;
    if (next <= 0) this.perPeer.delete(address);
    else this.perPeer.set(address, next);
  }

  private contextFor(peer: SipPeer, send: (message: SipMessage) => Promise<void>): TransactionContext {
    return { timers: this.timers, clock: this.clock, reliable: peer.transport === 'tcp', send };
  }

  /**
   * Makes the top Via name this transport, with a branch (kept when the caller set one: a
   * CANCEL must carry its INVITE's). A request without a Via gets ours, asking for rport.
   */
  private prepareVia(request: SipRequest, peer: SipPeer): string {
    const transport = peer.transport.toUpperCase();
    const index = request.headers.findIndex((entry) => headerKey(entry.name) === 'via');
    const existing = index < 0 ? undefined : request.headers[index]!;
    const [first, ...rest] = existing ? (splitHeaderList(existing.value) ?? []) : [];
    const via: Via = (first !== undefined && viaOrUndefined(first)) || {
      transport,
      host: this.advertisedHost,
      port: this.port,
      branch: null,
      params: { rport: null },
    };
    via.transport = transport;
    via.branch = via.branch?.startsWith(BRANCH_COOKIE) ? via.branch : newBranch();
    const value = [formatVia(via), ...rest].join(', ');
    if (existing) request.headers[index] = { name: existing.name, value };
    else request.headers.unshift({ name: 'Via', value });
    return via.branch;
  }

  // -------------------------------------------------------------------------------------------
  // Receiving

  private receive(message: SipMessage, peer: SipPeer): void {
    if (this.closed) return;
    if (message.kind === 'response') this.receiveResponse(message, peer);
    else this.receiveRequest(message, peer);
  }

  private receiveResponse(response: SipResponse, peer: SipPeer): void {
    const branch = topViaOrUndefined(response)?.branch;
    const method = cseqOf(response)?.method;
    const transaction = branch && method ? this.clientTransactions.get(clientKey(branch, method)) : undefined;
    if (!transaction) {
      // §18.1.2 / §17.1.3: a response that matches no transaction is dropped.
      this.log({ level: 'debug', message: `SIP ${response.status} matches no transaction: dropped`, peer });
      return;
    }
    transaction.receive(response);
  }

  private receiveRequest(request: SipRequest, peer: SipPeer): void {
    if (!topViaOrUndefined(request)) {
      // The codec checks Via; a request built by hand that reaches us without one cannot be answered.
      this.log({ level: 'warn', message: `SIP ${request.method} without a usable Via: dropped`, peer });
      return;
    }
    if (request.method === 'ACK') {
      this.receiveAck(request, peer);
      return;
    }
    const key = serverKey(request, request.method);
    const existing = this.serverTransactions.get(key);
    if (existing) {
      this.retransmissionsAbsorbed += 1;
      existing.receiveRetransmission();
      return;
    }
    if (!/^sips?:/i.test(request.uri)) {
      // §8.2.2.1: a tel: or other URI is kept by the codec; we serve sip and sips only.
      this.replyStateless(request, peer, 416);
      return;
    }
    if (this.allowed && !this.allowed.has(request.method)) {
      this.replyStateless(request, peer, 501, [{ name: 'Allow', value: [...this.allowed].join(', ') }]);
      return;
    }
    // A CANCEL ends work instead of adding it: it is served even when the tables are full.
    if (request.method === 'CANCEL') {
      this.receiveCancel(request, peer, key);
      return;
    }
    if (
      this.serverTransactions.size + this.pendingSuccess.size >= this.maxTransactions ||
      (this.perPeer.get(peer.address) ?? 0) >= this.maxTransactionsPerPeer
    ) {
      this.replyStateless(request, peer, 503, [{ name: 'Retry-After', value: '5' }]);
      return;
    }
    this.receiveNewRequest(request, peer, key);
  }

  private receiveNewRequest(request: SipRequest, peer: SipPeer, key: string): void {
    const context = this.contextFor(peer, (message) =>
      this.transport.sendResponse(message as SipResponse, peer),
    );
    const transaction =
      request.method === 'INVITE'
        ? new InviteServerTransaction(request, context)
        : new NonInviteServerTransaction(request, context);
    const incoming = new IncomingRequest(request, peer, transaction, (source, response) =>
      this.retransmitUntilAck(source, response),
    );
    this.serverTransactions.set(key, transaction);
    this.countPeer(peer.address, 1);
    transaction.onTerminated(() => {
      this.serverTransactions.delete(key);
      this.countPeer(peer.address, -1);
    });
    transaction.user = {
      onFailure: (reason, error) =>
        this.log({
          level: 'debug',
          message: `SIP ${request.method} server transaction ended: ${reason}`,
          peer,
          error,
        }),
    };
    if (transaction instanceof InviteServerTransaction) this.trackInvite(key, incoming, transaction);
    transaction.start();
    const handled = this.guard(`SIP ${request.method} handler`, peer, () => this.options.onRequest(incoming));
    if (!handled) incoming.reply(500);
  }

  /** Keeps the INVITE findable by CANCEL, and answers 408 when the app never gives a final answer. */
  private trackInvite(key: string, incoming: IncomingRequest, transaction: InviteServerTransaction): void {
    this.invitesByKey.set(key, incoming);
    const limit = this.options.proceedingTimeoutMs ?? DEFAULT_PROCEEDING_TIMEOUT_MS;
    const timer = this.clock.setTimeout(() => {
      if (incoming.awaitingFinal) incoming.reply(408);
    }, limit);
    transaction.onTerminated(() => {
      this.clock.clearTimeout(timer);
      this.invitesByKey.delete(key);
    });
  }

  /** §9.2: 200 to a CANCEL that matches an INVITE server transaction, then 487 to the INVITE. */
  private receiveCancel(cancel: SipRequest, peer: SipPeer, key: string): void {
    const invite = this.invitesByKey.get(serverKey(cancel, 'INVITE'));
    const context = this.contextFor(peer, (message) =>
      this.transport.sendResponse(message as SipResponse, peer),
    );
    const transaction = new NonInviteServerTransaction(cancel, context);
    this.serverTransactions.set(key, transaction);
    transaction.onTerminated(() => this.serverTransactions.delete(key));
    transaction.start();
    if (!invite) {
      transaction.respond(buildResponse(cancel, 481, undefined, { toTag: newTag() }));
      return;
    }
    transaction.respond(buildResponse(cancel, 200, undefined, { toTag: invite.toTag }));
    if (!invite.awaitingFinal) return;
    this.guard('SIP CANCEL listener', peer, () => invite.notifyCancel());
    invite.reply(487);
  }

  private receiveAck(ack: SipRequest, peer: SipPeer): void {
    const transaction = this.serverTransactions.get(serverKey(ack, 'INVITE'));
    if (transaction instanceof InviteServerTransaction && transaction.state !== 'accepted') {
      transaction.receiveAck(ack);
      return;
    }
    const pending = this.pendingSuccess.get(successKey(ack));
    if (pending && !pending.retransmitter.active) return; // a retransmitted ACK: already handed up
    if (pending) {
      pending.retransmitter.acknowledge();
      this.guard('SIP ACK listener', peer, () => pending.incoming.notifyAck(ack));
    }
    this.guard('SIP ACK handler', peer, () => this.options.onAck?.(ack, peer));
  }

  /** §13.3.1.4: the UAS core re-sends its 2xx until the ACK, and keeps the entry to absorb ACK repeats. */
  private retransmitUntilAck(incoming: IncomingRequest, response: SipResponse): void {
    const key = successKey(response);
    const previous = this.pendingSuccess.get(key);
    if (previous) {
      previous.retransmitter.acknowledge();
      this.clock.clearTimeout(previous.cleanup);
    }
    const retransmitter = new SuccessRetransmitter(response, {
      timers: this.timers,
      clock: this.clock,
      send: (message) => this.transport.sendResponse(message, incoming.peer),
      onGiveUp: () => {
        this.log({ level: 'info', message: 'SIP 2xx to INVITE never acknowledged', peer: incoming.peer });
        this.guard('SIP unacknowledged-2xx listener', incoming.peer, () => incoming.notifyUnacknowledged());
      },
      onTransportError: (error) =>
        this.log({ level: 'warn', message: 'SIP 2xx retransmission failed', peer: incoming.peer, error }),
    });
    // Kept a little past the give-up so late ACK retransmissions are still recognised.
    const cleanup = this.clock.setTimeout(() => {
      if (this.pendingSuccess.get(key)?.retransmitter === retransmitter) this.pendingSuccess.delete(key);
    }, transactionTimeoutMs(this.timers) + this.timers.t4Ms);
    this.pendingSuccess.set(key, { retransmitter, incoming, cleanup });
    retransmitter.start();
  }

  /** A message the codec refused: 400 (505, 513) when it is a request whose Via, From, To, Call-ID and CSeq were read. */
  private receiveInvalid(peer: SipPeer, error: Error): void {
    if (this.closed) return;
    const answer = error instanceof SipParseError ? answerToMalformed(error) : null;
    if (!answer) {
      this.log({ level: 'debug', message: `malformed SIP message dropped: ${error.message}`, peer });
      return;
    }
    this.log({
      level: 'debug',
      message: `malformed SIP request answered ${answer.status}: ${error.message}`,
      peer,
    });
    // Routed like any response: to the Via's received/rport, which the codec could not stamp.
    stampVia(answer, peer);
    this.sendStateless(answer, peer);
  }

  /** Runs app code from a socket or timer callback: a throw is logged, never let loose. False when it threw. */
  private guard(what: string, peer: SipPeer, action: () => void): boolean {
    try {
      action();
      return true;
    } catch (error) {
      this.log({ level: 'error', message: `${what} failed`, peer, error: error as Error });
      return false;
    }
  }

  private replyStateless(
    request: SipRequest,
    peer: SipPeer,
    status: number,
    headers: SipHeader[] = [],
  ): void {
    this.sendStateless(buildResponse(request, status, undefined, { toTag: newTag(), headers }), peer);
  }

  private sendStateless(response: SipResponse, peer: SipPeer): void {
    this.transport.sendResponse(response, peer).catch((error: unknown) => {
      this.log({
        level: 'debug',
        message: `SIP ${response.status} could not be sent`,
        peer,
        error: error as Error,
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

function cseqOf(message: SipMessage): CSeq | undefined {
  const value = header(message, 'CSeq');
  try {
    return value === undefined ? undefined : parseCSeq(value);
  } catch {
    return undefined;
  }
}

function tagOrUndefined(value: string | undefined): string | undefined {
  try {
    return tagOf(value) ?? undefined;
  } catch {
    return undefined;
  }
}

function clientKey(branch: string, method: string): string {
  return `${branch}|${method.toUpperCase()}`;
}

/**
 * §17.2.3: branch + sent-by + method (ACK matches INVITE). A request without the RFC 3261
 * magic cookie gets a key from Call-ID, From tag, CSeq number and sent-by, which still tells
 * retransmissions from new requests.
 */
function serverKey(request: SipRequest, method: string): string {
  const via = topViaOrUndefined(request);
  const sentBy = via ? `${via.host}:${via.port ?? 5060}` : '';
  if (via?.branch?.startsWith(BRANCH_COOKIE)) return `${via.branch}|${sentBy}|${method}`;
  const from = tagOrUndefined(header(request, 'From')) ?? '';
  return `legacy|${header(request, 'Call-ID')}|${from}|${cseqOf(request)?.seq}|${sentBy}|${method}`;
}

/** The 2xx-to-INVITE and its ACK share Call-ID and CSeq number. */
function successKey(message: SipMessage): string {
  return `${header(message, 'Call-ID')}|${cseqOf(message)?.seq}`;
}

function failureError(reason: TransactionFailure, request: SipRequest, peer: SipPeer, error?: Error): Error {
  if (reason === 'timeout')
    return new SipTimeoutError(`SIP ${request.method} to ${peer.address}:${peer.port} got no final response`);
  return error instanceof SipTransportError
    ? error
    : new SipTransportError(`SIP ${request.method} could not be sent`, peer, { cause: error });
}

function defaultAdvertisedHost(bound: string): string {
  if (bound !== '0.0.0.0') return bound;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (external) return external.address;
  }
  return '127.0.0.1';
}
