/**
 * IncomingCall, the UAS dialog of a doorbell's call, on a real SipStack (loopback UDP, T1 =
 * 40 ms) with raw UDP sockets as the caller (and as the proxy in its path): ring, answer with
 * SDP until the ACK, our BYE built from the dialog (remote target, tags, Call-ID, CSeq, route
 * set), the caller's BYE, CANCEL, re-INVITE, a 2xx never acknowledged.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CallEndReason, IncomingCall } from '../../src/protocols/sip/call.ts';
import { header, headers, parseCSeq, tagOf } from '../../src/protocols/sip/headers.ts';
import { SipStack } from '../../src/protocols/sip/stack.ts';
import type { SipMessage, SipRequest } from '../../src/protocols/sip/types.ts';
import { LOOPBACK, RawUdpPeer, rawRequest, rawResponse, responses, waitFor } from './helpers.ts';

const T1 = 40;
const TIMERS = { t1Ms: T1, t2Ms: 160, t4Ms: 200, timerDMs: 400, tryingDelayMs: 0 };
const OFFER = [
  'v=0',
  `o=- 1 1 IN IP4 ${LOOPBACK}`,
  's=Talk',
  `c=IN IP4 ${LOOPBACK}`,
  't=0 0',
  'm=audio 15000 RTP/AVP 0 8',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=sendrecv',
  '',
].join('\r\n');
const ANSWER = [
  'v=0',
  `o=hikbridge 1 1 IN IP4 ${LOOPBACK}`,
  's=hikbridge',
  `c=IN IP4 ${LOOPBACK}`,
  't=0 0',
  'm=audio 17000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  '',
].join('\r\n');

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Ended {
  reason: CallEndReason;
  detail: string | null;
}

/** A stack that makes an IncomingCall of each new INVITE and hands in-dialog requests to it. */
async function startCallee() {
  const calls: IncomingCall[] = [];
  const ended: Ended[] = [];
  let connected = 0;
  const stack: SipStack = await SipStack.start({
    host: LOOPBACK,
    timers: TIMERS,
    allowedMethods: ['INVITE', 'BYE', 'OPTIONS', 'INFO'],
    onRequest: (incoming) => {
      const toTag = tagOf(header(incoming.request, 'To'));
      if (incoming.method === 'INVITE' && toTag === null) {
        calls.push(
          new IncomingCall({
            stack,
            invite: incoming,
            contact: `sip:10101@${LOOPBACK}:${stack.port}`,
            onConnected: () => {
              connected += 1;
            },
            onEnded: (reason, detail) => ended.push({ reason, detail }),
          }),
        );
        return;
      }
      const call = calls.find((each) => each.matches(incoming.request));
      if (call) call.receive(incoming);
      else incoming.reply(481);
    },
  });
  cleanups.push(() => stack.close());
  return {
    stack,
    calls,
    ended,
    get connected() {
      return connected;
    },
  };
}

async function rawPeer(): Promise<RawUdpPeer> {
  const peer = await RawUdpPeer.open();
  cleanups.push(() => peer.close());
  return peer;
}

interface InviteOptions {
  branch: string;
  callId: string;
  /** Where the caller wants in-dialog requests (default: the caller itself). */
  contactPort?: number;
  recordRoute?: string[];
  cseq?: number;
  to?: string;
}

function inviteText(caller: RawUdpPeer, options: InviteOptions): string {
  return rawRequest({
    method: 'INVITE',
    branch: options.branch,
    viaPort: caller.port,
    callId: options.callId,
    cseq: options.cseq ?? 20,
    fromTag: 'bell-tag',
    ...(options.to ? { to: options.to } : {}),
    extraHeaders: [
      `Contact: <sip:10102@${LOOPBACK}:${options.contactPort ?? caller.port}>`,
      ...(options.recordRoute ?? []).map((route) => `Record-Route: ${route}`),
      'Content-Type: application/sdp',
    ],
    body: OFFER,
  });
}

/** A request from the caller inside the dialog (our tag on To). */
function inDialog(
  caller: RawUdpPeer,
  call: IncomingCall,
  method: string,
  branch: string,
  cseq: number,
): string {
  return rawRequest({
    method,
    branch,
    viaPort: caller.port,
    callId: call.callId,
    cseq,
    fromTag: 'bell-tag',
    to: `<sip:10101@${LOOPBACK}>;tag=${call.localTag}`,
  });
}

