/**
 * The doctor against the real simulator: one healthy device per kind, then each classic problem
 * produced the way a device shows it, checking the verdict, what the user reads, and that the
 * doctor stays gentle with the device (read-only, one login attempt, one picture).
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { basename } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  listFixtureProfiles,
  resolveProfile,
  type SimDevice,
  type SimDeviceOptions,
  startSimDevice,
} from '../../sim/index.ts';
import { deviceClockCheck } from '../../src/diagnostics/clock.ts';
import {
  CHECK_IDS,
  type CheckStatus,
  type DoctorOptions,
  type DoctorReport,
  runDoctor,
} from '../../src/diagnostics/doctor.ts';
import { DoctorSession } from '../../src/diagnostics/session.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';

const PASSWORD = 'Doctor-Test-9';
const devices: SimDevice[] = [];

afterEach(async () => {
  await Promise.all(devices.splice(0).map((device) => device.close()));
});

async function sim(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const device = await startSimDevice({
    profile: 'camera',
    password: PASSWORD,
    heartbeatMs: 0,
    snapshotDelayMs: 0,
    ...options,
  });
  devices.push(device);
  return device;
}

function doctor(device: SimDevice, options: Partial<DoctorOptions> = {}): Promise<DoctorReport> {
  return runDoctor({ baseUrl: device.url, username: 'admin', password: PASSWORD, ...options });
}

function check(report: DoctorReport, id: string) {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id}`);
  return found;
}

function statuses(report: DoctorReport): Record<string, CheckStatus> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

/** Checks after `id` in report order. */
function checksAfter(report: DoctorReport, id: string) {
  return report.checks.slice(report.checks.findIndex((c) => c.id === id) + 1);
}

const failedLogins = (device: SimDevice) =>
  device.requests.filter((r) => r.authenticated && r.status === 401).length;

