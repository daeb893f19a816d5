/**
 * The SIP stack against a real SIP peer: SIPp (Debian sip-tester). SIPp plays the doorbell as
 * UAC against a minimal UAS built on SipStack (REGISTER -> 200; INVITE -> 100, 180, 200 with SDP,
 * ACK, BYE -> 200) over UDP and TCP, and plays a phone as UAS for our stack as UAC (INVITE, ACK,
 * INFO, BYE). Over UDP the UAS answers slower than SIPp's retransmission timer, so SIPp
 * retransmits and the app must still see each request once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../../src/protocols/sip/headers.ts';
import { buildRequest } from '../../src/protocols/sip/message.ts';
import { type IncomingRequest, SipStack } from '../../src/protocols/sip/stack.ts';
import { buildAckForSuccess } from '../../src/protocols/sip/transaction.ts';
import type { SipPeer, SipRequest, SipResponse } from '../../src/protocols/sip/types.ts';
import {
  describeSippRun,
  freeSipPort,
  SIPP_SCENARIOS as SCENARIOS,
  sentRequests,
  startSipp as startSippRun,
} from '../support/sipp.ts';
import { requireTool } from '../support/system-tools.ts';
import { LOOPBACK, waitFor } from './helpers.ts';

let sipp = 'sipp';
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  sipp = requireTool('sipp', 'sip-tester');
}, 15 * 60_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function startSipp(args: string[]) {
  const run = startSippRun(args, { binary: sipp });
  cleanups.push(async () => {
    await run.stop();
  });
  return run;
}

const freePort = () => freeSipPort(LOOPBACK);
const describeRun = describeSippRun;

/**
 * T1 = 100 ms: our transactions end within 64*T1 = 6.4 s, so the test can check that the
 * tables drain without waiting the default 32 s.
 */
const SHORT_TIMERS = { t1Ms: 100, t2Ms: 400, t4Ms: 500, timerDMs: 1_000 };

const ANSWER_SDP = [
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

/**
 * The emulated proxy at its smallest: REGISTER answered after 500 ms, INVITE answered 180 at
 * 900 ms and 200 with SDP at 1 300 ms; the stack's own 100 Trying goes at 700 ms. SIPp's
 * retransmission timer is 200 ms, so over UDP it retransmits both requests meanwhile.
 */
async function minimalUas() {
  const requests: string[] = [];
  const acks: SipRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, action: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };
  const stack = await SipStack.start({
    host: LOOPBACK,
    timers: { ...SHORT_TIMERS, tryingDelayMs: 700 },
    allowedMethods: ['REGISTER', 'INVITE', 'BYE', 'OPTIONS'],
    onRequest: (incoming: IncomingRequest) => {
      requests.push(incoming.method);
      const contact = [{ name: 'Contact', value: `<sip:10102@${LOOPBACK}:${stack.port}>` }];
      if (incoming.method === 'REGISTER') {
        later(500, () =>
          incoming.reply(200, undefined, {
            headers: [
              { name: 'Contact', value: header(incoming.request, 'Contact')! },
              { name: 'Expires', value: '60' },
            ],
          }),
        );
      } else if (incoming.method === 'INVITE') {
        later(900, () => incoming.reply(180, undefined, { headers: contact }));
        later(1_300, () =>
          incoming.reply(200, undefined, {
            headers: [...contact, { name: 'Content-Type', value: 'application/sdp' }],
            body: Buffer.from(ANSWER_SDP),
          }),
        );
      } else {
        incoming.reply(200);
      }
    },
    onAck: (ack) => acks.push(ack),
  });
  cleanups.push(async () => {
    for (const timer of timers) clearTimeout(timer);
    await stack.close();
  });
  return { stack, requests, acks };
}

