/**
 * RFC 3261 §17 transactions on a hand-driven clock (exact retransmission times and timeouts),
 * then the same rules seen on the wire through a SipStack on loopback UDP and TCP with a short
 * T1 (counts, spacing, absorbed retransmissions, CANCEL, 2xx until ACK).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { header, headers } from '../../src/protocols/sip/headers.ts';
import { buildRequest } from '../../src/protocols/sip/message.ts';
import {
  type IncomingRequest,
  SipStack,
  type SipStackOptions,
  SipTimeoutError,
} from '../../src/protocols/sip/stack.ts';
import { ManualTimers, sipTimers } from '../../src/protocols/sip/timers.ts';
import {
  buildAckForFailure,
  buildAckForSuccess,
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
import type { SipMessage, SipPeer, SipRequest, SipResponse } from '../../src/protocols/sip/types.ts';
import { LOOPBACK, RawUdpPeer, rawRequest, rawResponse, responses, waitFor } from './helpers.ts';

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

// ---------------------------------------------------------------------------------------------
// The same rules on the wire: a SipStack on loopback with a short T1

const T1 = 40;
const T2 = 160;
const WIRE_TIMERS = { t1Ms: T1, t2Ms: T2, t4Ms: 200, timerDMs: 300, tryingDelayMs: 100 };

const wireCleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of wireCleanups.splice(0).reverse()) await cleanup();
});

async function startStack(options: Partial<SipStackOptions> = {}) {
  const incoming: IncomingRequest[] = [];
  const acks: SipRequest[] = [];
  const stack = await SipStack.start({
    host: LOOPBACK,
    timers: WIRE_TIMERS,
    onRequest: (request) => incoming.push(request),
    onAck: (ack) => acks.push(ack),
    ...options,
  });
  wireCleanups.push(() => stack.close());
  return { stack, incoming, acks };
}

async function rawUdp(): Promise<RawUdpPeer> {
  const peer = await RawUdpPeer.open();
  wireCleanups.push(() => peer.close());
  return peer;
}

function probe(branch: string, port: number): string {
  return rawRequest({ method: 'OPTIONS', branch, viaPort: port, callId: `probe-${branch}` });
}

function gaps(values: number[]): number[] {
  return values.slice(1).map((value, index) => value - values[index]!);
}

/**
 * Receive times on loopback jitter by tens of ms on a loaded machine (the peer shares our event
 * loop): each gap is only checked to be a real wait, the span over all of them closely, and the
 * ordering of gaps shows the doubling. The exact times are checked on the hand-driven clock above.
 */
function expectSpacing(times: number[], expected: number[]): void {
  const spacing = gaps(times);
  for (const [index, gap] of expected.entries()) expect(spacing[index]).toBeGreaterThanOrEqual(gap * 0.3);
  const span = times[expected.length]! - times[0]!;
  expect(span).toBeGreaterThanOrEqual(expected.reduce((sum, gap) => sum + gap, 0) * 0.85);
  if (expected.length >= 3) expect(spacing[2]!).toBeGreaterThan(spacing[0]!);
}

function outgoing(method: string, port: number, callId = `wire-${method}`): SipRequest {
  return buildRequest({
    method,
    uri: `sip:10101@${LOOPBACK}:${port}`,
    headers: {
      From: `<sip:10102@${LOOPBACK}>;tag=uac-tag`,
      To: `<sip:10101@${LOOPBACK}>`,
      'Call-ID': callId,
      CSeq: `1 ${method}`,
    },
  });
}

