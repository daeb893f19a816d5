/**
 * The gateway on PostgreSQL (several instances may share one database), and login rate limiting.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { type PostgresDatabase, stopPostgresServer, withPostgresDatabase } from '../support/postgres.ts';
import { ADMIN_PASSWORD, eventually, startTestGateway, type TestGateway } from './harness.ts';

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await stopPostgresServer();
});

describe('gateway on PostgreSQL', () => {
  it('adds a device, and a second instance on the same database sees it and keeps it connected', async () => {
    const database: PostgresDatabase = await withPostgresDatabase();
    cleanup.push(() => database.drop());
    const camera: SimDevice = await startSimDevice({ profile: 'camera', password: 'Pg-Device-1' });
    cleanup.push(() => camera.close());
    // Instances sharing a database share the key that encrypts device passwords.
    const secrets = { key: randomBytes(32).toString('base64') };
    const first: TestGateway = await startTestGateway({ databaseUrl: database.url, overrides: { secrets } });
    cleanup.push(() => first.stop());
    const url = new URL(camera.url);
    const added = await first.api('POST', '/api/v1/devices', {
      body: { host: url.hostname, port: Number(url.port), password: 'Pg-Device-1' },
    });
    expect(added.status, added.text).toBe(201);
    await first.stop();

    const second = await startTestGateway({ databaseUrl: database.url, overrides: { secrets } });
    cleanup.push(() => second.stop());
    const devices = (await second.api('GET', '/api/v1/devices')).json;
    expect(devices.map((d: { id: string }) => d.id)).toEqual([added.json.id]);
    await eventually(
      async () =>
        (await second.api('GET', `/api/v1/devices/${added.json.id}/health`)).json.state === 'online',
    );
    expect(second.gateway.store.dialect).toBe('postgres');
  });
});

describe('login rate limiting', () => {
  it('blocks a client after too many wrong passwords, then lets it in again', async () => {
    const gw = await startTestGateway({
      overrides: { auth: { adminPassword: ADMIN_PASSWORD, login: { maxAttempts: 3, windowSeconds: 2 } } },
    });
    cleanup.push(() => gw.stop());
    for (let i = 0; i < 3; i++) {
      const wrong = await gw.api('POST', '/api/v1/auth/login', {
        body: { username: 'admin', password: 'guess' },
        token: null,
      });
      expect(wrong.status).toBe(401);
      expect(wrong.json.error.message).toBe('Wrong username or password.');
    }
    const blocked = await gw.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      token: null,
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const ok = await gw.api('POST', '/api/v1/auth/login', {
      body: { username: 'admin', password: ADMIN_PASSWORD },
      token: null,
    });
    expect(ok.status).toBe(200);
    expect(gw.logs()).not.toContain('guess');
  });
});
