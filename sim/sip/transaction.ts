/**
 * Client transactions (RFC 3261 §17.1) of the doorbell: the INVITE one (timer A retransmits from
 * T1 doubling until a provisional answer, timer B gives up after 64·T1; a 3xx-6xx final is ACKed
 * by the transaction itself, again for each repeat, for 64·T1) and the non-INVITE one (timer E
 * from T1 doubling up to T2, then every T2 after a provisional answer; timer F gives up after
 * 64·T1). Over TCP nothing is retransmitted; the give-up timers still run.
 */
import type { SipResponse } from './message.ts';

export interface TransactionTimers {
  /** RTT estimate T1 (500 ms in RFC 3261); every other timer is derived from it. */
  t1Ms: number;
}

export interface ClientTransactionOptions {
  method: string;
  /** Puts the request on the wire (called again for each retransmission). */
  send: () => void;
  /** No retransmissions (TCP). */
  reliable: boolean;
  timers: TransactionTimers;
  onProvisional?: (response: SipResponse) => void;
  onFinal: (response: SipResponse) => void;
  /** No answer will come: timer B / F fired (`timeout`), or the transport could not send. */
  onTimeout: (cause: TimeoutCause) => void;
  /** INVITE only: the ACK for a 3xx-6xx final answer (RFC 3261 §17.1.1.3), built from it. */
  ackFor?: (response: SipResponse) => () => void;
}

export type TimeoutCause = 'timeout' | 'transport';

type Phase = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class ClientTransaction {
  private phase: Phase = 'trying';
  private retransmitTimer: NodeJS.Timeout | undefined;
  private giveUpTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private interval: number;
  private sendAck: (() => void) | undefined;

  constructor(private readonly options: ClientTransactionOptions) {
    this.interval = options.timers.t1Ms;
  }

  private get isInvite(): boolean {
    return this.options.method === 'INVITE';
  }

  /** T2 = 4 s when T1 = 500 ms; kept in that ratio when tests shorten T1. */
  private get t2(): number {
    return this.options.timers.t1Ms * 8;
  }

  get done(): boolean {
    return this.phase === 'completed' || this.phase === 'terminated';
  }

  start(): void {
    this.options.send();
    if (this.phase === 'terminated') return; // the transport failed at once
    this.armRetransmit();
    this.giveUpTimer = setTimeout(() => this.timeout('timeout'), 64 * this.options.timers.t1Ms);
  }

  /** The transport could not send the request: fail now instead of waiting for timer B/F. */
  transportFailed(): void {
    if (this.done) return;
    this.timeout('transport');
  }

  receive(response: SipResponse): void {
    if (this.phase === 'terminated') return;
    if (this.phase === 'completed') {
      // A repeat of the final answer: the ACK was lost (INVITE), or nothing to do.
      this.sendAck?.();
      return;
    }
    if (response.status < 200) {
      if (this.phase === 'trying') this.enterProceeding();
      this.options.onProvisional?.(response);
      return;
    }
    this.clearTimers();
    if (this.isInvite && response.status >= 300) {
      this.sendAck = this.options.ackFor?.(response);
      this.sendAck?.();
      this.phase = 'completed';
      // Timer D: keep answering repeats of the final answer for a while (UDP only).
      this.lingerTimer = setTimeout(
        () => this.terminate(),
        this.options.reliable ? 0 : 64 * this.options.timers.t1Ms,
      );
    } else {
      this.terminate();
    }
    this.options.onFinal(response);
  }

  terminate(): void {
    this.phase = 'terminated';
    this.clearTimers();
    clearTimeout(this.lingerTimer);
  }

  private enterProceeding(): void {
    this.phase = 'proceeding';
    clearTimeout(this.retransmitTimer);
    if (this.isInvite) {
      // A ringing INVITE waits for its final answer as long as it takes (max ring time ends it).
      clearTimeout(this.giveUpTimer);
      return;
    }
    this.interval = this.t2;
    this.armRetransmit();
  }

  private armRetransmit(): void {
    if (this.options.reliable) return;
    this.retransmitTimer = setTimeout(() => {
      if (this.done) return;
      this.options.send();
      this.interval = this.isInvite ? this.interval * 2 : Math.min(this.interval * 2, this.t2);
      if (this.phase === 'proceeding') this.interval = this.t2;
      this.armRetransmit();
    }, this.interval);
  }

  private timeout(cause: TimeoutCause): void {
    this.terminate();
    this.options.onTimeout(cause);
  }

  private clearTimers(): void {
    clearTimeout(this.retransmitTimer);
    clearTimeout(this.giveUpTimer);
  }
}
