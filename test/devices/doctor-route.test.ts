/**
 * `POST /api/v1/doctor`: the doctor against settings that are not saved (the add-device form's
 * "check before saving"). Against a real gateway and simulated devices: the same report as the
 * per-device doctor, plus the certificate an HTTPS device shows and the channels an NVR lists;
 * bad input refused in words before the device is contacted; a wrong password reported, not
 * echoed; nothing saved in any case; a bounded number of runs at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimDevice } from '../../sim/index.ts';
import { PASSWORD, simDevice } from '../faults/support.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

let gw: TestGateway;
let camera: SimDevice;
let nvr: SimDevice;
let secure: SimDevice;

beforeAll(async () => {
  gw = await startTestGateway();
  [camera, nvr, secure] = await Promise.all([
    simDevice(),
    simDevice({ profile: 'nvr:3' }),
    simDevice({ https: true }),
  ]);
});

afterAll(async () => {
  // Stopping the gateway runs its secret scan over every answer and log line of this suite.
  await gw?.stop();
  await Promise.all([camera?.close(), nvr?.close(), secure?.close()]);
});

interface Check {
  id: string;
  status: string;
  detail: string;
  fix: string | null;
}

const portOf = (sim: SimDevice) => Number(new URL(sim.url).port);
const statusOf = (checks: Check[], id: string) => checks.find((check) => check.id === id)?.status;

async function nothingSaved(): Promise<void> {
  expect((await gw.api('GET', '/api/v1/devices')).json).toEqual([]);
  expect((await gw.api('GET', '/api/v1/channels')).json).toEqual([]);
}

describe('a device that is not added yet', () => {
  it('answers the same report as the per-device doctor, with the channels, and saves nothing', async () => {
    const answer = await gw.api('POST', '/api/v1/doctor', {
      body: { host: '127.0.0.1', port: portOf(camera), password: PASSWORD },
    });
    expect(answer.status, answer.text).toBe(200);
    const checks = answer.json.checks as Check[];
    expect(answer.json.device).toMatchObject({ model: 'DS-2CD2386G2-IU', kind: 'camera' });
    expect(statusOf(checks, 'credentials')).toBe('pass');
    // The built-in camera's main stream is H.265: the one warning it has.
    const codec = checks.find((check) => check.id === 'stream-codec')!;
    expect(codec.status).toBe('warn');
    expect(codec.fix).toMatch(/H\.264/);
    expect(answer.json.channels).toEqual([{ id: 1, name: expect.any(String), source: 'local' }]);
    expect(answer.json.certificate).toBeUndefined();
    expect(answer.text).not.toContain(PASSWORD);
    await nothingSaved();

    // The same checks, in the same order, as the doctor of the device once it is added.
    const added = await gw.api('POST', '/api/v1/devices', {
      body: { host: '127.0.0.1', port: portOf(camera), password: PASSWORD },
    });
    expect(added.status, added.text).toBe(201);
    const saved = await gw.api('POST', `/api/v1/devices/${added.json.id}/doctor`);
    expect(saved.status, saved.text).toBe(200);
    expect((saved.json.checks as Check[]).map((c) => [c.id, c.status])).toEqual(
      checks.map((c) => [c.id, c.status]),
    );
    expect((await gw.api('DELETE', `/api/v1/devices/${added.json.id}`)).status).toBe(204);
  });

  it("lists an NVR's IP channels, for the channel picker", async () => {
    const answer = await gw.api('POST', '/api/v1/doctor', {
      body: { host: '127.0.0.1', port: portOf(nvr), password: PASSWORD, channelOverride: [2] },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.device.kind).toBe('nvr');
    // All of them, not only the chosen one: the user picks from this list.
    expect((answer.json.channels as Array<{ id: number }>).map((c) => c.id)).toEqual([1, 2, 3]);
    await nothingSaved();
  });

  it('shows the certificate an HTTPS device presents, and says when it is the pinned one', async () => {
    const body = { host: '127.0.0.1', port: portOf(secure), https: true, password: PASSWORD };
    const first = await gw.api('POST', '/api/v1/doctor', { body });
    expect(first.status, first.text).toBe(200);
    expect(first.json.certificate).toEqual({ fingerprint: secure.certificateFingerprint, pinned: false });
    expect(statusOf(first.json.checks, 'https-certificate')).toBe('warn');

    const pinned = await gw.api('POST', '/api/v1/doctor', {
      body: { ...body, tlsFingerprint: secure.certificateFingerprint },
    });
    expect(pinned.json.certificate).toEqual({ fingerprint: secure.certificateFingerprint, pinned: true });
    expect(statusOf(pinned.json.checks, 'https-certificate')).toBe('pass');

    // Another pin: refused before any password is sent, and the certificate shown is the real one.
    const before = secure.requests.filter((r) => r.authenticated).length;
    const wrong = await gw.api('POST', '/api/v1/doctor', {
      body: { ...body, tlsFingerprint: 'ab'.repeat(32) },
    });
    expect(statusOf(wrong.json.checks, 'https-certificate')).toBe('fail');
    expect(statusOf(wrong.json.checks, 'credentials')).toBe('skip');
    expect(wrong.json.certificate).toEqual({ fingerprint: secure.certificateFingerprint, pinned: false });
    expect(secure.requests.filter((r) => r.authenticated).length).toBe(before);
    await nothingSaved();
  });

  it('reports a wrong password in words without echoing it, after one login attempt', async () => {
    const wrongPassword = 'Not-The-Password-93';
    const before = camera.requests.filter((r) => r.authenticated && !r.authorized).length;
    const answer = await gw.api('POST', '/api/v1/doctor', {
      body: { host: '127.0.0.1', port: portOf(camera), username: 'admin', password: wrongPassword },
    });
    expect(answer.status, answer.text).toBe(200);
    const credentials = (answer.json.checks as Check[]).find((check) => check.id === 'credentials')!;
    expect(credentials.status).toBe('fail');
    expect(credentials.detail).toContain('rejected the user "admin"');
    expect(answer.text).not.toContain(wrongPassword);
    expect(answer.json.channels).toBeUndefined();
    expect(camera.requests.filter((r) => r.authenticated && !r.authorized).length - before).toBe(1);
    await nothingSaved();
  });

  it('reports an unreachable address as a failed check', async () => {
    const closed = await simDevice();
    const port = portOf(closed);
    await closed.close();
    const answer = await gw.api('POST', '/api/v1/doctor', {
      body: { host: '127.0.0.1', port, password: PASSWORD },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(statusOf(answer.json.checks, 'reachability')).toBe('fail');
    expect(statusOf(answer.json.checks, 'credentials')).toBe('skip');
  });
});

describe('bad input', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an empty host', { host: '', password: PASSWORD }, /host/],
    ['a URL for a host', { host: 'http://192.0.2.1', password: PASSWORD }, /host: give only the address/],
    ['credentials in the host', { host: 'admin:x@192.0.2.1', password: PASSWORD }, /own fields/],
    ['no password', { host: '127.0.0.1' }, /password/],
    ['an empty password', { host: '127.0.0.1', password: '' }, /password/],
    ['a port out of range', { host: '127.0.0.1', port: 70000, password: PASSWORD }, /port/],
    [
      'a bad fingerprint',
      { host: '127.0.0.1', password: PASSWORD, tlsFingerprint: 'z'.repeat(64) },
      /SHA-256/,
    ],
    [
      'a bad snapshot URL',
      { host: '127.0.0.1', password: PASSWORD, snapshotUrlOverride: 'ftp://x/' },
      /http/,
    ],
    ['channel 0', { host: '127.0.0.1', password: PASSWORD, channelOverride: [0] }, /channelOverride/],
    ['an unknown field', { host: '127.0.0.1', password: PASSWORD, colour: 'red' }, /colour|additional/i],
  ];

  it.each(cases)(
    '%s is refused with a 400 in words, before any device is contacted',
    async (_n, body, words) => {
      const before = camera.requests.length;
      const answer = await gw.api('POST', '/api/v1/doctor', { body });
      expect(answer.status, answer.text).toBe(400);
      expect(answer.json.error.message).toMatch(words);
      expect(answer.text).not.toContain(PASSWORD);
      expect(camera.requests.length).toBe(before);
      await nothingSaved();
    },
  );

  it('needs a signed-in user', async () => {
    const answer = await gw.api('POST', '/api/v1/doctor', {
      body: { host: '127.0.0.1', port: portOf(camera), password: PASSWORD },
      token: null,
    });
    expect(answer.status).toBe(401);
  });
});

it('runs at most four checks at once and says so in words', async () => {
  const stalled = await simDevice();
  stalled.setFault({ kind: 'stall' });
  try {
    const body = { host: '127.0.0.1', port: portOf(stalled), password: PASSWORD };
    // Each run waits out the gateway's request timeout (3 s in tests) on the stalled device.
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => gw.api('POST', '/api/v1/doctor', { body })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const busy = answers.find((a) => a.status === 429)!;
    expect(busy.json.error.message).toMatch(/already running/);
    for (const answer of answers.filter((a) => a.status === 200)) {
      expect(statusOf(answer.json.checks, 'reachability')).toBe('fail');
    }
  } finally {
    await stalled.close();
  }
  await nothingSaved();
}, 30_000);
