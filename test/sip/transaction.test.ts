/**
 * RFC 3261 §17 transactions on a hand-driven clock (exact retransmission times and timeouts),
 * then the same rules seen on the wire through a SipStack on loopback UDP and TCP with a short
 * T1 (counts, spacing, absorbed retransmissions, CANCEL, 2xx until ACK).
 */
import { describe, expect, it } from 'vitest';
import { header } from '../../src/protocols/sip/headers.ts';
import { ManualTimers, sipTimers } from '../../src/protocols/sip/timers.ts';
import {
  buildAckForFailure,
  buildCancel,
  type ClientTransactionUser,
  InviteClientTransaction,
  InviteServerTransaction,
  NonInviteClientTransaction,
  NonInviteServerTransaction,
  SuccessRetransmitter,
  type TransactionContext,
  type TransactionFailure,
} from '../../src/protocols/sip/transaction.ts';
import type { SipMessage, SipRequest, SipResponse } from '../../src/protocols/sip/types.ts';

interface Sent {
  at: number;
  message: SipMessage;
}

function harness(options: { reliable?: boolean; tryingDelayMs?: number } = {}) {
  const clock = new ManualTimers();
  const sent: Sent[] = [];
  const context: TransactionContext = {
    timers: sipTimers({ tryingDelayMs: options.tryingDelayMs ?? 200 }),
    clock,
    reliable: options.reliable ?? false,
    send: async (message) => {
      sent.push({ at: clock.now(), message });
    },
  };
  return { clock, sent, context };
}

function clientUser() {
  const responses: SipResponse[] = [];
  const failures: TransactionFailure[] = [];
  const user: ClientTransactionUser = {
    onResponse: (response) => responses.push(response),
    onFailure: (reason) => failures.push(reason),
  };
  return { user, responses, failures };
}

function request(method: string, branch = 'z9hG4bKtest1'): SipRequest {
  return {
    kind: 'request',
    method,
    uri: 'sip:10101@192.0.2.10:5060',
    headers: [
      { name: 'Via', value: `SIP/2.0/UDP 192.0.2.1:5060;rport;branch=${branch}` },
      { name: 'From', value: '<sip:10102@192.0.2.1>;tag=from1' },
      { name: 'To', value: '<sip:10101@192.0.2.10>' },
      { name: 'Call-ID', value: 'call-1@192.0.2.1' },
      { name: 'CSeq', value: `7 ${method}` },
      { name: 'Route', value: '<sip:proxy.example;lr>' },
      { name: 'Max-Forwards', value: '70' },
    ],
    body: Buffer.alloc(0),
  };
}

function response(to: SipRequest, status: number, toTag = 'to1'): SipResponse {
  return {
    kind: 'response',
    status,
    reason: `Status ${status}`,
    headers: [
      ...to.headers.filter((entry) => ['Via', 'From', 'Call-ID', 'CSeq'].includes(entry.name)),
      { name: 'To', value: `<sip:10101@192.0.2.10>;tag=${toTag}` },
    ],
    body: Buffer.alloc(0),
  };
}

const times = (sent: Sent[], predicate: (message: SipMessage) => boolean = () => true) =>
  sent.filter((entry) => predicate(entry.message)).map((entry) => entry.at);
const isRequest = (method: string) => (message: SipMessage) =>
  message.kind === 'request' && message.method === method;
const isStatus = (status: number) => (message: SipMessage) =>
  message.kind === 'response' && message.status === status;

