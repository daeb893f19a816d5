/**
 * The doctor's doorbell-sip check against the simulated doorbell, whose own SIP agent registers to
 * a real registrar (a SipStack on loopback) or fails to: SIP off, registered and mapped, refused,
 * still registering, a button without a room or a room without a number, hikbridge's expectations
 * met and missed, settings the firmware lacks, and a camera (skipped without a request).
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import {
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  type ExpectedSip,
  runDoctor,
} from '../../src/diagnostics/doctor.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { writeKeyCfg, writePhoneNumberRecord, writeSipServer } from '../../src/protocols/isapi/sip-config.ts';
import { SipRegistrar, SipStack } from '../../src/protocols/sip/index.ts';

const PASSWORD = 'Bell-Doctor-5';
const LOOPBACK = '127.0.0.1';
const DOORBELL_NUMBER = '10101';
const PROXY_NUMBER = '10102';
const open: Array<{ close(): Promise<void> | void }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((thing) => thing.close()));
});

async function sim(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const device = await startSimDevice({
    profile: 'doorbell',
    password: PASSWORD,
    heartbeatMs: 0,
    snapshotDelayMs: 0,
    sipPort: 0,
    ...options,
  });
  open.push(device);
  return device;
}

function clientFor(device: SimDevice): IsapiClient {
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  open.push(client);
  return client;
}

/** Plays the SIP server: a registrar that admits the doorbell's number from loopback only. */
async function registrar(): Promise<{ port: number; registered: () => boolean }> {
  const table = new SipRegistrar({
    realm: 'doctor-test',
    admit: (peer, user) =>
      peer.address === LOOPBACK && user === DOORBELL_NUMBER ? { id: 'bell' } : undefined,
  });
  const stack = await SipStack.start({
    host: LOOPBACK,
    port: 0,
    allowedMethods: ['REGISTER'],
    onRequest: (incoming) => void table.handle(incoming),
  });
  open.push(stack);
  return { port: stack.port, registered: () => table.binding('bell') !== undefined };
}

/** A UDP port that takes datagrams and never answers: a SIP server that is not there. */
async function silentPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
  open.push({ close: () => new Promise<void>((resolve) => socket.close(() => resolve())) });
  return socket.address().port;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What "emulate" mode writes: SIP to `port`, button 1 -> room 1 -> our number. */
async function setUp(
  device: SimDevice,
  port: number,
  options: { userName?: string; room?: number } = {},
): Promise<void> {
  const client = clientFor(device);
  const room = options.room ?? 1;
  await writePhoneNumberRecord(client, { roomNo: room, phoneNumbers: [PROXY_NUMBER] });
  await writeKeyCfg(client, { button: 1, callNumber: room });
  const user = options.userName ?? DOORBELL_NUMBER;
  await writeSipServer(client, {
    enabled: true,
    proxy: LOOPBACK,
    proxyPort: port,
    userName: user,
    authId: user,
    expires: 60,
  });
}

async function sipCheck(device: SimDevice, options: Partial<DoctorOptions> = {}): Promise<DoctorCheck> {
  const report: DoctorReport = await runDoctor({
    baseUrl: device.url,
    username: 'admin',
    password: PASSWORD,
    ...options,
  });
  const check = report.checks.find((c) => c.id === 'doorbell-sip');
  if (!check) throw new Error('no doorbell-sip check in the report');
  return check;
}

