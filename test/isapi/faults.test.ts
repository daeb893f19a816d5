/**
 * Every error class a user can meet, produced by the simulator's faults, with the message the
 * user reads. Device contact is counted to prove hikbridge never hammers a device.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import { DeviceError } from '../../src/protocols/http/errors.ts';
import { IsapiClient, type IsapiClientOptions } from '../../src/protocols/isapi/client.ts';
import { discoverDevice } from '../../src/protocols/isapi/discovery.ts';
import { runCli } from '../support/cli.ts';

const PASSWORD = 'Correct-Horse1';
const open: Array<{ close(): Promise<void> }> = [];

async function sim(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const device = await startSimDevice({ profile: 'camera', password: PASSWORD, ...options });
  open.push(device);
  return device;
}

function client(device: SimDevice, options: Partial<IsapiClientOptions> = {}): IsapiClient {
  const c = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD, ...options });
  open.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<DeviceError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DeviceError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

describe('device errors, as the user reads them', () => {
  it('bad credentials: one credentialed attempt, then no more device contact', async () => {
    const device = await sim();
    const c = client(device, { password: 'wrong' });
    const error = await failure(c.getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('bad_credentials');
    expect(error.message).toMatch(/rejected the username "admin" or its password/);
    expect(error.message).not.toContain('wrong');
    const contacts = device.requests.length;
    const again = await failure(c.getXml('/ISAPI/System/deviceInfo'));
    expect(again.code).toBe('bad_credentials');
    expect(device.requests.length).toBe(contacts);
    expect(device.requests.filter((r) => r.authenticated && r.status === 401)).toHaveLength(1);
  });

  it('password changed on the device: the same client reports bad credentials', async () => {
    const device = await sim();
    const c = client(device);
    await c.getXml('/ISAPI/System/deviceInfo');
    device.setFault({ kind: 'wrongPassword' });
    expect((await failure(c.getXml('/ISAPI/System/deviceInfo'))).code).toBe('bad_credentials');
  });

  it('locked out: reported with the unlock time and never retried into a longer lockout', async () => {
    const device = await sim({ lockoutAfter: 2, lockoutSeconds: 600 });
    // Two separate attempts (as two restarts of a careless integration would make) lock the user.
    for (let i = 0; i < 2; i++) {
      const careless = client(device, { password: 'nope' });
      await failure(careless.getXml('/ISAPI/System/deviceInfo'));
    }
    const c = client(device);
    const error = await failure(c.getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('locked_out');
    expect(error.message).toMatch(/locked the user "admin" after too many failed logins, for about 10 min/);
    const contacts = device.requests.length;
    for (let i = 0; i < 5; i++)
      expect((await failure(c.getXml('/ISAPI/System/deviceInfo'))).code).toBe('locked_out');
    expect(device.requests.length).toBe(contacts);
  });

  it('insufficient permission (403) names the feature', async () => {
    const device = await sim();
    device.setFault({ kind: 'forbidden', paths: ['/ISAPI/Event'] });
    const error = await failure(client(device).getXml('/ISAPI/Event/notification/httpHosts'));
    expect(error.code).toBe('permission_denied');
    expect(error.message).toMatch(/user "admin" is not allowed to use event configuration/);
  });

  it('not activated', async () => {
    const device = await sim();
    device.setFault({ kind: 'notActivated' });
    const error = await failure(discoverDevice(client(device)));
    expect(error.code).toBe('not_activated');
    expect(error.message).toMatch(/never been activated/);
  });

  it('not supported (404 / notSupport)', async () => {
    const device = await sim();
    const error = await failure(client(device).getXml('/ISAPI/Thermal/channels'));
    expect(error.code).toBe('not_supported');
    expect(error.message).toMatch(/does not support \/ISAPI\/Thermal\/channels/);
  });

  it('device busy (503 / statusCode 2)', async () => {
    const device = await sim();
    device.setFault({ kind: 'busy', paths: ['/ISAPI/System/deviceInfo'] });
    const error = await failure(client(device).getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('device_busy');
    expect(error.message).toMatch(/busy/);
  });

  it('timeout when the device accepts but never answers', async () => {
    const device = await sim();
    device.setFault({ kind: 'stall', paths: ['/ISAPI/System/deviceInfo'] });
    const error = await failure(client(device, { requestTimeoutMs: 300 }).getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 300 ms/);
  });

  it('unreachable when nothing listens', async () => {
    const port = await closedPort();
    const c = new IsapiClient({ baseUrl: `http://127.0.0.1:${port}`, username: 'admin', password: PASSWORD });
    open.push(c);
    const error = await failure(c.getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('unreachable');
    expect(error.message).toMatch(/Cannot reach 127\.0\.0\.1/);
  });

  it('connection reset mid-request is reported as unreachable', async () => {
    const device = await sim();
    device.setFault({ kind: 'reset', paths: ['/ISAPI/System/deviceInfo'] });
    expect((await failure(client(device).getXml('/ISAPI/System/deviceInfo'))).code).toBe('unreachable');
  });

  it('malformed XML is an unreadable answer, not a crash', async () => {
    const device = await sim();
    device.setFault({ kind: 'malformedXml', paths: ['/ISAPI/System/deviceInfo'] });
    const error = await failure(client(device).getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('invalid_response');
  });

  it('401 without a challenge is explained', async () => {
    const device = await sim();
    device.setFault({ kind: 'noChallenge' });
    const error = await failure(client(device).getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('auth_unsupported');
    expect(error.message).toMatch(/WWW-Authenticate/);
  });

  it('Basic-only firmware works', async () => {
    const device = await sim({ auth: 'basic' });
    const doc = await client(device).getXml('/ISAPI/System/deviceInfo');
    expect(doc.root).toBe('DeviceInfo');
  });
});

describe('HTTPS trust', () => {
  it('untrusted self-signed certificate offers its fingerprint; the pin then works', async () => {
    const device = await sim({ https: true });
    expect(device.url.startsWith('https://')).toBe(true);
    const error = await failure(client(device).getXml('/ISAPI/System/deviceInfo'));
    expect(error.code).toBe('tls_untrusted');
    expect(error.message).toContain(device.certificateFingerprint);
    const pinned = client(device, { tls: { pinnedFingerprint: device.certificateFingerprint! } });
    expect((await pinned.getXml('/ISAPI/System/deviceInfo')).root).toBe('DeviceInfo');
  });

  it('a changed certificate is a fingerprint mismatch', async () => {
    const device = await sim({ https: true });
    const wrong = `${'AA:'.repeat(31)}AA`;
    const error = await failure(
      client(device, { tls: { pinnedFingerprint: wrong } }).getXml('/ISAPI/System/deviceInfo'),
    );
    expect(error.code).toBe('tls_fingerprint_mismatch');
    expect(error.message).toContain(device.certificateFingerprint);
  });

  it('insecure mode accepts the certificate', async () => {
    const device = await sim({ https: true });
    expect((await client(device, { tls: { insecure: true } }).getXml('/ISAPI/System/deviceInfo')).root).toBe(
      'DeviceInfo',
    );
  });
});

describe('probe CLI failures', () => {
  it('exits non-zero with one line on stderr and no password', async () => {
    const device = await sim();
    const url = device.url.replace('://', '://admin:Secret-Typo9@');
    const result = await runCli(['probe', url, '--json']);
    expect(result.code).toBe(4);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^probe failed: .*rejected the username "admin"/);
    expect(result.stderr).not.toContain('Secret-Typo9');
  });

  it('unreachable device', async () => {
    const port = await closedPort();
    const result = await runCli(['probe', `http://admin:x@127.0.0.1:${port}`, '--json']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/Cannot reach/);
  });

  it('bad URL is a usage error', async () => {
    const result = await runCli(['probe', 'camera-at-home', '--json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not a URL/);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