describe('INVITE client transaction (§17.1.1)', () => {
  it('retransmits over UDP with timer A doubling from T1 until timer B (64*T1) fails it', () => {
    const { clock, sent, context } = harness();
    const { user, failures } = clientUser();
    const transaction = new InviteClientTransaction(request('INVITE'), context, user);
    transaction.start();
    clock.advance(31_999);
    expect(failures).toEqual([]);
    clock.advance(1);
    expect(times(sent)).toEqual([0, 500, 1_500, 3_500, 7_500, 15_500, 31_500]);
    expect(failures).toEqual(['timeout']);
    expect(transaction.state).toBe('terminated');
    expect(clock.pendingCount).toBe(0);
  });

  it('does not retransmit over TCP and still times out with timer B', () => {
    const { clock, sent, context } = harness({ reliable: true });
    const { user, failures } = clientUser();
    new InviteClientTransaction(request('INVITE'), context, user).start();
    clock.advance(40_000);
    expect(times(sent)).toEqual([0]);
    expect(failures).toEqual(['timeout']);
  });

  it('stops retransmitting on a provisional response, and ACKs a failure itself (timer D absorbs repeats)', () => {
    const { clock, sent, context } = harness();
    const { user, responses, failures } = clientUser();
    const invite = request('INVITE');
    const transaction = new InviteClientTransaction(invite, context, user);
    transaction.start();
    clock.advance(600);
    transaction.receive(response(invite, 180));
    clock.advance(10_000);
    expect(times(sent)).toEqual([0, 500]);
    expect(transaction.state).toBe('proceeding');

    transaction.receive(response(invite, 486, 'busy'));
    transaction.receive(response(invite, 486, 'busy'));
    expect(responses.map((each) => each.status)).toEqual([180, 486]);
    const acks = sent
      .filter((entry) => isRequest('ACK')(entry.message))
      .map((entry) => entry.message as SipRequest);
    expect(acks).toHaveLength(2);
    expect(header(acks[0]!, 'To')).toContain('tag=busy');
    expect(header(acks[0]!, 'Via')).toContain('branch=z9hG4bKtest1');
    expect(header(acks[0]!, 'CSeq')).toBe('7 ACK');
    expect(transaction.state).toBe('completed');
    clock.advance(32_000);
    expect(transaction.state).toBe('terminated');
    expect(failures).toEqual([]);
  });

  it('passes a 2xx and its retransmissions to the TU (RFC 6026 Accepted), never ACKing it', () => {
    const { clock, sent, context } = harness();
    const { user, responses } = clientUser();
    const invite = request('INVITE');
    const transaction = new InviteClientTransaction(invite, context, user);
    transaction.start();
    transaction.receive(response(invite, 200));
    transaction.receive(response(invite, 200));
    transaction.receive(response(invite, 180));
    expect(responses.map((each) => each.status)).toEqual([200, 200]);
    expect(sent.filter((entry) => isRequest('ACK')(entry.message))).toHaveLength(0);
    expect(transaction.state).toBe('accepted');
    clock.advance(32_000);
    expect(transaction.state).toBe('terminated');
    expect(times(sent)).toEqual([0]);
  });

  it('gives up on a call that stays in Proceeding past proceedingTimeoutMs', () => {
    const { clock, context } = harness();
    const { user, failures } = clientUser();
    const invite = request('INVITE');
    const transaction = new InviteClientTransaction(invite, context, user, { proceedingTimeoutMs: 5_000 });
    transaction.start();
    transaction.receive(response(invite, 180));
    clock.advance(4_000);
    transaction.receive(response(invite, 183));
    clock.advance(4_999);
    expect(failures).toEqual([]);
    clock.advance(1);
    expect(failures).toEqual(['timeout']);
  });

  it('reports a transport failure once', async () => {
    const { context } = harness();
    const { user, failures } = clientUser();
    context.send = async () => {
      throw new Error('unreachable');
    };
    new InviteClientTransaction(request('INVITE'), context, user).start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toEqual(['transport-error']);
  });
});

describe('non-INVITE client transaction (§17.1.2)', () => {
  it('retransmits with timer E doubling up to T2, until timer F', () => {
    const { clock, sent, context } = harness();
    const { user, failures } = clientUser();
    new NonInviteClientTransaction(request('REGISTER'), context, user).start();
    clock.advance(32_000);
    expect(times(sent)).toEqual([
      0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ]);
    expect(failures).toEqual(['timeout']);
  });

  it('retransmits at T2 once a provisional arrived, then lingers timer K (T4) after the final', () => {
    const { clock, sent, context } = harness();
    const { user, responses, failures } = clientUser();
    const register = request('REGISTER');
    const transaction = new NonInviteClientTransaction(register, context, user);
    transaction.start();
    clock.advance(100);
    transaction.receive(response(register, 100));
    clock.advance(9_000); // E fires at 500 (then T2 pace): 500, 4500, 8500
    expect(times(sent)).toEqual([0, 500, 4_500, 8_500]);
    transaction.receive(response(register, 200));
    transaction.receive(response(register, 200));
    expect(responses.map((each) => each.status)).toEqual([100, 200]);
    expect(transaction.state).toBe('completed');
    clock.advance(4_999);
    expect(transaction.state).toBe('completed');
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
    expect(failures).toEqual([]);
    expect(times(sent)).toHaveLength(4);
  });

  it('over TCP: no retransmissions, terminated at the final response', () => {
    const { clock, sent, context } = harness({ reliable: true });
    const { user } = clientUser();
    const bye = request('BYE');
    const transaction = new NonInviteClientTransaction(bye, context, user);
    transaction.start();
    clock.advance(10_000);
    transaction.receive(response(bye, 200));
    expect(transaction.state).toBe('terminated');
    expect(times(sent)).toEqual([0]);
  });
});

