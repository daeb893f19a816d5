/**
 * "Emulate SIP proxy" end to end: the gateway is the SIP server of a doorbell, and SIPp (Debian
 * sip-tester) plays the doorbell from the doorbell's own address, over UDP and TCP: REGISTER
 * accepted from the doorbell's address and refused from another, INVITE -> ring event, CANCEL ->
 * ring end, stop ringing -> 200 with an SDP answer -> ACK -> our BYE. Raw datagrams check what
 * SIPp cannot send on purpose: retransmissions, a second call while one rings, malformed input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { LOOPBACK, RawUdpPeer, rawRequest, responses, waitFor } from '../sip/helpers.ts';
import {
  describeSippRun,
  freeSipPort,
  SIPP_SCENARIOS,
  type SippResult,
  sippBlocks,
  startSipp,
} from '../support/sipp.ts';
import { requireTool } from '../support/system-tools.ts';

const PASSWORD = 'Bell-Pass-77';
const OFFER = [
  'v=0',
  `o=- 1 1 IN IP4 ${LOOPBACK}`,
  's=Talk',
  `c=IN IP4 ${LOOPBACK}`,
  't=0 0',
  'm=audio 15000 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

let sipp = 'sipp';
let gw: TestGateway;
let bell: SimDevice;
let bellId: string;
let sipPort: number;
const rings: GatewayEvent[] = [];

beforeAll(async () => {
  sipp = requireTool('sipp', 'sip-tester');
  bell = await startSimDevice({ profile: 'doorbell', password: PASSWORD });
  gw = await startTestGateway({
    overrides: { doorbell: { sipHost: LOOPBACK, sipT1Ms: 100, stopRingingHangUpMs: 200 } },
  });
  gw.gateway.bus.on('event', (event) => {
    if (event.kind === 'doorbell-ring') rings.push(event);
  });
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Front door', host: LOOPBACK, port: bell.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  bellId = added.json.id;
  const set = await gw.api('PUT', `/api/v1/devices/${bellId}/sip`, {
    body: { mode: 'emulate', emulate: { autoConfigure: false } },
  });
  expect(set.status, set.text).toBe(200);
  expect(set.json.status.state).toBe('not-registered');
  sipPort = set.json.status.listenPort;
  expect(sipPort).toBeGreaterThan(0);
}, 15 * 60_000);

afterAll(async () => {
  await gw?.stop();
  await bell?.close();
});

async function runSipp(scenario: string, transport: 'udp' | 'tcp', from = LOOPBACK): Promise<SippResult> {
  const port = await freeSipPort(from);
  const run = startSipp(
    [
      `${LOOPBACK}:${sipPort}`,
      '-sf',
      `${SIPP_SCENARIOS}${scenario}`,
      '-t',
      transport === 'udp' ? 'u1' : 't1',
      '-i',
      from,
      '-p',
      String(port),
    ],
    { binary: sipp },
  );
  return run.result;
}

/** The status lines SIPp received, in order (`SIP/2.0 180 Ringing`...). */
function statusLines(run: SippResult): string[] {
  return sippBlocks(run.messages, 'received').flatMap((block) => {
    const line = /^\s*(SIP\/2\.0 \d{3}[^\r\n]*)/m.exec(block);
    return line ? [line[1]!.trim()] : [];
  });
}