const requestsOf = (peer: RawUdpPeer, method: string): SipRequest[] =>
  peer.received
    .map((entry) => entry.message)
    .filter((message): message is SipRequest => message?.kind === 'request' && message.method === method);

/** Rings, answers and ACKs a call from `caller`; returns the call, connected. */
async function connectedCall(
  callee: Awaited<ReturnType<typeof startCallee>>,
  caller: RawUdpPeer,
  options: InviteOptions,
): Promise<IncomingCall> {
  await caller.send(inviteText(caller, options), callee.stack.port);
  await waitFor('the INVITE', () => callee.calls.length === 1);
  const call = callee.calls[0]!;
  call.ring();
  expect(call.answer(ANSWER)).toBe(true);
  await waitFor('the 200', () => responses(caller.received, 200).length >= 1);
  await caller.send(
    rawRequest({
      method: 'ACK',
      branch: `${options.branch}-ack`,
      viaPort: caller.port,
      callId: options.callId,
      cseq: options.cseq ?? 20,
      fromTag: 'bell-tag',
      to: header(responses(caller.received, 200)[0]!, 'To')!,
    }),
    callee.stack.port,
  );
  await waitFor('connected', () => call.phase === 'connected');
  return call;
}

describe('ringing and answering', () => {
  it('rings with 180 and our Contact, answers 200 with the SDP until the ACK, then is connected once', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKring', callId: 'ring-1' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    expect(call).toMatchObject({
      phase: 'ringing',
      callId: 'ring-1',
      remoteTag: 'bell-tag',
      caller: '10102',
    });
    expect(call.offer.toString()).toBe(OFFER);
    expect(call.peer).toEqual({ transport: 'udp', address: LOOPBACK, port: caller.port });

    call.ring();
    await waitFor('180', () => responses(caller.received, 180).length === 1);
    const ringing = responses(caller.received, 180)[0]!;
    expect(header(ringing, 'Contact')).toBe(`<sip:10101@${LOOPBACK}:${callee.stack.port}>`);
    expect(tagOf(header(ringing, 'To'))).toBe(call.localTag);

    expect(call.answer(ANSWER)).toBe(true);
    expect(call.phase).toBe('answering');
    // Re-sent (T1 doubling) while the ACK does not come.
    await waitFor('the 200 re-sent', () => responses(caller.received, 200).length >= 3);
    const ok = responses(caller.received, 200)[0]!;
    expect(ok.body.toString()).toBe(ANSWER);
    expect(header(ok, 'Content-Type')).toBe('application/sdp');
    expect(header(ok, 'Contact')).toBe(`<sip:10101@${LOOPBACK}:${callee.stack.port}>`);
    expect(tagOf(header(ok, 'To'))).toBe(call.localTag);
    expect(call.answer(ANSWER)).toBe(false);
    expect(call.decline()).toBe(false);

    const ack = rawRequest({
      method: 'ACK',
      branch: 'z9hG4bKring-ack',
      viaPort: caller.port,
      callId: 'ring-1',
      cseq: 20,
      fromTag: 'bell-tag',
      to: header(ok, 'To')!,
    });
    await caller.send(ack, callee.stack.port);
    await caller.send(ack, callee.stack.port);
    await waitFor('connected', () => call.phase === 'connected');
    const sent = responses(caller.received, 200).length;
    // No more 200s once acknowledged (well past T2), and one "connected" for two ACKs.
    await new Promise((resolve) => setTimeout(resolve, 3 * TIMERS.t2Ms));
    expect(responses(caller.received, 200)).toHaveLength(sent);
    expect(callee.connected).toBe(1);
    expect(callee.ended).toEqual([]);
  });

  it('declines with 603 (or the status given); hangUp while ringing declines too', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKdecl', callId: 'decline-1' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    expect(call.decline(486, 'Busy Here')).toBe(true);
    await waitFor('486', () => responses(caller.received, 486).length >= 1);
    expect(callee.ended).toEqual([{ reason: 'declined', detail: 'we answered 486 Busy Here' }]);
    expect(call.phase).toBe('ended');
    expect(call.answer(ANSWER)).toBe(false);

    await caller.send(inviteText(caller, { branch: 'z9hG4bKdecl2', callId: 'decline-2' }), callee.stack.port);
    await waitFor('the second INVITE', () => callee.calls.length === 2);
    await callee.calls[1]!.hangUp();
    await waitFor('603', () => responses(caller.received, 603).length >= 1);
    expect(callee.ended.at(-1)).toMatchObject({ reason: 'declined' });
    expect(requestsOf(caller, 'BYE')).toEqual([]);
  });

  it('CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE, ended as cancelled', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKcanc', callId: 'cancel-1' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    call.ring();
    await waitFor('180', () => responses(caller.received, 180).length === 1);
    await caller.send(
      rawRequest({
        method: 'CANCEL',
        branch: 'z9hG4bKcanc',
        viaPort: caller.port,
        callId: 'cancel-1',
        cseq: 20,
        fromTag: 'bell-tag',
      }),
      callee.stack.port,
    );
    await waitFor('487', () => responses(caller.received, 487).length >= 1);
    expect(header(responses(caller.received, 200)[0]!, 'CSeq')).toBe('20 CANCEL');
    expect(callee.ended).toEqual([{ reason: 'cancelled', detail: 'the caller hung up before an answer' }]);
    expect(call.answer(ANSWER)).toBe(false);
    expect(call.phase).toBe('ended');
  });
});

