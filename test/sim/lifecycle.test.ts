import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { startSimDevice, startSimFleet } from '../../sim/index.ts';
import { Collector, client, onCleanup, openRaw, rawSocket, sim, tag } from './helpers.ts';

describe('fleet', () => {
  it('runs 20 devices in one process, each on its own port', async () => {
    const profiles = ['camera', 'nvr:4', 'doorbell', 'DS-2CD2146G2-ISU', 'iDS-7204HUHI-M1'];
    const devices = await startSimFleet(
      Array.from({ length: 20 }, (_, i) => ({ profile: profiles[i % profiles.length]!, heartbeatMs: 0 })),
    );
    onCleanup(() => Promise.all(devices.map((d) => d.close())));
    expect(new Set(devices.map((d) => d.port)).size).toBe(20);
    const models = await Promise.all(
      devices.map(async (d) => tag((await client(d).text('/ISAPI/System/deviceInfo')).body, 'model')),
    );
    expect(models.slice(0, 5)).toEqual([
      'DS-2CD2386G2-IU',
      'DS-7608NXI-I2/8P/S',
      'DS-KV6124-E1',
      'DS-2CD2146G2-ISU',
      'iDS-7204HUHI-M1/E',
    ]);
    expect(models.every(Boolean)).toBe(true);
  });

  it('is all or nothing: a device that cannot start closes the others', async () => {
    const taken = await sim({ profile: 'camera' });
    const attempt = startSimFleet([{ profile: 'camera' }, { profile: 'camera', port: taken.port }]);
    await expect(attempt).rejects.toThrow(/EADDRINUSE/);
  });

  it('rejects an unknown profile before listening', async () => {
    await expect(startSimDevice({ profile: '/nonexistent/profile.json' })).rejects.toThrow(/unknown profile/);
  });
});

describe('close()', () => {
  it('ends open streams, stalled requests and audio promptly', async () => {
    const device = await startSimDevice({ profile: 'camera', heartbeatMs: 1000 });
    const stream = await openRaw(device, '/ISAPI/Event/notification/alertStream');
    await stream.until((t) => t.includes('\r\n\r\n'));
    device.setFault({ kind: 'stall', paths: ['/ISAPI/System/deviceInfo'] });
    const stalled = new Collector(await rawSocket(device));
    stalled.socket.write('GET /ISAPI/System/deviceInfo HTTP/1.1\r\nHost: sim\r\n\r\n');
    const idle = new Collector(await rawSocket(device));

    const started = performance.now();
    await device.close();
    // At once, not when a stalled request or the next heartbeat would end (never / 1 s).
    await Promise.all([stream.waitClosed(3000), stalled.waitClosed(3000), idle.waitClosed(3000)]);
    expect(performance.now() - started).toBeLessThan(3000);
    await expect(fetch(`${device.url}/ISAPI/System/deviceInfo`)).rejects.toThrow();
    expect(device.openAlertStreams).toBe(0);
    await device.close(); // idempotent
  });

  it('listens where asked', async () => {
    const device = await sim({ profile: 'camera', host: '127.0.0.1', port: 0 });
    expect(device.url).toBe(`http://127.0.0.1:${device.port}`);
    expect(device.port).toBeGreaterThan(0);
  });
});