describe('SIPp as the doorbell (UAC) against a SipStack UAS', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`REGISTER, INVITE (100, 180, 200 + SDP), ACK, BYE over ${transport.toUpperCase()}`, async () => {
      const uas = await minimalUas();
      const sippPort = await freePort();
      const started = Date.now();
      const run = await startSipp([
        `${LOOPBACK}:${uas.stack.port}`,
        '-sf',
        join(SCENARIOS, 'doorbell-uac.xml'),
        '-t',
        transport === 'udp' ? 'u1' : 't1',
        '-i',
        LOOPBACK,
        '-p',
        String(sippPort),
      ]).result;
      expect(run.code, describeRun(run)).toBe(0);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(uas.requests).toEqual(['REGISTER', 'INVITE', 'BYE']);
      expect(uas.acks).toHaveLength(1);
      expect(header(uas.acks[0]!, 'CSeq')).toBe('20 ACK');
      if (transport === 'udp') {
        // SIPp did retransmit (its own log says so) and the stack absorbed every repeat.
        expect(sentRequests(run.messages, 'INVITE'), describeRun(run)).toBeGreaterThanOrEqual(2);
        expect(sentRequests(run.messages, 'REGISTER'), describeRun(run)).toBeGreaterThanOrEqual(2);
        expect(uas.stack.retransmissionsAbsorbed).toBeGreaterThanOrEqual(
          sentRequests(run.messages, 'INVITE') + sentRequests(run.messages, 'REGISTER') - 2,
        );
      } else {
        expect(sentRequests(run.messages, 'INVITE'), describeRun(run)).toBe(1);
        expect(uas.stack.retransmissionsAbsorbed).toBe(0);
      }
      await waitFor('the UAS transactions drained', () => uas.stack.activeCount === 0, 20_000);
    }, 60_000);
  }
});

describe('SIPp as a phone (UAS) for a SipStack UAC', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`INVITE, 180, 200 + SDP, ACK, INFO, BYE over ${transport.toUpperCase()}`, async () => {
      const uac = await SipStack.start({
        host: LOOPBACK,
        timers: SHORT_TIMERS,
        onRequest: (incoming) => incoming.reply(501),
      });
      cleanups.push(() => uac.close());
      const sippPort = await freePort();
      const sippRun = startSipp([
        '-sf',
        join(SCENARIOS, 'phone-uas.xml'),
        '-t',
        transport === 'udp' ? 'u1' : 't1',
        '-i',
        LOOPBACK,
        '-p',
        String(sippPort),
      ]);
      const phone: SipPeer = { transport, address: LOOPBACK, port: sippPort };
      await waitFor(`SIPp bound to ${transport} ${sippPort}`, () => bound(transport, sippPort), 15_000);

      const dialog = { callId: `sipp-${transport}-${Date.now()}`, localTag: 'hikbridge-tag', cseq: 1 };
      const invite = buildRequest({
        method: 'INVITE',
        uri: `sip:phone@${LOOPBACK}:${sippPort}`,
        headers: {
          From: `<sip:10102@${LOOPBACK}>;tag=${dialog.localTag}`,
          To: `<sip:phone@${LOOPBACK}:${sippPort}>`,
          'Call-ID': dialog.callId,
          CSeq: `${dialog.cseq} INVITE`,
          Contact: `<sip:10102@${LOOPBACK}:${uac.port}>`,
          'Content-Type': 'application/sdp',
        },
        body: ANSWER_SDP,
      });
      const statuses: number[] = [];
      let ack: SipRequest | undefined;
      const final = await uac.request(invite, phone, {
        onResponse: (response) => {
          statuses.push(response.status);
          // SIPp retransmits its 200 until our ACK lands: every repeat gets the ACK again.
          if (response.status === 200 && ack) void uac.send(ack, phone);
        },
      });
      expect(final.status).toBe(200);
      expect(final.body.toString()).toContain('PCMU/8000');
      ack = buildAckForSuccess(invite, final);
      await uac.send(ack, phone);

      const inDialog = (method: string): SipRequest =>
        buildRequest({
          method,
          uri: ack!.uri,
          headers: {
            From: `<sip:10102@${LOOPBACK}>;tag=${dialog.localTag}`,
            To: header(final, 'To')!,
            'Call-ID': dialog.callId,
            CSeq: `${++dialog.cseq} ${method}`,
          },
        });
      const info: SipResponse = await uac.request(inDialog('INFO'), phone);
      expect(info.status).toBe(200);
      const bye = await uac.request(inDialog('BYE'), phone);
      expect(bye.status).toBe(200);
      expect(statuses.slice(0, 2)).toEqual([180, 200]);

      const run = await sippRun.result;
      expect(run.code, describeRun(run)).toBe(0);
      await waitFor('the UAC transactions drained', () => uac.activeCount === 0, 20_000);
    }, 60_000);
  }
});

/** Whether a socket is bound on loopback `port` (Linux /proc): TCP in LISTEN state, or UDP. */
function bound(transport: 'udp' | 'tcp', port: number): boolean {
  const table = readFileSync(`/proc/net/${transport}`, 'utf8');
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return table.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return fields[1] === local && (transport === 'udp' || fields[3] === '0A');
  });
}