describe('hanging up', () => {
  it('our BYE goes to the INVITE Contact with From/To from our side, the Call-ID and a CSeq of our own', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    // The doorbell wants in-dialog requests at another port than it sent from.
    const target = await rawPeer();
    const call = await connectedCall(callee, caller, {
      branch: 'z9hG4bKbye',
      callId: 'bye-1',
      contactPort: target.port,
    });
    const hungUp = call.hangUp();
    await waitFor('the BYE at the Contact', () => requestsOf(target, 'BYE').length >= 1);
    const bye = requestsOf(target, 'BYE')[0]!;
    expect(bye.uri).toBe(`sip:10102@${LOOPBACK}:${target.port}`);
    expect(header(bye, 'From')).toBe(`<sip:10101@${LOOPBACK}>;tag=${call.localTag}`);
    expect(header(bye, 'To')).toBe(`<sip:10102@${LOOPBACK}>;tag=bell-tag`);
    expect(header(bye, 'Call-ID')).toBe('bye-1');
    const cseq = parseCSeq(header(bye, 'CSeq')!);
    expect(cseq.method).toBe('BYE');
    expect(cseq.seq).toBeGreaterThanOrEqual(1);
    expect(headers(bye, 'Route')).toEqual([]);
    expect(header(bye, 'Max-Forwards')).toBe('70');
    expect(header(bye, 'Via')).toMatch(new RegExp(`^SIP/2\\.0/UDP ${LOOPBACK}:${callee.stack.port};`));
    expect(requestsOf(caller, 'BYE')).toEqual([]);
    expect(callee.ended).toEqual([{ reason: 'hung-up', detail: null }]);
    await target.send(rawResponse(bye, 200, 'OK'), callee.stack.port);
    await hungUp;
    // Ended is ended: a second hang-up sends nothing and reports nothing.
    await waitFor('the BYE transaction gone', () => callee.stack.activeCount === 0);
    await call.hangUp();
    expect(callee.stack.activeCount).toBe(0);
    expect(callee.ended).toHaveLength(1);
  });

  it('through a proxy that stays in the path: Route from Record-Route in order, sent to the first route', async () => {
    const callee = await startCallee();
    const proxy = await rawPeer();
    const doorbell = await rawPeer();
    const routes = [`<sip:${LOOPBACK}:${proxy.port};lr>`, '<sip:edge.pbx.invalid;lr;transport=udp>'];
    // The proxy forwards the doorbell's INVITE: it arrives from the proxy's socket.
    const call = await connectedCall(callee, proxy, {
      branch: 'z9hG4bKrr',
      callId: 'rr-1',
      contactPort: doorbell.port,
      recordRoute: routes,
    });
    // The 200 tells the caller the same route set (§12.1.1).
    expect(headers(responses(proxy.received, 200)[0]!, 'Record-Route')).toEqual(routes);
    const hungUp = call.hangUp();
    await waitFor('the BYE at the proxy', () => requestsOf(proxy, 'BYE').length >= 1);
    const bye = requestsOf(proxy, 'BYE')[0]!;
    expect(bye.uri).toBe(`sip:10102@${LOOPBACK}:${doorbell.port}`);
    expect(headers(bye, 'Route')).toEqual(routes);
    expect(requestsOf(doorbell, 'BYE')).toEqual([]);
    await proxy.send(rawResponse(bye, 200, 'OK'), callee.stack.port);
    await hungUp;
  });

  it('a BYE nobody answers fails hangUp with the transaction timeout', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    const call = await connectedCall(callee, caller, { branch: 'z9hG4bKmute', callId: 'mute-1' });
    await expect(call.hangUp()).rejects.toThrow(/got no final response/);
    // Re-sent over UDP meanwhile (timer E).
    expect(requestsOf(caller, 'BYE').length).toBeGreaterThanOrEqual(3);
    expect(callee.ended).toEqual([{ reason: 'hung-up', detail: null }]);
  });

  it('waits for the ACK before its BYE when hanging up right after the answer (§15)', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKearly', callId: 'early-1' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    call.answer(ANSWER);
    const hungUp = call.hangUp();
    await waitFor('the 200 re-sent twice', () => responses(caller.received, 200).length >= 3);
    expect(requestsOf(caller, 'BYE')).toEqual([]);
    expect(callee.ended).toEqual([{ reason: 'hung-up', detail: null }]);
    await caller.send(
      rawRequest({
        method: 'ACK',
        branch: 'z9hG4bKearly-ack',
        viaPort: caller.port,
        callId: 'early-1',
        cseq: 20,
        fromTag: 'bell-tag',
        to: header(responses(caller.received, 200)[0]!, 'To')!,
      }),
      callee.stack.port,
    );
    await waitFor('the BYE after the ACK', () => requestsOf(caller, 'BYE').length >= 1);
    await caller.send(rawResponse(requestsOf(caller, 'BYE')[0]!, 200, 'OK'), callee.stack.port);
    await hungUp;
    expect(callee.connected).toBe(0);
  });

  it('hung up after the answer and the ACK never comes: one BYE at the give-up, ended as hung-up only', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKlost', callId: 'lost-1' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    call.answer(ANSWER);
    const hungUp = call.hangUp();
    await waitFor('the BYE after the give-up', () => requestsOf(caller, 'BYE').length >= 1, 64 * T1 + 10_000);
    const byes = requestsOf(caller, 'BYE');
    await caller.send(rawResponse(byes[0]!, 200, 'OK'), callee.stack.port);
    await hungUp;
    // Retransmissions of one BYE transaction, never a second BYE.
    expect(new Set(requestsOf(caller, 'BYE').map((bye) => header(bye, 'CSeq'))).size).toBe(1);
    expect(callee.ended).toEqual([{ reason: 'hung-up', detail: null }]);
  });

  it("the caller's BYE: 200, ended as remote-hang-up; later requests of the dialog get 481", async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    const call = await connectedCall(callee, caller, { branch: 'z9hG4bKrbye', callId: 'rbye-1' });
    await caller.send(inDialog(caller, call, 'INFO', 'z9hG4bKinfo', 21), callee.stack.port);
    await waitFor('200 to INFO', () => responses(caller.received, 200).some(isFor('INFO')));
    const bye = inDialog(caller, call, 'BYE', 'z9hG4bKrbye-bye', 22);
    await caller.send(bye, callee.stack.port);
    await caller.send(bye, callee.stack.port);
    await waitFor(
      '200 to BYE twice',
      () => responses(caller.received, 200).filter(isFor('BYE')).length === 2,
    );
    expect(callee.ended).toEqual([{ reason: 'remote-hang-up', detail: 'the caller hung up' }]);
    expect(call.phase).toBe('ended');
    await caller.send(inDialog(caller, call, 'INFO', 'z9hG4bKinfo2', 23), callee.stack.port);
    await waitFor('481 to the late INFO', () => responses(caller.received, 481).length === 1);
    await call.hangUp();
    expect(requestsOf(caller, 'BYE')).toEqual([]);
  });

  it('a BYE while it still rings: 200, and the INVITE gets 487 (§15.1.2)', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKrbye2', callId: 'rbye-2' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    call.ring();
    await caller.send(inDialog(caller, call, 'BYE', 'z9hG4bKrbye2-bye', 21), callee.stack.port);
    await waitFor('200 to BYE', () => responses(caller.received, 200).some(isFor('BYE')));
    await waitFor('487 to the INVITE', () => responses(caller.received, 487).length >= 1);
    expect(callee.ended).toEqual([{ reason: 'remote-hang-up', detail: 'the caller hung up' }]);
  });

  it('a 200 never acknowledged: given up after 64*T1 with a BYE, ended as unacknowledged', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKnoack', callId: 'noack-1' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    callee.calls[0]!.answer(ANSWER);
    await waitFor('the give-up', () => callee.ended.length === 1, 64 * T1 + 10_000);
    expect(callee.ended).toEqual([
      { reason: 'unacknowledged', detail: 'the caller never acknowledged our answer' },
    ]);
    await waitFor('the BYE', () => requestsOf(caller, 'BYE').length >= 1);
    const bye = requestsOf(caller, 'BYE')[0]!;
    expect(header(bye, 'Call-ID')).toBe('noack-1');
    expect(header(bye, 'From')).toContain(`tag=${callee.calls[0]!.localTag}`);
    expect(callee.connected).toBe(0);
  });
});

