/** The scan itself must catch each form of a leak, and stay quiet on clean text. */
import { describe, expect, it } from 'vitest';
import { SecretScan } from '../support/secret-scan.ts';

const SECRET = 'Cam-P@ss#1';

describe('SecretScan', () => {
  it('finds a secret as typed, URL-encoded and as Basic-auth base64, naming where', async () => {
    for (const [text, form] of [
      [`login with ${SECRET}`, 'plain text'],
      [`rtsp://admin:${encodeURIComponent(SECRET)}@cam/1`, 'URL-encoded'],
      [
        `Authorization: Basic ${Buffer.from(`installer:${SECRET}`).toString('base64')}`,
        'base64 of installer:password',
      ],
    ] as const) {
      const scan = new SecretScan();
      scan.addSecretsFromBody({ username: 'installer', password: SECRET });
      scan.record('log', text);
      const leaks = await scan.findLeaks();
      expect(leaks).toEqual([{ source: 'log', form, secretHint: 'Ca…(10)' }]);
      await expect(scan.assertClean()).rejects.toThrow(/Ca…\(10\) as .* in log/);
    }
  });

  it('is quiet on masked output, and ignores values too short to mean anything', async () => {
    const scan = new SecretScan();
    scan.addSecretsFromBody({ host: 'x', password: 'pw', nested: { secret: SECRET } });
    expect(scan.secretCount).toBe(1);
    scan.record('api', '{"password":"***","url":"rtsp://admin:***@cam"}');
    scan.addSource('metrics', () => 'hikbridge_devices{state="online"} 1');
    await expect(scan.assertClean()).resolves.toBeUndefined();
  });

  it('reads late sources when it runs', async () => {
    const scan = new SecretScan();
    scan.addSecret(SECRET);
    let log = '';
    scan.addSource('log', () => log);
    log = `oops ${SECRET}`;
    expect((await scan.findLeaks()).map((leak) => leak.source)).toEqual(['log']);
  });
});
