/**
 * "Emulate SIP proxy" against the simulator's own doorbell, whose SIP agent is an independent
 * implementation: auto-configuration over ISAPI (written, read back, confirmed by the doorbell's
 * REGISTER), then button presses that ring over SIP while polling sees the same call (one ring
 * event, not two), answer and hang up over SIP, the doorbell giving up after its ring time, the
 * doorbell hanging up, and a door opened during a call ending it. The simulator records every
 * SIP message and every ISAPI call signal it received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import type { DoorbellCallEvent } from '../../src/core/bus.ts';
import type { GatewayEvent } from '../../src/core/events.ts';
import type { SipViewType } from '../../src/modules/doorbell/routes.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { LOOPBACK, waitFor } from '../sip/helpers.ts';
import { tone } from '../talk/support.ts';

const PASSWORD = 'Bell-Pass-77';
const MAX_RING_MS = 2_000;

let gw: TestGateway;
let bell: SimDevice;
let bellId: string;
const rings: GatewayEvent[] = [];
const calls: DoorbellCallEvent[] = [];

beforeAll(async () => {
  bell = await startSimDevice({
    profile: 'doorbell',
    password: PASSWORD,
    sipT1Ms: 100,
    sipPort: 0,
    maxRingTimeMs: MAX_RING_MS,
  });
  gw = await startTestGateway({
    overrides: {
      devices: { endCallAfterDoorOpenSeconds: 0.3 },
      events: { callStatusPollMs: 250 },
      doorbell: { sipHost: LOOPBACK, sipT1Ms: 100, stopRingingHangUpMs: 200, registerWaitSeconds: 20 },
    },
  });
  gw.gateway.bus.on('event', (event) => {
    if (event.kind === 'doorbell-ring') rings.push(event);
  });
  gw.gateway.bus.on('doorbell.call', (call) => calls.push(call));
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Front door', host: LOOPBACK, port: bell.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  bellId = added.json.id;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await bell?.close();
});

const sipView = async (deviceId = bellId): Promise<SipViewType> =>
  (await gw.api('GET', `/api/v1/devices/${deviceId}/sip`)).json;

/** The SIP view once `ready` holds for it (polled; the doorbell registers on its own time). */
async function viewWhen(
  ready: (view: SipViewType) => boolean,
  what: string,
  deviceId = bellId,
  timeoutMs = 20_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await sipView(deviceId);
    if (ready(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(view.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const callState = async () => (await gw.api('GET', `/api/v1/devices/${bellId}/call`)).json.state;
const received = (pattern: RegExp) =>
  (bell.sipMessages ?? []).filter((m) => m.direction === 'in' && pattern.test(m.startLine));

async function press(): Promise<string> {
  const before = rings.length;
  const pressed = bell.press(1);
  expect(pressed.calling, JSON.stringify(pressed)).toBe(true);
  await waitFor('the ring event', () => rings.length > before, 10_000);
  expect(rings[before]).toMatchObject({ state: 'start', deviceId: bellId, attributes: { source: 'sip' } });
  return pressed.callId!;
}

async function settle(): Promise<void> {
  await waitFor('the doorbell idle', () => bell.callStatus === 'idle' && !bell.sipState?.call, 10_000);
  await waitFor('the gateway idle', () => calls.at(-1)?.state === 'idle', 10_000);
}

describe('emulate SIP proxy with the simulated doorbell', () => {
  it('configures the doorbell over ISAPI and is confirmed by its REGISTER', async () => {
    const set = await gw.api('PUT', `/api/v1/devices/${bellId}/sip`, {
      body: { mode: 'emulate', emulate: { roomNumber: 12, buttonNumber: 1 } },
    });
    expect(set.status, set.text).toBe(200);
    const port = set.json.status.listenPort;
    expect(port).toBeGreaterThan(0);
    const view = await viewWhen((v) => v.status.autoConfig?.state === 'done', 'auto-configuration done');
    expect(view.status).toMatchObject({ state: 'registered', listenPort: port, autoConfig: { error: null } });
    expect(view.status.autoConfig?.changed).toEqual(['sip server', 'phone number record', 'call button']);
    const { server } = bell.sipSettings!;
    expect(server).toMatchObject({
      enabled: true,
      proxy: LOOPBACK,
      proxyPort: port,
      userName: '10101',
      authId: '10101',
    });
    expect(bell.sipSettings!.phoneNumberRecords.get('12')).toEqual(['10102']);
    expect(bell.sipSettings!.keys.get(1)).toBe('12');
    expect(bell.sipState?.registeredTo).toBe(`${LOOPBACK}:${port}`);
    // Asked again, it finds everything in place, writes nothing and is confirmed at once.
    const again = await gw.api('POST', `/api/v1/devices/${bellId}/sip/configure`);
    expect(again.status, again.text).toBe(200);
    const second = await viewWhen(
      (v) => v.status.autoConfig?.state === 'done' && v.status.autoConfig.attempts === 1,
      'the second pass',
    );
    expect(second.status.autoConfig?.changed).toEqual([]);
    // The doctor compares the doorbell with the set-up hikbridge expects.
    const doctor = await gw.api('POST', `/api/v1/devices/${bellId}/doctor`);
    expect(doctor.status, doctor.text).toBe(200);
    const sipCheck = doctor.json.checks.find((check: { id: string }) => check.id === 'doorbell-sip');
    expect(sipCheck, JSON.stringify(doctor.json.checks)).toMatchObject({ status: 'pass' });
    expect(sipCheck.detail).toContain(`${LOOPBACK}:${port}`);
  }, 60_000);

  it('rings once when both SIP and polling see the call, answers and hangs up over SIP', async () => {
    const before = rings.length;
    const callId = await press();
    // Polling sees the same call ringing: no second ring.
    await waitFor('polling saw the ring', () =>
      calls.some((call) => call.source === 'callStatus' && call.state === 'ringing'),
    );
    expect(await callState()).toBe('ringing');
    const answered = await gw.api('POST', `/api/v1/devices/${bellId}/call/answer`);
    expect(answered.json).toEqual({ state: 'in call' });
    await waitFor('the doorbell in the call', () => bell.sipState?.call?.state === 'connected');
    expect(bell.callStatus).toBe('onCall');
    const hungUp = await gw.api('POST', `/api/v1/devices/${bellId}/call/hang-up`);
    expect(hungUp.json).toEqual({ state: 'idle' });
    await settle();
    expect(bell.sipState?.lastCall).toMatchObject({ callId, reason: 'hungUpByPeer' });
    const ringEvents = rings.slice(before);
    expect(ringEvents.map((event) => event.state)).toEqual(['start', 'end']);
    expect(ringEvents[1]?.attributes).toMatchObject({ source: 'sip', reason: 'answered' });
    // Over SIP only: no ISAPI call signal was sent.
    expect(bell.callSignals).toEqual([]);
  }, 60_000);

  it('ends the ring when the doorbell gives up after its ring time', async () => {
    const before = rings.length;
    const callId = await press();
    await waitFor('the ring end', () => rings.length === before + 2, MAX_RING_MS + 8_000);
    // The doorbell's CANCEL and its status going idle come together: either may end the ring.
    const end = rings.at(-1)!;
    if (end.attributes.source === 'sip') expect(end.attributes.reason).toBe('the doorbell stopped calling');
    else expect(end.attributes).toMatchObject({ source: 'callStatus', callStatus: 'idle' });
    await waitFor('the doorbell cancelled', () => bell.sipState?.lastCall?.callId === callId);
    expect(bell.sipState?.lastCall?.reason).toBe('cancelled');
    expect(received(/^SIP\/2\.0 487/).length).toBeGreaterThanOrEqual(1);
    await settle();
  }, 30_000);

  it('stops the ringing without a refusal, and follows the doorbell hanging up', async () => {
    const from = Date.now();
    await press();
    const stopped = await gw.api('POST', `/api/v1/devices/${bellId}/call/stop-ringing`);
    expect(stopped.json).toEqual({ state: 'idle' });
    await settle();
    expect(bell.sipState?.lastCall?.reason).toBe('hungUpByPeer');
    // The doorbell got a 200 (picked up), then our BYE; never a 4xx-6xx refusal.
    const refusals = received(/^SIP\/2\.0 [456]\d\d/).filter((message) => message.at >= from);
    expect(refusals, JSON.stringify(bell.sipMessages?.slice(-12), null, 1)).toEqual([]);

    await press();
    await gw.api('POST', `/api/v1/devices/${bellId}/call/answer`);
    await waitFor('connected', () => bell.sipState?.call?.state === 'connected');
    expect(bell.sipHangUp()).toBe(true);
    await settle();
    // Polling may report the same idle doorbell after it: the SIP side says why the call ended.
    const sipEnd = calls.filter((call) => call.source === 'sip').at(-1);
    expect(sipEnd).toMatchObject({ state: 'idle', reason: 'the doorbell hung up' });
    expect(await callState()).toBe('idle');
  }, 60_000);

  it('ends the call a moment after a door is opened during it', async () => {
    await press();
    await gw.api('POST', `/api/v1/devices/${bellId}/call/answer`);
    await waitFor('connected', () => bell.sipState?.call?.state === 'connected');
    const byesBefore = received(/^BYE /).length;
    const opened = await gw.api('POST', `/api/v1/devices/${bellId}/doors/1`);
    expect(opened.status, opened.text).toBe(204);
    await waitFor('our BYE', () => received(/^BYE /).length === byesBefore + 1, 10_000);
    await settle();
    expect(bell.doorCommands.at(-1)).toMatchObject({ door: 1, cmd: 'open' });
    expect(bell.callSignals).toEqual([]);
  }, 60_000);

  it('talks to the visitor as RTP inside the SIP call, picking up a ringing call first', async () => {
    const channels = (await gw.api('GET', '/api/v1/channels')).json as Array<{
      id: string;
      deviceId: string;
    }>;
    const channelId = channels.find((channel) => channel.deviceId === bellId)!.id;
    await press();
    const isapiTalkBefore = bell.requests.filter((request) => /twowayaudio/i.test(request.path)).length;
    const answer = await fetch(`${gw.url}/api/v1/channels/${channelId}/talk/audio`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.token}`, 'content-type': 'audio/wav' },
      body: await tone(1),
      signal: AbortSignal.timeout(20_000),
    });
    const ended = await answer.json();
    expect(answer.status, JSON.stringify(ended)).toBe(200);
    expect(ended).toMatchObject({ reason: 'input-ended', error: null });
    // 1 s of 20 ms packets reached the doorbell's audio port; ISAPI two-way audio was not used.
    expect(bell.sipState?.call?.state).toBe('connected');
    expect(bell.sipState?.call?.rtpPacketsReceived).toBeGreaterThanOrEqual(40);
    expect(bell.requests.filter((request) => /twowayaudio/i.test(request.path)).length).toBe(isapiTalkBefore);
    await gw.api('POST', `/api/v1/devices/${bellId}/call/hang-up`);
    await settle();
  }, 60_000);
});

describe('a second doorbell on the same address, over TCP', () => {
  let second: SimDevice;
  let secondId: string;

  afterAll(async () => {
    await second?.close();
  });

  it('is told apart by its phone number, registers and rings over TCP', async () => {
    second = await startSimDevice({
      profile: 'doorbell',
      password: PASSWORD,
      sipT1Ms: 100,
      sipPort: 0,
      sipTransport: 'tcp',
      serialNumber: 'DS-KV6124-E10120260115WRJ00000002',
    });
    const added = await gw.api('POST', '/api/v1/devices', {
      body: { name: 'Back door', host: LOOPBACK, port: second.port, username: 'admin', password: PASSWORD },
    });
    expect(added.status, added.text).toBe(201);
    secondId = added.json.id;
    const set = await gw.api('PUT', `/api/v1/devices/${secondId}/sip`, {
      body: { mode: 'emulate', emulate: { doorbellNumber: '10111' } },
    });
    expect(set.status, set.text).toBe(200);
    await viewWhen(
      (view) => view.status.autoConfig?.state === 'done',
      'the second doorbell set up',
      secondId,
    );
    expect(second.sipState?.transport).toBe('tcp');
    const before = rings.length;
    const pressed = second.press(1);
    expect(pressed.calling).toBe(true);
    await waitFor('its ring', () => rings.length > before, 10_000);
    expect(rings[before]).toMatchObject({
      state: 'start',
      deviceId: secondId,
      attributes: { source: 'sip' },
    });
    // The first doorbell, on the same address, is not the one ringing.
    expect((await gw.api('GET', `/api/v1/devices/${bellId}/call`)).json.state).toBe('idle');
    const answered = await gw.api('POST', `/api/v1/devices/${secondId}/call/answer`);
    expect(answered.json).toEqual({ state: 'in call' });
    await waitFor('connected', () => second.sipState?.call?.state === 'connected');
    // Renaming the doorbell keeps its SIP set-up and the call.
    const renamed = await gw.api('PATCH', `/api/v1/devices/${secondId}`, { body: { name: 'Garden gate' } });
    expect(renamed.status, renamed.text).toBe(200);
    expect((await gw.api('GET', `/api/v1/devices/${secondId}/call`)).json.state).toBe('in call');
    expect(second.sipState?.call?.state).toBe('connected');
    const hungUp = await gw.api('POST', `/api/v1/devices/${secondId}/call/hang-up`);
    expect(hungUp.json).toEqual({ state: 'idle' });
    await waitFor('the second doorbell idle', () => !second.sipState?.call);
    expect(second.sipState?.lastCall?.reason).toBe('hungUpByPeer');
    expect(second.sipMessages?.every((message) => message.transport === 'tcp')).toBe(true);
  }, 60_000);
});