describe('re-INVITE', () => {
  it('keeps the agreed SDP (200 with the same answer) and takes the new Contact as the remote target', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    const moved = await rawPeer();
    const call = await connectedCall(callee, caller, { branch: 'z9hG4bKre', callId: 're-1' });
    const to = `<sip:10101@${LOOPBACK}>;tag=${call.localTag}`;
    await caller.send(
      inviteText(caller, { branch: 'z9hG4bKre-2', callId: 're-1', cseq: 21, to, contactPort: moved.port }),
      callee.stack.port,
    );
    await waitFor('200 to the re-INVITE', () =>
      responses(caller.received, 200).some((response) => header(response, 'CSeq') === '21 INVITE'),
    );
    const ok = responses(caller.received, 200).find((response) => header(response, 'CSeq') === '21 INVITE')!;
    expect(ok.body.toString()).toBe(ANSWER);
    expect(header(ok, 'Contact')).toBe(`<sip:10101@${LOOPBACK}:${callee.stack.port}>`);
    expect(callee.calls).toHaveLength(1);
    await caller.send(
      rawRequest({
        method: 'ACK',
        branch: 'z9hG4bKre-2-ack',
        viaPort: caller.port,
        callId: 're-1',
        cseq: 21,
        fromTag: 'bell-tag',
        to,
      }),
      callee.stack.port,
    );
    expect(call.phase).toBe('connected');
    // §12.2.2: the re-INVITE's Contact is where the BYE goes now.
    const hungUp = call.hangUp();
    await waitFor('the BYE at the new Contact', () => requestsOf(moved, 'BYE').length >= 1);
    expect(requestsOf(moved, 'BYE')[0]!.uri).toBe(`sip:10102@${LOOPBACK}:${moved.port}`);
    await moved.send(rawResponse(requestsOf(moved, 'BYE')[0]!, 200, 'OK'), callee.stack.port);
    await hungUp;
  });

  it('a re-INVITE before our answer gets 491; after the end 481', async () => {
    const callee = await startCallee();
    const caller = await rawPeer();
    await caller.send(inviteText(caller, { branch: 'z9hG4bKre491', callId: 're-2' }), callee.stack.port);
    await waitFor('the INVITE', () => callee.calls.length === 1);
    const call = callee.calls[0]!;
    call.ring();
    const to = `<sip:10101@${LOOPBACK}>;tag=${call.localTag}`;
    await caller.send(
      inviteText(caller, { branch: 'z9hG4bKre491-2', callId: 're-2', cseq: 21, to }),
      callee.stack.port,
    );
    await waitFor('491', () => responses(caller.received, 491).length >= 1);
    call.decline();
    await caller.send(
      inviteText(caller, { branch: 'z9hG4bKre491-3', callId: 're-2', cseq: 22, to }),
      callee.stack.port,
    );
    await waitFor('481', () => responses(caller.received, 481).length >= 1);
  });
});

function isFor(method: string) {
  return (message: SipMessage) => header(message, 'CSeq')?.endsWith(` ${method}`) === true;
}