describe('client transactions on the wire (UDP, T1 = 40 ms)', () => {
  it('a non-INVITE request to a silent peer is retransmitted T1, 2*T1, 4*T1, then every T2, and times out at 64*T1', async () => {
    const { stack } = await startStack();
    const silent = await rawUdp();
    const started = performance.now();
    const outcome = stack.request(outgoing('OPTIONS', silent.port), {
      transport: 'udp',
      address: LOOPBACK,
      port: silent.port,
    });
    await expect(outcome).rejects.toBeInstanceOf(SipTimeoutError);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(64 * T1 - 5);
    const sendTimes = silent.received.map((entry) => entry.at);
    // 18 sends on an idle machine (0, 40, 120, 280, then every 160 ms up to 2 520); a loaded one may fire late.
    expect(sendTimes.length).toBeGreaterThanOrEqual(10);
    expect(sendTimes.length).toBeLessThanOrEqual(18);
    expectSpacing(sendTimes.slice(0, 6), [T1, 2 * T1, 4 * T1, T2, T2]);
    // Capped at T2: the tail is evenly spaced, not doubling.
    const tail = gaps(sendTimes.slice(3));
    expect(Math.max(...tail)).toBeLessThan(2 * T2);
    const branches = new Set(silent.received.map((entry) => header(entry.message!, 'Via')));
    expect(branches.size).toBe(1);
    expect(stack.activeCount).toBe(0);
  });

  it('an INVITE is retransmitted with timer A doubling until the 486, which the transaction ACKs itself', async () => {
    const { stack } = await startStack();
    const callee = await rawUdp();
    const seen: number[] = [];
    const outcome = stack.request(
      outgoing('INVITE', callee.port),
      { transport: 'udp', address: LOOPBACK, port: callee.port },
      { onResponse: (response) => seen.push(response.status) },
    );
    await waitFor('three INVITE transmissions', () => callee.received.length >= 3);
    const invite = callee.received[0]!.message!;
    await callee.send(rawResponse(invite, 486, 'Busy Here'), stack.port);
    const final = await outcome;
    expect(final.status).toBe(486);
    await waitFor('the ACK', () =>
      callee.received.some((entry) => (entry.message as SipRequest)?.method === 'ACK'),
    );
    const ack = callee.received.find((entry) => (entry.message as SipRequest)?.method === 'ACK')!.message!;
    expect(header(ack, 'Via')).toBe(header(invite, 'Via'));
    expect(header(ack, 'To')).toContain('tag=raw-tag');
    const inviteTimes = callee.received
      .filter((entry) => (entry.message as SipRequest)?.method === 'INVITE')
      .map((entry) => entry.at);
    expectSpacing(inviteTimes.slice(0, 3), [T1, 2 * T1]);
    // A repeated 486 is ACKed again and not shown to the TU twice.
    await callee.send(rawResponse(invite, 486, 'Busy Here'), stack.port);
    await waitFor(
      'the second ACK',
      () => callee.received.filter((entry) => (entry.message as SipRequest)?.method === 'ACK').length === 2,
    );
    expect(seen).toEqual([486]);
    await waitFor('the transaction gone after timer D', () => stack.activeCount === 0);
  });
});