describe('INVITE server transaction (§17.2.1)', () => {
  it('sends 100 Trying when the TU is slower than 200 ms, and not when it answers first', () => {
    const slow = harness();
    const late = new InviteServerTransaction(request('INVITE'), slow.context);
    late.start();
    slow.clock.advance(199);
    expect(slow.sent).toHaveLength(0);
    slow.clock.advance(1);
    expect(times(slow.sent, isStatus(100))).toEqual([200]);
    const trying = slow.sent[0]!.message as SipResponse;
    expect(header(trying, 'To')).not.toContain('tag=');

    const fast = harness();
    const quick = new InviteServerTransaction(request('INVITE'), fast.context);
    quick.start();
    fast.clock.advance(50);
    quick.respond(response(quick.request, 180));
    fast.clock.advance(1_000);
    expect(fast.sent.map((entry) => (entry.message as SipResponse).status)).toEqual([180]);

    const immediate = harness({ tryingDelayMs: 0 });
    new InviteServerTransaction(request('INVITE'), immediate.context).start();
    expect(times(immediate.sent, isStatus(100))).toEqual([0]);
  });

  it('answers a retransmitted INVITE with the last response', () => {
    const { clock, sent, context } = harness();
    const transaction = new InviteServerTransaction(request('INVITE'), context);
    transaction.start();
    transaction.receiveRetransmission(); // nothing sent yet: absorbed
    expect(sent).toHaveLength(0);
    transaction.respond(response(transaction.request, 180));
    clock.advance(100);
    transaction.receiveRetransmission();
    expect(times(sent, isStatus(180))).toEqual([0, 100]);
  });

  it('retransmits a failure with timer G (T1 doubling to T2) until the ACK, then lingers timer I', () => {
    const { clock, sent, context } = harness();
    const transaction = new InviteServerTransaction(request('INVITE'), context);
    transaction.start();
    transaction.respond(response(transaction.request, 486));
    clock.advance(12_000);
    expect(times(sent, isStatus(486))).toEqual([0, 500, 1_500, 3_500, 7_500, 11_500]);
    transaction.receiveRetransmission();
    expect(times(sent, isStatus(486))).toHaveLength(7);
    transaction.receiveAck(request('ACK'));
    expect(transaction.state).toBe('confirmed');
    clock.advance(4_999);
    expect(transaction.state).toBe('confirmed');
    expect(times(sent, isStatus(486))).toHaveLength(7);
    clock.advance(1);
    expect(transaction.state).toBe('terminated');
  });

  it('fails with timer H when the ACK never comes', () => {
    const { clock, sent, context } = harness();
    const transaction = new InviteServerTransaction(request('INVITE'), context);
    const failures: string[] = [];
    transaction.user = { onFailure: (reason) => failures.push(reason) };
    transaction.start();
    transaction.respond(response(transaction.request, 603));
    clock.advance(32_000);
    expect(failures).toEqual(['timeout']);
    expect(transaction.state).toBe('terminated');
    // G: 500, 1500, 3500, 7500, then every 4 s up to 31 500.
    expect(times(sent, isStatus(603))).toEqual([
      0, 500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500,
    ]);
  });

  it('over TCP: the failure is sent once and the ACK ends the transaction at once', () => {
    const { clock, sent, context } = harness({ reliable: true });
    const transaction = new InviteServerTransaction(request('INVITE'), context);
    transaction.start();
    transaction.respond(response(transaction.request, 486));
    clock.advance(10_000);
    transaction.receiveAck(request('ACK'));
    expect(times(sent, isStatus(486))).toEqual([0]);
    expect(transaction.state).toBe('terminated');
  });

  it('after a 2xx (Accepted) absorbs INVITE retransmissions and lets the TU re-send its 2xx, until timer L', () => {
    const { clock, sent, context } = harness();
    const transaction = new InviteServerTransaction(request('INVITE'), context);
    transaction.start();
    const ok = response(transaction.request, 200);
    transaction.respond(ok);
    transaction.receiveRetransmission();
    expect(times(sent)).toEqual([0]);
    transaction.respond(ok);
    expect(times(sent)).toEqual([0, 0]);
    expect(() => transaction.respond(response(transaction.request, 486))).toThrow(/accepted/);
    clock.advance(32_000);
    expect(transaction.state).toBe('terminated');
  });
});

