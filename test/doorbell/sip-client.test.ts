/**
 * "Connect to SIP proxy" end to end: the gateway is a phone on a PBX, and SIPp (Debian
 * sip-tester) plays the PBX (test/fixtures/sipp/pbx-register-call.xml), over UDP and TCP. The
 * phone is configured through the API while the PBX is not there yet (it retries), registers with
 * digest once it is (SIPp checks the credentials with verifyauth), refreshes before the short
 * grant runs out, and the doorbell's call the PBX routes to it rings (doorbell-ring event, the
 * call API says ringing); stop ringing picks up with an SDP answer, then hangs up with a BYE.
 * Switching SIP off removes the binding (Expires: 0, digest again). SIPp exits 0 only when
 * every step came as scripted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import type { SipViewType } from '../../src/modules/doorbell/routes.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { LOOPBACK, RawUdpPeer, rawRequest, responses, waitFor } from '../sip/helpers.ts';
import {
  describeSippRun,
  freeSipPort,
  SIPP_SCENARIOS,
  type SippResult,
  type SippRun,
  sippBlocks,
  startSipp,
} from '../support/sipp.ts';
import { requireTool } from '../support/system-tools.ts';

const BELL_PASSWORD = 'Bell-Pass-77';
const PBX_PASSWORD = 'Pbx-Phone-2001!';
const EXTENSION = '2001';

let sipp = 'sipp';
let gw: TestGateway;
let bell: SimDevice;
let bellId: string;
const rings: GatewayEvent[] = [];

beforeAll(async () => {
  sipp = requireTool('sipp', 'sip-tester');
  bell = await startSimDevice({ profile: 'doorbell', password: BELL_PASSWORD });
  gw = await startTestGateway({
    overrides: { doorbell: { sipHost: LOOPBACK, sipT1Ms: 100, stopRingingHangUpMs: 200 } },
  });
  gw.scan.addSecret(PBX_PASSWORD, 'PBX password');
  gw.gateway.bus.on('event', (event) => {
    if (event.kind === 'doorbell-ring') rings.push(event);
  });
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Front door', host: LOOPBACK, port: bell.port, username: 'admin', password: BELL_PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  bellId = added.json.id;
}, 15 * 60_000);

afterAll(async () => {
  // The scan runs on stop: the PBX password must be in no log line or API answer.
  await gw?.stop();
  await bell?.close();
});

const sipView = async (): Promise<SipViewType> => (await gw.api('GET', `/api/v1/devices/${bellId}/sip`)).json;

/** The SIP view once `ready` holds (polled: registration runs on its own timers). */
async function viewWhen(ready: (view: SipViewType) => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await sipView();
    if (ready(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(view.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** An ISO time of the view in ms (NaN when it is null). */
const time = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

function startPbx(transport: 'udp' | 'tcp', port: number): SippRun {
  return startSipp(
    [
      '-sf',
      `${SIPP_SCENARIOS}pbx-register-call.xml`,
      '-t',
      transport === 'udp' ? 'u1' : 't1',
      '-i',
      LOOPBACK,
      '-p',
      String(port),
      '-set',
      'user',
      EXTENSION,
      '-set',
      'password',
      PBX_PASSWORD,
    ],
    { binary: sipp, timeoutSeconds: 45, budgetMs: 55_000 },
  );
}

/** What the PBX received, in order: request lines and status lines. */
function receivedLines(run: SippResult): string[] {
  return sippBlocks(run.messages, 'received').flatMap((block) => {
    const line = /^\s*((?:[A-Z]+ sip:\S+|SIP\/2\.0 \d{3}).*)$/m.exec(block);
    return line ? [line[1]!.trim().replace(/ SIP\/2\.0$/, '')] : [];
  });
}

describe('connect to SIP proxy, with SIPp as the PBX', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    it(`retries until the PBX is up, registers with digest, refreshes, rings, stops the ringing, unregisters (${transport.toUpperCase()})`, async () => {
      const pbxPort = await freeSipPort(LOOPBACK);
      const before = rings.length;
      // The PBX is not there yet: the phone keeps trying.
      const set = await gw.api('PUT', `/api/v1/devices/${bellId}/sip`, {
        body: {
          mode: 'client',
          client: {
            server: LOOPBACK,
            port: pbxPort,
            transport,
            username: EXTENSION,
            expiresSeconds: 300,
            callerNumber: '10101',
          },
          password: PBX_PASSWORD,
        },
      });
      expect(set.status, set.text).toBe(200);
      expect(set.json).toMatchObject({
        mode: 'client',
        passwordSet: true,
        client: { server: LOOPBACK, port: pbxPort, transport, username: EXTENSION, expiresSeconds: 300 },
        status: { registeredAt: null, localAddress: LOOPBACK },
      });
      // Over TCP the refused connection may already have been seen.
      expect(['starting', 'retrying']).toContain(set.json.status.state);
      expect(set.text).not.toContain(PBX_PASSWORD);
      const phonePort = set.json.status.listenPort;
      expect(phonePort).toBeGreaterThan(0);
      const retrying = await viewWhen((view) => view.status.state === 'retrying', 'retrying');
      // UDP: no answer within 64*T1; TCP: the connection is refused.
      expect(retrying.status.detail).toMatch(
        transport === 'udp'
          ? /^SIP REGISTER to 127\.0\.0\.1:\d+ got no final response$/
          : /^TCP connect failed$/,
      );

      if (transport === 'udp') {
        // Another phone dialling our extension is not the doorbell: turned down, no ring.
        const other = await RawUdpPeer.open();
        try {
          await other.send(
            rawRequest({
              method: 'INVITE',
              branch: 'z9hG4bK-other-phone',
              viaPort: other.port,
              callId: 'other-phone',
              extraHeaders: ['Content-Type: application/sdp'],
              body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n',
            }).replace('From: <sip:10102@', 'From: <sip:3001@'),
            phonePort,
          );
          await waitFor('486 to the other phone', () => responses(other.received, 486).length === 1);
          expect(rings.length).toBe(before);
        } finally {
          await other.close();
        }
      }

      const pbx = startPbx(transport, pbxPort);
      try {
        const registered = await viewWhen(
          (view) => view.status.state === 'registered',
          'registered with the PBX',
          30_000,
        );
        expect(registered.status.detail).toBeNull();
        const firstExpiry = time(registered.status.expiresAt);
        expect(firstExpiry - time(registered.status.registeredAt)).toBe(4_000);
        // The refresh comes before the 4 s run out; the PBX then grants 600 s.
        const refreshed = await viewWhen(
          (view) => time(view.status.expiresAt) - time(view.status.registeredAt) === 600_000,
          'the refresh',
          10_000,
        );
        expect(time(refreshed.status.registeredAt)).toBeLessThan(firstExpiry);
        expect(refreshed.status.state).toBe('registered');

        // The PBX routes the doorbell's call to us: it rings.
        await waitFor('the ring', () => rings.length === before + 1, 20_000);
        expect(rings.at(-1)).toMatchObject({
          state: 'start',
          deviceId: bellId,
          attributes: { source: 'sip' },
        });
        expect((await gw.api('GET', `/api/v1/devices/${bellId}/call`)).json).toEqual({ state: 'ringing' });
        expect((await sipView()).status.call).toBe('ringing');
        const stopped = await gw.api('POST', `/api/v1/devices/${bellId}/call/stop-ringing`);
        expect(stopped.status, stopped.text).toBe(200);
        expect(stopped.json).toEqual({ state: 'idle' });
        await waitFor('the ring end', () => rings.length === before + 2);
        expect(rings.at(-1)).toMatchObject({
          state: 'end',
          attributes: { source: 'sip', reason: 'answered' },
        });
        expect((await sipView()).status.call).toBe('idle');

        // SIP off: the binding is removed with digest, and the PBX's script is complete.
        const off = await gw.api('PUT', `/api/v1/devices/${bellId}/sip`, { body: { mode: 'off' } });
        expect(off.status, off.text).toBe(200);
        expect(off.json.status.state).toBe('off');
        const run = await pbx.result;
        expect(run.code, describeSippRun(run)).toBe(0);
        const lines = receivedLines(run);
        // First, refresh and removal, each answered with digest after a 401: six REGISTERs
        // (retransmissions aside), all with the one Call-ID SIPp matched them to.
        const registers = sippBlocks(run.messages, 'received').filter((block) =>
          /^\s*REGISTER /m.test(block),
        );
        expect(new Set(registers.map((block) => /^CSeq: (\d+)/m.exec(block)?.[1])).size).toBe(6);
        expect(lines.filter((line) => /^SIP\/2\.0 (180|200)/.test(line))).toEqual(
          expect.arrayContaining(['SIP/2.0 180 Ringing', 'SIP/2.0 200 OK']),
        );
        // Our BYE went to the doorbell's Contact as the PBX passed it on.
        expect(lines).toContain(`BYE sip:10101@${LOOPBACK}:${pbxPort};transport=${transport.toUpperCase()}`);
        // Our answer: G.711 audio, the doorbell's video refused.
        const answer = sippBlocks(run.messages, 'received').find(
          (block) => /SIP\/2\.0 200 OK/.test(block) && /m=audio/.test(block),
        );
        expect(answer).toMatch(/m=audio [1-9]\d* RTP\/AVP (0|8) 101/);
        expect(answer).toMatch(/m=video 0 /);
        // The PBX saw a digest answer, never the password itself.
        expect(run.messages).toMatch(/Authorization: Digest username="2001", realm="pbx.test"/);
        expect(run.messages).not.toContain(PBX_PASSWORD);
        expect(bell.callSignals).toEqual([]);
      } finally {
        await pbx.stop();
      }
    }, 90_000);
  }
});