const doctorWrites = (device: SimDevice, since: number) =>
  device.requests
    .slice(since)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path.split('?')[0]}`);

describe('doorbell-sip', () => {
  it('a camera is skipped without a single SIP or intercom request', async () => {
    const camera = await sim({ profile: 'camera' });
    const check = await sipCheck(camera);
    expect(check).toEqual({
      id: 'doorbell-sip',
      status: 'skip',
      detail: 'not a doorbell (camera): SIP calls are a doorbell feature',
      fix: null,
    });
    expect(camera.countRequests('/ISAPI/System/Network/SIP')).toBe(0);
    expect(camera.countRequests('/ISAPI/VideoIntercom')).toBe(0);
  });

  it('SIP off: warns that the ring comes from polling and names the API route to switch SIP on', async () => {
    const device = await sim();
    const check = await sipCheck(device);
    expect(check.status).toBe('warn');
    expect(check.detail).toBe(
      'SIP is off on the doorbell: a ring is only found by polling its call status (about 1 s late)',
    );
    expect(check.fix).toContain('PUT /api/v1/devices/{id}/sip');
    expect(check.fix).toMatch(/"emulate".*"client"/);
    // Nothing more to judge while SIP is off: the button and records are not even read.
    expect(device.countRequests('/ISAPI/VideoIntercom/keyCfg')).toBe(0);
  });

  it('registered and mapped: passes with one line, and the doctor writes nothing', async () => {
    const device = await sim();
    const proxy = await registrar();
    await setUp(device, proxy.port);
    await waitFor('the doorbell to register', () => proxy.registered());
    await waitFor('registerStatus', () => device.sipSettings!.registerStatus === 'registered');
    const before = device.requests.length;

    const check = await sipCheck(device);
    expect(check).toEqual({
      id: 'doorbell-sip',
      status: 'pass',
      detail: `registered to ${LOOPBACK}:${proxy.port} as ${DOORBELL_NUMBER}; call button 1 calls room 1, which rings ${PROXY_NUMBER}`,
      fix: null,
    });
    // The phone number search is a POST, but only a search.
    expect(doctorWrites(device, before)).toEqual([
      'POST /ISAPI/VideoIntercom/PhoneNumberRecords/phoneSearch',
    ]);

    // The same doorbell, judged against what hikbridge (emulate mode) expects of it.
    const expected: ExpectedSip = {
      proxy: LOOPBACK,
      port: proxy.port,
      doorbellNumber: DOORBELL_NUMBER,
      proxyNumber: PROXY_NUMBER,
      roomNumber: 1,
      buttonNumber: 1,
    };
    const matching = await sipCheck(device, { expectedSip: expected });
    expect(matching.status).toBe('pass');
    expect(matching.detail).toContain(`as hikbridge expects (emulate mode, ${LOOPBACK}:${proxy.port})`);
  });

  it("hikbridge's expectations missed: fails naming each difference, with how to write them again", async () => {
    const device = await sim();
    const proxy = await registrar();
    await setUp(device, proxy.port);
    await waitFor('registerStatus', () => device.sipSettings!.registerStatus === 'registered');

    const check = await sipCheck(device, {
      expectedSip: {
        proxy: '192.168.1.20',
        port: 5062,
        doorbellNumber: '10105',
        proxyNumber: '10106',
        roomNumber: 2,
        buttonNumber: 1,
      },
    });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(
      `the doorbell's SIP server is ${LOOPBACK}:${proxy.port}; hikbridge listens for it on 192.168.1.20:5062`,
    );
    expect(check.detail).toContain(
      "the doorbell's phone number (SIP user name) is 10101; hikbridge admits 10105",
    );
    expect(check.detail).toContain('call button 1 calls room 1; hikbridge expects room 2');
    expect(check.detail).toContain('room 2 has no phone number record; hikbridge answers 10106');
    // What was fine is still said, after the problems.
    expect(check.detail).toMatch(/hikbridge answers 10106.*; registered to /);
    expect(check.fix).toContain('POST /api/v1/devices/{id}/sip/configure');
    expect(check.fix).toContain('server 192.168.1.20 port 5062, user name 10105');
  });

  it('SIP off while hikbridge expects it on is a failure, not a warning', async () => {
    const device = await sim();
    const check = await sipCheck(device, {
      expectedSip: {
        proxy: LOOPBACK,
        port: 5070,
        doorbellNumber: DOORBELL_NUMBER,
        proxyNumber: PROXY_NUMBER,
        roomNumber: 1,
        buttonNumber: 1,
      },
    });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain(
      `SIP is off on the doorbell, but hikbridge (emulate mode) expects it to register to ${LOOPBACK}:5070`,
    );
    expect(check.detail).toContain('call button 1 calls no room; hikbridge expects room 1');
  });

  it('refused by its SIP server: fails naming the proxy:port, with address, firewall and SIP mode in the fix', async () => {
    // A long T1: after the refusal the doorbell waits 2*T1 (20 s) before it tries again.
    const device = await sim({ sipT1Ms: 10_000 });
    const proxy = await registrar();
    await setUp(device, proxy.port, { userName: '10199' }); // a number the registrar does not admit
    await waitFor('the refusal', () => device.sipSettings!.registerStatus === 'failed');

    const check = await sipCheck(device);
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      new RegExp(
        `^SIP is on but the doorbell is not registered to ${LOOPBACK}:${proxy.port} as 10199 \\(status "failed"\\); `,
      ),
    );
    expect(check.detail).toContain('call button 1 calls room 1, which rings 10102');
    expect(check.fix).toContain(`Check that ${LOOPBACK}:${proxy.port} is the address and port`);
    expect(check.fix).toContain('firewall');
    expect(check.fix).toContain(`UDP ${proxy.port}`);
    expect(check.fix).toMatch(/hikbridge's SIP mode for this doorbell is on/);
  });

  it('a SIP server that never answers: still registering is a warning to look again', async () => {
    const device = await sim({ sipT1Ms: 10_000 }); // the REGISTER gives up only after 64*T1
    const port = await silentPort();
    await setUp(device, port);
    await waitFor('registering', () => device.sipSettings!.registerStatus === 'registering');

    const check = await sipCheck(device);
    expect(check.status).toBe('warn');
    expect(check.detail).toMatch(`SIP is on; the doorbell is still registering to ${LOOPBACK}:${port}`);
    expect(check.fix).toMatch(/^Run the doctor again in a minute/);
  });

  it('a call button that calls a room without a number, or no room at all, fails', async () => {
    const device = await sim();
    const proxy = await registrar();
    await setUp(device, proxy.port);
    await waitFor('registerStatus', () => device.sipSettings!.registerStatus === 'registered');
    await writeKeyCfg(clientFor(device), { button: 1, callNumber: 7 });

    const orphan = await sipCheck(device);
    expect(orphan.status).toBe('fail');
    expect(orphan.detail).toMatch(
      /^call button 1 calls room 7, which has no phone number record: a press calls nobody over SIP; registered to /,
    );
    expect(orphan.fix).toContain('make call button 1 call room 7 and give room 7 a phone number record');

    device.sipSettings!.keys.delete(1);
    device.sipSettings!.changed();
    const before = device.requests.length;
    const none = await sipCheck(device);
    expect(none.status).toBe('fail');
    expect(none.detail).toMatch(/^call button 1 calls no room: a press calls nobody over SIP; /);
    // No room: the records are not searched.
    expect(doctorWrites(device, before)).toEqual([]);
  });

  it('settings the firmware lacks are skipped, saying what to check in the web page', async () => {
    const device = await sim();
    device.setEndpoint('/ISAPI/System/Network/SIP/1', { status_code: 404 });
    device.setEndpoint('/ISAPI/System/Network/SIP', { status_code: 404 });
    const check = await sipCheck(device);
    expect(check.status).toBe('skip');
    expect(check.detail).toBe(
      'SIP server settings: not available over ISAPI on this firmware (/ISAPI/System/Network/SIP is not supported)',
    );
    expect(check.fix).toMatch(/^Check by hand in the doorbell's web page \(SIP settings\): that SIP is on/);
  });

  it('a button the firmware cannot show: skipped, with what was seen and what to check by hand', async () => {
    const device = await sim();
    const proxy = await registrar();
    await setUp(device, proxy.port);
    await waitFor('registerStatus', () => device.sipSettings!.registerStatus === 'registered');
    device.setEndpoint('/ISAPI/VideoIntercom/keyCfg/1', { status_code: 404 });

    const check = await sipCheck(device);
    expect(check.status).toBe('skip');
    expect(check.detail).toBe(
      'call button 1: not available over ISAPI on this firmware (/ISAPI/VideoIntercom/keyCfg/1 is not supported); ' +
        `registered to ${LOOPBACK}:${proxy.port} as ${DOORBELL_NUMBER}`,
    );
    expect(check.fix).toBe(
      "Check by hand in the doorbell's web page (SIP settings): that call button 1 calls a room.",
    );
  });

  it('invalid expectations are a TypeError before anything is sent', async () => {
    const device = await sim();
    const valid: ExpectedSip = {
      proxy: LOOPBACK,
      port: 5060,
      doorbellNumber: DOORBELL_NUMBER,
      proxyNumber: PROXY_NUMBER,
      roomNumber: 1,
      buttonNumber: 1,
    };
    for (const wrong of [
      { port: 0 },
      { proxy: '' },
      { proxyNumber: '10a' },
      { roomNumber: 10_000 },
      { buttonNumber: 100 },
    ]) {
      await expect(sipCheck(device, { expectedSip: { ...valid, ...wrong } })).rejects.toThrow(TypeError);
    }
    expect(device.requests).toHaveLength(0);
  });
});