describe('non-INVITE server transaction (§17.2.2)', () => {
  it('absorbs retransmissions before the answer, repeats the final one after, ends with timer J', () => {
    const { clock, sent, context } = harness();
    const transaction = new NonInviteServerTransaction(request('REGISTER'), context);
    transaction.start();
    transaction.receiveRetransmission();
    expect(sent).toHaveLength(0);
    transaction.respond(response(transaction.request, 200));
    clock.advance(1_000);
    transaction.receiveRetransmission();
    expect(times(sent, isStatus(200))).toEqual([0, 1_000]);
    expect(() => transaction.respond(response(transaction.request, 500))).toThrow(/completed/);
    clock.advance(31_000);
    expect(transaction.state).toBe('terminated');
  });

  it('over TCP ends at the final response; an unanswered one ends after 64*T1', () => {
    const tcp = harness({ reliable: true });
    const answered = new NonInviteServerTransaction(request('OPTIONS'), tcp.context);
    answered.start();
    answered.respond(response(answered.request, 200));
    expect(answered.state).toBe('terminated');

    const udp = harness();
    const unanswered = new NonInviteServerTransaction(request('OPTIONS'), udp.context);
    const failures: string[] = [];
    unanswered.user = { onFailure: (reason) => failures.push(reason) };
    unanswered.start();
    udp.clock.advance(32_000);
    expect(unanswered.state).toBe('terminated');
    expect(failures).toEqual(['timeout']);
  });
});

describe('2xx to INVITE until the ACK (§13.3.1.4)', () => {
  function retransmitter() {
    const { clock, context } = harness();
    const sends: number[] = [];
    let gaveUp = 0;
    const ok = response(request('INVITE'), 200);
    const retransmitting = new SuccessRetransmitter(ok, {
      timers: context.timers,
      clock,
      send: async () => {
        sends.push(clock.now());
      },
      onGiveUp: () => {
        gaveUp += 1;
      },
    });
    retransmitting.start();
    return { clock, sends, retransmitting, gaveUp: () => gaveUp };
  }

  it('re-sends at T1, 2*T1... capped at T2 and stops at the ACK', () => {
    const { clock, sends, retransmitting, gaveUp } = retransmitter();
    clock.advance(12_000);
    expect(sends).toEqual([500, 1_500, 3_500, 7_500, 11_500]);
    retransmitting.acknowledge();
    clock.advance(60_000);
    expect(sends).toHaveLength(5);
    expect(gaveUp()).toBe(0);
    expect(clock.pendingCount).toBe(0);
  });

  it('gives up after 64*T1 so the dialog can be ended', () => {
    const { clock, sends, gaveUp, retransmitting } = retransmitter();
    clock.advance(32_000);
    expect(gaveUp()).toBe(1);
    expect(retransmitting.active).toBe(false);
    expect(sends.at(-1)).toBe(31_500);
    clock.advance(10_000);
    expect(sends.at(-1)).toBe(31_500);
  });
});

describe('messages the transaction layer builds', () => {
  it('CANCEL copies the INVITE top Via, URI, From, To, Call-ID, CSeq number and Route', () => {
    const invite = request('INVITE', 'z9hG4bKinv');
    const cancel = buildCancel(invite);
    expect(cancel.method).toBe('CANCEL');
    expect(cancel.uri).toBe(invite.uri);
    for (const name of ['Via', 'From', 'To', 'Call-ID', 'Route']) {
      expect(header(cancel, name)).toBe(header(invite, name));
    }
    expect(header(cancel, 'CSeq')).toBe('7 CANCEL');
  });

  it('the ACK for a failure takes To from the response and only the top Via', () => {
    const invite = request('INVITE', 'z9hG4bKinv');
    invite.headers.splice(1, 0, { name: 'Via', value: 'SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKlower' });
    const ack = buildAckForFailure(invite, response(invite, 404, 'nf'));
    expect(ack.headers.filter((entry) => entry.name === 'Via')).toEqual([
      { name: 'Via', value: 'SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bKinv' },
    ]);
    expect(header(ack, 'To')).toBe('<sip:10101@192.0.2.10>;tag=nf');
    expect(header(ack, 'CSeq')).toBe('7 ACK');
    expect(header(ack, 'Route')).toBe('<sip:proxy.example;lr>');
  });
});