describe('server transactions on the wire (UDP, T1 = 40 ms)', () => {
  it('the app sees one INVITE despite retransmissions, which get the last response; 100 Trying after the delay', async () => {
    const { stack, incoming } = await startStack();
    const caller = await rawUdp();
    const invite = rawRequest({
      method: 'INVITE',
      branch: 'z9hG4bKwire1',
      viaPort: caller.port,
      callId: 'abs-1',
    });
    await caller.send(invite, stack.port);
    await caller.send(invite, stack.port);
    await waitFor('100 Trying', () => responses(caller.received, 100).length === 1);
    expect(header(responses(caller.received, 100)[0]!, 'To')).not.toContain('tag=');
    await caller.send(invite, stack.port);
    await waitFor(
      '100 Trying again for the retransmission',
      () => responses(caller.received, 100).length === 2,
    );
    expect(incoming).toHaveLength(1);
    incoming[0]!.reply(180);
    await caller.send(invite, stack.port);
    await waitFor('180 twice', () => responses(caller.received, 180).length === 2);
    expect(incoming).toHaveLength(1);
    incoming[0]!.reply(486);
    // Timer G retransmits the 486 until the ACK.
    await waitFor('486 retransmitted', () => responses(caller.received, 486).length >= 3);
    const ack = rawRequest({
      method: 'ACK',
      branch: 'z9hG4bKwire1',
      viaPort: caller.port,
      callId: 'abs-1',
      to: `<sip:10101@${LOOPBACK}>;tag=${incoming[0]!.toTag}`,
    });
    await caller.send(ack, stack.port);
    await waitFor('the transaction confirmed and gone', () => stack.activeCount === 0);
    const count = responses(caller.received, 486).length;
    await caller.send(probe('z9hG4bKafter', caller.port), stack.port);
    await waitFor('the next request', () => incoming.length === 2);
    expect(responses(caller.received, 486)).toHaveLength(count);
  });

  it('a CANCEL gets 200 and the INVITE 487; an unknown CANCEL gets 481', async () => {
    const { stack, incoming } = await startStack();
    const caller = await rawUdp();
    const cancelled: string[] = [];
    await caller.send(
      rawRequest({ method: 'INVITE', branch: 'z9hG4bKcancel', viaPort: caller.port, callId: 'c-1' }),
      stack.port,
    );
    await waitFor('the INVITE', () => incoming.length === 1);
    incoming[0]!.onCancel(() => cancelled.push('cancel'));
    incoming[0]!.reply(180);
    await caller.send(
      rawRequest({ method: 'CANCEL', branch: 'z9hG4bKcancel', viaPort: caller.port, callId: 'c-1' }),
      stack.port,
    );
    await waitFor(
      '200 to the CANCEL and 487 to the INVITE',
      () => responses(caller.received, 487).length >= 1 && responses(caller.received, 200).length === 1,
    );
    const ok = responses(caller.received, 200)[0]!;
    expect(header(ok, 'CSeq')).toBe('1 CANCEL');
    expect(header(ok, 'To')).toContain(`tag=${incoming[0]!.toTag}`);
    expect(header(responses(caller.received, 487)[0]!, 'CSeq')).toBe('1 INVITE');
    expect(cancelled).toEqual(['cancel']);
    expect(incoming[0]!.cancelled).toBe(true);
    expect(incoming.map((each) => each.method)).toEqual(['INVITE']);

    await caller.send(
      rawRequest({ method: 'CANCEL', branch: 'z9hG4bKnothing', viaPort: caller.port, callId: 'c-2' }),
      stack.port,
    );
    await waitFor('481', () => responses(caller.received, 481).length === 1);
  });

  it('a 2xx to INVITE is retransmitted (T1 doubling to T2) until the ACK; repeated ACKs reach the app once', async () => {
    const { stack, incoming, acks } = await startStack();
    const caller = await rawUdp();
    await caller.send(
      rawRequest({ method: 'INVITE', branch: 'z9hG4bKok', viaPort: caller.port, callId: 'ok-1' }),
      stack.port,
    );
    await waitFor('the INVITE', () => incoming.length === 1);
    const acknowledged: SipRequest[] = [];
    incoming[0]!.onAck((ack) => acknowledged.push(ack));
    incoming[0]!.reply(200, undefined, {
      body: Buffer.from('v=0\r\n'),
      headers: [{ name: 'Content-Type', value: 'application/sdp' }],
    });
    await waitFor('the 200 sent four times', () => responses(caller.received, 200).length >= 4);
    const okTimes = caller.received
      .filter((entry) => (entry.message as SipResponse)?.status === 200)
      .map((entry) => entry.at);
    expectSpacing(okTimes.slice(0, 4), [T1, 2 * T1, T2]);
    const to = header(responses(caller.received, 200)[0]!, 'To')!;
    // The ACK for a 2xx is its own transaction: a new branch.
    const ack = rawRequest({
      method: 'ACK',
      branch: 'z9hG4bKack2xx',
      viaPort: caller.port,
      callId: 'ok-1',
      to,
    });
    await caller.send(ack, stack.port);
    await caller.send(ack, stack.port);
    await waitFor('the ACK', () => acks.length === 1);
    const sentAtAck = responses(caller.received, 200).length;
    // Well past T2: no retransmission after the ACK.
    await new Promise((resolve) => setTimeout(resolve, 3 * T2));
    expect(responses(caller.received, 200)).toHaveLength(sentAtAck);
    expect(acks).toHaveLength(1);
    expect(acknowledged).toHaveLength(1);
    // A retransmitted INVITE after the 2xx is absorbed (RFC 6026 Accepted).
    await caller.send(
      rawRequest({ method: 'INVITE', branch: 'z9hG4bKok', viaPort: caller.port, callId: 'ok-1' }),
      stack.port,
    );
    await caller.send(probe('z9hG4bKprobe', caller.port), stack.port);
    await waitFor('the probe', () => incoming.length === 2);
    expect(incoming.map((each) => each.method)).toEqual(['INVITE', 'OPTIONS']);
  });

  it('a 2xx never acknowledged is given up after 64*T1', async () => {
    const { stack, incoming } = await startStack();
    const caller = await rawUdp();
    await caller.send(
      rawRequest({ method: 'INVITE', branch: 'z9hG4bKnoack', viaPort: caller.port, callId: 'na-1' }),
      stack.port,
    );
    await waitFor('the INVITE', () => incoming.length === 1);
    let gaveUp = false;
    incoming[0]!.onUnacknowledged(() => {
      gaveUp = true;
    });
    incoming[0]!.reply(200);
    await waitFor('the give-up', () => gaveUp, 64 * T1 + 10_000);
    const count = responses(caller.received, 200).length;
    // 0, 40, 120, 280, then every 160 ms to 2 560: 18 on an idle machine.
    expect(count).toBeGreaterThanOrEqual(10);
    expect(count).toBeLessThanOrEqual(18);
  });

  it('on an injected clock: 100 Trying, then 408 to an INVITE the app never answers; a late reply is ignored', async () => {
    const clock = new ManualTimers();
    const { stack, incoming } = await startStack({ clock, proceedingTimeoutMs: 60_000 });
    const caller = await rawUdp();
    await caller.send(
      rawRequest({ method: 'INVITE', branch: 'z9hG4bKslow', viaPort: caller.port, callId: 'slow-1' }),
      stack.port,
    );
    await waitFor('the INVITE', () => incoming.length === 1);
    clock.advance(WIRE_TIMERS.tryingDelayMs);
    await waitFor('100 Trying', () => responses(caller.received, 100).length === 1);
    clock.advance(60_000 - WIRE_TIMERS.tryingDelayMs - 1);
    expect(incoming[0]!.awaitingFinal).toBe(true);
    clock.advance(1);
    expect(incoming[0]!.awaitingFinal).toBe(false);
    await waitFor('408', () => responses(caller.received, 408).length === 1);
    expect(incoming[0]!.reply(200)).toBeUndefined();
  });

  it('answers 501 with Allow to methods it was not told to accept, 416 to a tel: URI', async () => {
    const { stack, incoming } = await startStack({ allowedMethods: ['INVITE', 'BYE', 'OPTIONS'] });
    const caller = await rawUdp();
    await caller.send(
      rawRequest({ method: 'FROBNICATE', branch: 'z9hG4bKfrob', viaPort: caller.port }),
      stack.port,
    );
    await waitFor('501', () => responses(caller.received, 501).length === 1);
    expect(headers(responses(caller.received, 501)[0]!, 'Allow')).toEqual([
      'ACK',
      'CANCEL',
      'INVITE',
      'BYE',
      'OPTIONS',
    ]);
    expect(incoming).toHaveLength(0);
    const tel = rawRequest({ method: 'OPTIONS', branch: 'z9hG4bKtel', viaPort: caller.port }).replace(
      `OPTIONS sip:10101@${LOOPBACK}`,
      'OPTIONS tel:+15551234',
    );
    await caller.send(tel, stack.port);
    await waitFor('416', () => responses(caller.received, 416).length === 1);
    expect(incoming).toHaveLength(0);
  });
});