describe('healthy devices', () => {
  it('built-in camera: only the H.265 main stream is worth a warning, and the doctor only reads', async () => {
    const device = await sim();
    const report = await doctor(device);
    expect(report.device).toEqual({
      model: 'DS-2CD2386G2-IU',
      kind: 'camera',
      host: new URL(device.url).host,
    });
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(statuses(report)).toEqual({
      reachability: 'pass',
      'https-certificate': 'skip',
      'auth-method': 'pass',
      credentials: 'pass',
      activation: 'pass',
      'lockout-policy': 'pass',
      integration: 'pass',
      'permission-events': 'pass',
      'permission-snapshot': 'pass',
      'permission-live-view': 'pass',
      'permission-playback': 'pass',
      'permission-two-way-audio': 'pass',
      'permission-door-control': 'skip',
      'motion-detection': 'pass',
      'motion-notify-center': 'pass',
      'stream-codec': 'warn',
      'two-way-audio-codec': 'pass',
      'nvr-channels': 'skip',
      'snapshot-path': 'skip',
      'device-clock': 'pass',
      'doorbell-sip': 'skip',
      storage: 'pass',
      'stream-tuning': 'pass',
    });
    const codec = check(report, 'stream-codec');
    expect(codec.detail).toBe('channel 1 (yard): main stream 101 is H.265; sub stream 102 is H.264');
    expect(codec.fix).toMatch(/Browsers \(WebRTC\) and HomeKit cannot play H\.265.*H\.264 sub stream/);
    expect(check(report, 'auth-method').detail).toBe('the device asks for Digest (MD5, qop=auth)');
    expect(check(report, 'lockout-policy').detail).toMatch(/on \(after 5 failed logins/);
    expect(check(report, 'device-clock').detail).toMatch(
      /^device time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d, time mode NTP: (agrees with|is \d{1,2} s from) this machine's clock$/,
    );
    for (const c of report.checks) if (c.status === 'pass') expect(c.fix, c.id).toBeNull();

    // Gentle: read-only, one picture, the event stream closed again, no failed login.
    expect(device.requests.every((r) => r.method === 'GET')).toBe(true);
    expect(device.countRequests('/ISAPI/Streaming/channels/101/picture')).toBe(1);
    expect(device.countRequests('/ISAPI/Event/notification/alertStream')).toBe(1);
    expect(device.openAlertStreams).toBe(0);
    expect(failedLogins(device)).toBe(0);
  });

  it('built-in NVR: snapshots through the StreamingProxy fallback pass, channels all online', async () => {
    const report = await doctor(await sim({ profile: 'nvr' }));
    expect(report.device.kind).toBe('nvr');
    expect(check(report, 'nvr-channels')).toMatchObject({
      status: 'pass',
      detail: 'all 4 IP channels online',
    });
    const path = check(report, 'snapshot-path');
    expect(path.status).toBe('pass');
    expect(path.detail).toMatch(
      /direct path refused stream 101 with "Invalid XML Content \(badXmlContent\)"/,
    );
    expect(path.detail).toMatch(/StreamingProxy path gave a \d+ kB JPEG/);
    expect(check(report, 'permission-snapshot').detail).toMatch(/StreamingProxy path/);
    expect(check(report, 'motion-detection').status).toBe('pass');
    expect(check(report, 'motion-notify-center').detail).toContain(
      'channel 4 (Camera 04): VMD-4 notifies center',
    );
  });

  it('doorbell: door control is allowed and counted', async () => {
    const report = await doctor(await sim({ profile: 'doorbell' }));
    expect(report.device.kind).toBe('doorbell');
    expect(check(report, 'permission-door-control')).toMatchObject({
      status: 'pass',
      detail: 'door control is available (2 doors)',
    });
    expect(check(report, 'stream-codec').status).toBe('pass');
    expect(check(report, 'two-way-audio-codec').status).toBe('pass');
  });
});

describe('login problems stop the run early and cost the device at most one attempt', () => {
  it('bad password: credentials fail, everything after is skipped, exactly one failed login', async () => {
    const device = await sim();
    const report = await doctor(device, { password: 'not-the-password' });
    const credentials = check(report, 'credentials');
    expect(credentials.status).toBe('fail');
    expect(credentials.detail).toMatch(/rejected the user "admin" with this password \(one login attempt/);
    expect(credentials.fix).toMatch(/allows 4 more attempts before it locks the user/);
    for (const c of checksAfter(report, 'credentials')) {
      expect(c).toMatchObject({ status: 'skip', detail: 'credentials not accepted' });
    }
    expect(failedLogins(device)).toBe(1);
    expect(device.requests.filter((r) => r.authenticated)).toHaveLength(1);
  });

  it('locked out: reported with the unlock time, without sending the password again', async () => {
    const device = await sim({ lockoutAfter: 2, lockoutSeconds: 600 });
    for (let i = 0; i < 2; i++) {
      const careless = new IsapiClient({ baseUrl: device.url, username: 'admin', password: 'guess' });
      await careless.getXml('/ISAPI/System/deviceInfo').catch(() => undefined);
      await careless.close();
    }
    const credentialedBefore = device.requests.filter((r) => r.authenticated).length;
    const report = await doctor(device);
    const credentials = check(report, 'credentials');
    expect(credentials.status).toBe('fail');
    expect(credentials.detail).toMatch(/login locked .* unlocks in about 10 min/);
    expect(credentials.fix).toMatch(/^Wait about 10 min/);
    expect(checksAfter(report, 'credentials').every((c) => c.status === 'skip')).toBe(true);
    expect(device.requests.filter((r) => r.authenticated)).toHaveLength(credentialedBefore);
  });

  it('not activated: activation fails, credentials are not tried', async () => {
    const device = await sim();
    device.setFault({ kind: 'notActivated' });
    const report = await doctor(device);
    expect(check(report, 'activation').status).toBe('fail');
    expect(check(report, 'activation').fix).toMatch(/set the admin password/);
    expect(check(report, 'credentials').status).toBe('skip');
    expect(device.requests.filter((r) => r.authenticated)).toHaveLength(0);
  });

  it('401 without a challenge: auth-method and credentials fail', async () => {
    const device = await sim();
    device.setFault({ kind: 'noChallenge' });
    const report = await doctor(device);
    expect(check(report, 'auth-method')).toMatchObject({ status: 'fail' });
    expect(check(report, 'auth-method').detail).toMatch(/401 without a WWW-Authenticate challenge/);
    expect(check(report, 'credentials').status).toBe('fail');
  });
});

describe('authentication scheme', () => {
  it('Basic only: warns and says why, the login itself works', async () => {
    const report = await doctor(await sim({ auth: 'basic' }));
    const method = check(report, 'auth-method');
    expect(method).toMatchObject({ status: 'warn', detail: 'the device only offers Basic authentication' });
    expect(method.fix).toMatch(/base64-encoded.*plain HTTP anyone who can see the traffic can read them/);
    expect(method.fix).toMatch(/set Web Authentication to digest/i);
    expect(check(report, 'credentials').status).toBe('pass');
  });

  it('Digest plus Basic over HTTP: warns that other apps may pick Basic', async () => {
    const report = await doctor(await sim({ auth: 'digest+basic' }));
    expect(check(report, 'auth-method')).toMatchObject({
      status: 'warn',
      detail: 'the device offers Digest (MD5, qop=auth) and also Basic',
    });
  });
});

describe('reachability and certificates', () => {
  it('unreachable: reachability fails, every other check is skipped', async () => {
    const port = await closedPort();
    const report = await runDoctor({ baseUrl: `http://127.0.0.1:${port}`, username: 'admin', password: 'x' });
    expect(check(report, 'reachability').status).toBe('fail');
    expect(check(report, 'reachability').detail).toMatch(/Cannot reach 127\.0\.0\.1:\d+: connection refused/);
    for (const c of checksAfter(report, 'reachability')) {
      expect(c).toMatchObject({ status: 'skip', detail: 'device not reachable', fix: null });
    }
    expect(report.device).toEqual({ model: null, kind: null, host: `127.0.0.1:${port}` });
  });

  it('HTTPS with a self-signed certificate: warns with its fingerprint and goes on pinned to it', async () => {
    const device = await sim({ https: true });
    const report = await doctor(device);
    const certificate = check(report, 'https-certificate');
    expect(certificate.status).toBe('warn');
    expect(certificate.detail).toContain('self-signed certificate');
    expect(certificate.detail).toContain(device.certificateFingerprint!);
    expect(certificate.fix).toContain(`--fingerprint ${device.certificateFingerprint}`);
    expect(check(report, 'credentials').status).toBe('pass');
    expect(check(report, 'motion-detection').status).toBe('pass');
  });

  it('HTTPS with the pinned fingerprint passes; another fingerprint fails before anything is sent', async () => {
    const device = await sim({ https: true });
    const pinned = await doctor(device, { tls: { pinnedFingerprint: device.certificateFingerprint! } });
    expect(check(pinned, 'https-certificate').status).toBe('pass');
    const requestsSoFar = device.requests.length;
    const other = await doctor(device, { tls: { pinnedFingerprint: `${'AB:'.repeat(31)}AB` } });
    expect(check(other, 'https-certificate').status).toBe('fail');
    expect(check(other, 'https-certificate').detail).toContain(
      `presented certificate ${device.certificateFingerprint}`,
    );
    expect(check(other, 'credentials').status).toBe('skip');
    expect(device.requests.length).toBe(requestsSoFar);
  });
});

describe('permissions', () => {
  it('403 on /ISAPI/Event: events fail naming the right; unreadable triggers are skipped', async () => {
    const device = await sim();
    device.setFault({ kind: 'forbidden', paths: ['/ISAPI/Event'] });
    const report = await doctor(device);
    const events = check(report, 'permission-events');
    expect(events.status).toBe('fail');
    expect(events.detail).toMatch(/event stream \(alertStream\).*HTTP 403/);
    expect(events.fix).toContain('"Remote: Notify Surveillance Center / Trigger Alarm Output"');
    expect(check(report, 'motion-notify-center')).toMatchObject({ status: 'skip' });
    expect(check(report, 'permission-live-view').status).toBe('pass');
  });

  it('403 on pictures and recordings: snapshot and playback fail, live view still passes', async () => {
    const device = await sim();
    device.setFault({
      kind: 'forbidden',
      paths: ['/ISAPI/Streaming/channels/101/picture', '/ISAPI/ContentMgmt'],
    });
    const report = await doctor(device);
    expect(check(report, 'permission-snapshot').fix).toContain('"Remote: Live View"');
    expect(check(report, 'permission-snapshot').status).toBe('fail');
    expect(check(report, 'permission-playback').fix).toContain('"Remote: Playback / Download"');
    expect(check(report, 'permission-live-view').status).toBe('pass');
  });
});

describe('motion', () => {
  it('motion switched off: warns with how to switch it on', async () => {
    const device = await sim();
    device.setFault({ kind: 'motionDisabled' });
    const motion = check(await doctor(device), 'motion-detection');
    expect(motion).toMatchObject({ status: 'warn', detail: 'channel 1 (yard): motion detection is off' });
    expect(motion.fix).toMatch(/tick Enable Motion Detection/);
  });

  it('motion on but nothing drawn: fails, it can never trigger', async () => {
    const device = await sim();
    device.setFault({ kind: 'motionGridEmpty' });
    const motion = check(await doctor(device), 'motion-detection');
    expect(motion.status).toBe('fail');
    expect(motion.detail).toMatch(/no detection area is drawn, so it never triggers/);
    expect(motion.fix).toMatch(/Draw Area/);
  });

  it('motion not linked to the surveillance center: fails with "tick Notify Surveillance Center"', async () => {
    const device = await sim();
    device.setFault({ kind: 'motionNotLinked' });
    const notify = check(await doctor(device), 'motion-notify-center');
    expect(notify.status).toBe('fail');
    expect(notify.detail).toMatch(/VMD-1 notifies nobody, not even the surveillance center/);
    expect(notify.fix).toContain('tick "Notify Surveillance Center"');
  });

  it('on an NVR, only the channels with the problem are named', async () => {
    const device = await sim({ profile: 'nvr' });
    device.setFault({ kind: 'motionNotLinked', channels: [3] });
    const notify = check(await doctor(device), 'motion-notify-center');
    expect(notify.status).toBe('fail');
    expect(notify.detail).toMatch(
      /^channel 3 \(Camera 03\): VMD-3 notifies nobody.*; 3 other channels fine$/,
    );
  });
});

describe('two-way audio codec', () => {
  it('G.711alaw warns (works on some firmware only)', async () => {
    const talk = check(await doctor(await sim({ twoWayAudioCodec: 'G.711alaw' })), 'two-way-audio-codec');
    expect(talk).toMatchObject({
      status: 'warn',
      detail: 'two-way audio uses G.711alaw, which works on some firmware only',
    });
    expect(talk.fix).toMatch(/set Audio Encoding to G\.711ulaw/i);
  });

  it('G.726 fails with the fix', async () => {
    const talk = check(await doctor(await sim({ twoWayAudioCodec: 'G.726' })), 'two-way-audio-codec');
    expect(talk.status).toBe('fail');
    expect(talk.fix).toMatch(
      /^Set Audio Encoding to G\.711ulaw \(web page: Configuration > Video\/Audio > Audio/,
    );
  });

  it('a device without two-way audio skips both audio checks', async () => {
    const report = await doctor(await sim({ profile: 'DS-2CD2386G2-IU' }));
    expect(check(report, 'two-way-audio-codec')).toMatchObject({
      status: 'skip',
      detail: 'no two-way audio on this device',
    });
    expect(check(report, 'permission-two-way-audio').status).toBe('skip');
  });
});

describe('recorders', () => {
  it('NVR with an offline channel: warns naming it; pictures come from an online channel', async () => {
    const device = await sim({ profile: { ...resolveProfile('nvr'), offlineChannels: [1, 3] } });
    const report = await doctor(device);
    const channels = check(report, 'nvr-channels');
    expect(channels.status).toBe('warn');
    expect(channels.detail).toBe(
      '2 of 4 IP channels offline: channel 1 (Camera 01, netUnreachable); channel 3 (Camera 03, netUnreachable)',
    );
    expect(channels.fix).toMatch(/Camera Management/);
    expect(check(report, 'snapshot-path').detail).toMatch(/stream 201/);
    expect(check(report, 'snapshot-path').status).toBe('pass');
  });

  it('NVR where neither picture path works: snapshot-path fails', async () => {
    const device = await sim({ profile: { ...resolveProfile('nvr:1'), offlineChannels: [1] } });
    const path = check(await doctor(device), 'snapshot-path');
    expect(path.status).toBe('fail');
    expect(path.detail).toMatch(
      /^no picture for stream 101 \(channel 1 \(Camera 01\)\): direct path: .*StreamingProxy path:/,
    );
    expect(path.fix).toMatch(/online in the recorder/);
  });
});

describe('device clock', () => {
  it('a camera 2 hours behind (no NTP): warns with the offset and how to set NTP', async () => {
    const clock = check(await doctor(await sim({ clockOffsetMs: -2 * 3_600_000 })), 'device-clock');
    expect(clock.status).toBe('warn');
    expect(clock.detail).toMatch(
      /, time mode manual: the device clock is 2 h 0 min behind this machine's; event and recording times are off/,
    );
    expect(clock.fix).toMatch(/^Set the device's time from NTP: .*Time Settings/);
  });

  it('a clock 5 minutes ahead although set to NTP says the NTP server is the problem', async () => {
    // The simulator reports a shifted clock as set by hand; a device whose NTP server is out of
    // reach still says NTP. A bare HTTP server answers System/time the way such a device would.
    const ahead = localTime(new Date(Date.now() + 5 * 60_000));
    const server = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Time><timeMode>NTP</timeMode><localTime>${ahead}</localTime><timeZone>CST+0:00:00</timeZone></Time>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = new IsapiClient({
      baseUrl: `http://127.0.0.1:${port}`,
      username: 'admin',
      password: PASSWORD,
    });
    try {
      const facts = { model: null, kind: 'camera' as const, channels: [] };
      const session = new DoctorSession(client, facts, {}, AbortSignal.timeout(5000), 5000);
      const clock = await deviceClockCheck(session);
      expect(clock).toMatchObject({ status: 'warn', fix: expect.stringContaining('NTP') });
      expect(clock.detail).toMatch(
        /min \d+ s ahead this machine's although it is set to NTP \(its NTP server/,
      );
    } finally {
      await client.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('within a minute passes; a device without System/time skips the check', async () => {
    const close = check(await doctor(await sim({ clockOffsetMs: 45_000 })), 'device-clock');
    expect(close.status).toBe('pass');
    // The measurement is as exact as the round trip allows: a loaded machine adds seconds.
    const seconds = Number(/: is (\d+) s from this machine's clock$/.exec(close.detail)?.[1]);
    expect(Math.abs(seconds - 45), close.detail).toBeLessThanOrEqual(10);
    const device = await sim();
    device.setEndpoint('/ISAPI/System/time', null);
    expect(check(await doctor(device), 'device-clock')).toMatchObject({
      status: 'skip',
      detail: 'device time (System/time): not supported by this model',
    });
  });
});

describe('real device captures', () => {
  it('every fixture profile runs without throwing and returns the stable ids', async () => {
    const files = listFixtureProfiles();
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const device = await sim({ profile: file });
      const report = await doctor(device);
      expect(
        report.checks.map((c) => c.id),
        basename(file),
      ).toEqual([...CHECK_IDS]);
      expect(check(report, 'credentials').status, basename(file)).toBe('pass');
      expect(device.requests.every((r) => r.method === 'GET')).toBe(true);
      await device.close();
    }
  });

  it('DS-2CD2346G2-ISU as captured: motion on with an empty grid, and VMD not linked to the center', async () => {
    const report = await doctor(await sim({ profile: 'DS-2CD2346G2-ISU' }));
    expect(check(report, 'motion-detection')).toMatchObject({
      status: 'fail',
      detail:
        'channel 1 (Atelier): motion detection is on but no detection area is drawn, so it never triggers',
    });
    expect(check(report, 'motion-notify-center').detail).toBe(
      'channel 1 (Atelier): VMD-1 notifies IO, record but not the surveillance center, so motion never reaches the event stream',
    );
  });

  it('DS-7608NXI-I2: per-channel motion findings as captured; channel 4 offline by the simulator', async () => {
    // The channel status is not captured: the simulator invents it (channel 4's streams all
    // answer 403 in the capture, so it reports the channel offline with its own reason,
    // netUnreachable). This checks how the doctor words an offline channel, not a device fact.
    const report = await doctor(await sim({ profile: 'DS-7608NXI-I2' }));
    expect(check(report, 'nvr-channels').detail).toBe(
      '1 of 4 IP channels offline: channel 4 (gate, netUnreachable)',
    );
    expect(check(report, 'motion-detection').detail).toMatch(/^channel 2 \(home\): motion detection is off;/);
    expect(check(report, 'integration').detail).toMatch(/endpoint name is unverified/);
  });
});

describe('bounded time', () => {
  it('a slow device gets a time budget: the report comes back in time with the rest marked not checked', async () => {
    const device = await sim();
    device.setFault({ kind: 'slow', delayMs: 250 });
    const started = performance.now();
    const report = await doctor(device, { budgetMs: 1500 });
    expect(performance.now() - started).toBeLessThan(2500);
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    expect(check(report, 'credentials').status).toBe('pass');
    expect(report.checks.some((c) => c.detail.includes('the time budget ran out'))).toBe(true);
  });

  it('a stalled endpoint costs one timeout and becomes a warning, not a hang', async () => {
    const device = await sim();
    device.setFault({ kind: 'stall', paths: ['/ISAPI/System/TwoWayAudio'] });
    const report = await doctor(device, { timeoutMs: 400 });
    expect(check(report, 'two-way-audio-codec').status).toBe('warn');
    expect(check(report, 'two-way-audio-codec').detail).toMatch(/did not answer within 400 ms/);
    expect(check(report, 'motion-detection').status).toBe('pass');
  });
});

describe('options', () => {
  it('only the chosen channels are checked', async () => {
    const report = await doctor(await sim({ profile: 'nvr' }), { channels: [2] });
    expect(check(report, 'motion-detection').detail).toMatch(/^channel 2 \(Camera 02\): on/);
    expect(check(report, 'stream-codec').detail).not.toContain('channel 1');
  });

  it('invalid options are a TypeError, not a report', async () => {
    await expect(runDoctor({ baseUrl: 'ftp://x', username: 'a', password: 'b' })).rejects.toThrow(TypeError);
    await expect(
      runDoctor({ baseUrl: 'https://x', username: 'a', password: 'b', tls: { pinnedFingerprint: 'nope' } }),
    ).rejects.toThrow(/SHA-256/);
  });
});

/** A device time in the form devices write it: whole seconds, with an offset (here UTC). */
function localTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`;
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