describe('the emulated SIP proxy with SIPp as the doorbell', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    describe(transport.toUpperCase(), () => {
      it("accepts a REGISTER from the doorbell's address and refuses one from elsewhere", async () => {
        const refused = await runSipp('bell-register.xml', transport, '127.0.0.2');
        expect(refused.code, describeSippRun(refused)).toBe(0);
        expect(statusLines(refused)).toEqual(['SIP/2.0 403 Forbidden']);
        const accepted = await runSipp('bell-register.xml', transport);
        expect(accepted.code, describeSippRun(accepted)).toBe(0);
        expect(statusLines(accepted)).toEqual(['SIP/2.0 200 OK']);
        const view = await gw.api('GET', `/api/v1/devices/${bellId}/sip`);
        expect(view.json.status).toMatchObject({
          state: 'registered',
          listenPort: sipPort,
          localAddress: LOOPBACK,
        });
        expect(Date.parse(view.json.status.expiresAt) - Date.now()).toBeGreaterThan(50_000);
      }, 60_000);

      it('rings on INVITE and ends the ring when the doorbell cancels', async () => {
        const before = rings.length;
        const run = await runSipp('bell-ring-cancel.xml', transport);
        expect(run.code, describeSippRun(run)).toBe(0);
        expect(statusLines(run)).toEqual(
          expect.arrayContaining(['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK', 'SIP/2.0 487 Request Terminated']),
        );
        await waitFor('the ring and its end', () => rings.length - before === 2);
        const [start, end] = rings.slice(before);
        expect(start).toMatchObject({ state: 'start', deviceId: bellId, attributes: { source: 'sip' } });
        expect(end).toMatchObject({
          state: 'end',
          attributes: { source: 'sip', reason: 'the doorbell stopped calling' },
        });
        expect(Date.parse(end!.receivedAt) - Date.parse(start!.receivedAt)).toBeGreaterThanOrEqual(1_400);
      }, 60_000);

      it('stops the ringing: 200 with an SDP answer, the ACK, then our BYE', async () => {
        const before = rings.length;
        const run = runSipp('bell-ring-answered.xml', transport);
        await waitFor('the ring', () => rings.length === before + 1, 20_000);
        expect(rings.at(-1)).toMatchObject({ state: 'start', attributes: { source: 'sip' } });
        expect((await gw.api('GET', `/api/v1/devices/${bellId}/call`)).json).toEqual({ state: 'ringing' });
        const stopped = await gw.api('POST', `/api/v1/devices/${bellId}/call/stop-ringing`);
        expect(stopped.status, stopped.text).toBe(200);
        expect(stopped.json).toEqual({ state: 'idle' });
        const result = await run;
        expect(result.code, describeSippRun(result)).toBe(0);
        // The doorbell's microphone and our speaker: one audio stream, G.711, the video refused.
        const answer = sippBlocks(result.messages, 'received').find(
          (block) => /SIP\/2\.0 200 OK/.test(block) && /m=audio/.test(block),
        );
        expect(answer).toMatch(/m=audio [1-9]\d* RTP\/AVP (0|8) 101/);
        expect(answer).toMatch(/m=video 0 /);
        await waitFor('the ring end', () => rings.length === before + 2);
        expect(rings.at(-1)).toMatchObject({
          state: 'end',
          attributes: { source: 'sip', reason: 'answered' },
        });
        // The doorbell's ISAPI was never asked: the call was handled over SIP.
        expect(bell.callSignals).toEqual([]);
      }, 60_000);
    });
  }
});

describe('the emulated SIP proxy with raw datagrams', () => {
  it('absorbs retransmitted INVITEs, answers a second call busy and survives malformed input', async () => {
    const peer = await RawUdpPeer.open();
    try {
      // A doorbell registered from this port is not needed: the address alone admits it.
      const before = rings.length;
      const invite = rawRequest({
        method: 'INVITE',
        branch: 'z9hG4bK-retrans-1',
        viaPort: peer.port,
        callId: 'call-retrans',
        cseq: 20,
        extraHeaders: [`Contact: <sip:10101@${LOOPBACK}:${peer.port}>`, 'Content-Type: application/sdp'],
        body: OFFER,
      });
      for (let i = 0; i < 3; i++) await peer.send(invite, sipPort);
      await waitFor('180 answers', () => responses(peer.received, 180).length >= 1);
      // A second call while the first rings: busy, and no second ring.
      await peer.send(
        rawRequest({
          method: 'INVITE',
          branch: 'z9hG4bK-second-1',
          viaPort: peer.port,
          callId: 'call-second',
          cseq: 20,
          extraHeaders: ['Content-Type: application/sdp'],
          body: OFFER,
        }),
        sipPort,
      );
      await waitFor('486 Busy Here', () => responses(peer.received, 486).length === 1);
      // Garbage and a truncated request: dropped or answered 400, never a crash.
      await peer.send(Buffer.from([0, 1, 2, 255, 13, 10, 13, 10]), sipPort);
      await peer.send('INVITE sip:10102@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP nowhere\r\n\r\n', sipPort);
      await peer.send(
        rawRequest({ method: 'OPTIONS', branch: 'z9hG4bK-alive-1', viaPort: peer.port, callId: 'alive' }),
        sipPort,
      );
      await waitFor('200 to OPTIONS', () =>
        responses(peer.received, 200).some((response) => response.headers.some((h) => h.value === 'alive')),
      );
      expect(rings.length - before).toBe(1);
      // The doorbell gives up: the ring ends.
      await peer.send(
        rawRequest({
          method: 'CANCEL',
          branch: 'z9hG4bK-retrans-1',
          viaPort: peer.port,
          callId: 'call-retrans',
          cseq: 20,
        }),
        sipPort,
      );
      await waitFor('487', () => responses(peer.received, 487).length >= 1);
      await waitFor('the ring and its end', () => rings.length - before === 2);
    } finally {
      await peer.close();
    }
  }, 60_000);
});