describe('app errors', () => {
  it('a request handler that throws is logged and its request answered 500; a throwing response listener still settles', async () => {
    const logs: string[] = [];
    const uas = await startStack({
      onRequest: () => {
        throw new Error('app bug');
      },
      log: (entry) => logs.push(`${entry.level} ${entry.message}`),
    });
    const caller = await rawUdp();
    await caller.send(probe('z9hG4bKthrow', caller.port), uas.stack.port);
    await waitFor('500', () => responses(caller.received, 500).length === 1);
    expect(logs).toContain('error SIP OPTIONS handler failed');

    const uac = await startStack();
    const answered = uac.stack.request(
      outgoing('OPTIONS', uas.stack.port, 'throwing-listener'),
      { transport: 'udp', address: LOOPBACK, port: uas.stack.port },
      {
        onResponse: () => {
          throw new Error('listener bug');
        },
      },
    );
    expect((await answered).status).toBe(500);
  });
});

describe('stack to stack', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`INVITE, 180, 200, ACK, BYE over ${transport.toUpperCase()}; a slow UAS still sees one INVITE`, async () => {
      const uas = await startStack({ timers: { ...WIRE_TIMERS, tryingDelayMs: 1_000 } });
      const uac = await startStack();
      const peer: SipPeer = { transport, address: LOOPBACK, port: uas.stack.port };
      const statuses: number[] = [];
      const invite = outgoing('INVITE', uas.stack.port, `s2s-${transport}`);
      let ack: SipRequest | undefined;
      const answered = uac.stack.request(invite, peer, {
        onResponse: (response) => {
          statuses.push(response.status);
          // A 2xx retransmitted before our ACK got there: the ACK is sent again (§13.2.2.4).
          if (response.status === 200 && ack) void uac.stack.send(ack, peer);
        },
      });
      await waitFor('the INVITE at the UAS', () => uas.incoming.length === 1);
      // Slower than several T1: over UDP the UAC retransmits meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 5 * T1));
      uas.incoming[0]!.reply(180);
      uas.incoming[0]!.reply(200, undefined, { body: Buffer.from('v=0\r\n') });
      const final = await answered;
      expect(final.status).toBe(200);
      expect(uas.incoming).toHaveLength(1);
      if (transport === 'udp') expect(uas.stack.retransmissionsAbsorbed).toBeGreaterThanOrEqual(2);
      else expect(uas.stack.retransmissionsAbsorbed).toBe(0);
      ack = buildAckForSuccess(invite, final);
      await uac.stack.send(ack, peer);
      await waitFor('the ACK at the UAS', () => uas.acks.length === 1);
      const bye = outgoing('BYE', uas.stack.port, `s2s-${transport}`);
      bye.headers = bye.headers.map((entry) =>
        entry.name === 'To' ? { name: 'To', value: header(final, 'To')! } : entry,
      );
      bye.headers = bye.headers.map((entry) =>
        entry.name === 'CSeq' ? { name: 'CSeq', value: '2 BYE' } : entry,
      );
      const byeDone = uac.stack.request(bye, peer);
      await waitFor('the BYE', () => uas.incoming.length === 2);
      uas.incoming[1]!.reply(200);
      expect((await byeDone).status).toBe(200);
      expect(statuses.slice(0, 2)).toEqual([180, 200]);
      expect(new Set(statuses.slice(2))).not.toContain(180);
      await waitFor(
        'both stacks drained',
        () => uas.stack.activeCount === 0 && uac.stack.activeCount === 0,
        10_000,
      );
    });
  }
});
