import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { SnapshotFetcher } from '../../src/protocols/isapi/snapshot.ts';
import { requireTool } from '../support/system-tools.ts';

const PASSWORD = 'Snap-Shot1';
const open: Array<{ close(): Promise<void> }> = [];

async function sim(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
  const device = await startSimDevice({ profile: 'camera', password: PASSWORD, ...options });
  open.push(device);
  return device;
}

function fetcherFor(device: SimDevice, cacheMs = 1000): SnapshotFetcher {
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  const fetcher = new SnapshotFetcher(client, {
    cacheMs,
    credentials: { username: 'admin', password: PASSWORD },
  });
  open.push(fetcher, client);
  return fetcher;
}

const pictureRequests = (device: SimDevice) =>
  device.countRequests('/ISAPI/Streaming/channels/101/picture') +
  device.countRequests('/ISAPI/ContentMgmt/StreamingProxy/channels/101/picture');

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

describe('snapshots', () => {
  it('returns a real JPEG from the camera', async () => {
    const device = await sim();
    const snapshot = await fetcherFor(device).get({ streamId: '101' });
    expect(snapshot.source).toBe('isapi');
    expect(snapshot.jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(snapshot.jpeg.length).toBeGreaterThan(5000);
  });

  it('coalesces 100 concurrent requests for one channel into at most 2 device requests', async () => {
    const device = await sim();
    const fetcher = fetcherFor(device, 0);
    const results = await Promise.all(Array.from({ length: 100 }, () => fetcher.get({ streamId: '101' })));
    expect(results.every((r) => r.jpeg.length > 0)).toBe(true);
    expect(pictureRequests(device)).toBeGreaterThanOrEqual(1);
    expect(pictureRequests(device)).toBeLessThanOrEqual(2);
  });

  it('does not coalesce different channels or sizes', async () => {
    const device = await sim({ profile: 'nvr:2' });
    const fetcher = fetcherFor(device);
    await Promise.all([
      fetcher.get({ streamId: '101' }),
      fetcher.get({ streamId: '201' }),
      fetcher.get({ streamId: '101', width: 1280, height: 720 }),
    ]);
    const proxy = device.countRequests('/ISAPI/ContentMgmt/StreamingProxy/channels/');
    expect(proxy).toBe(3);
  });

  it('falls back to StreamingProxy on an NVR that answers ResponseStatus 6, and remembers it', async () => {
    const device = await sim({ profile: 'nvr:2' });
    const fetcher = fetcherFor(device, 0);
    const first = await fetcher.get({ streamId: '201' });
    expect(first.source).toBe('streaming-proxy');
    expect(device.countRequests('/ISAPI/Streaming/channels/201/picture')).toBe(1);
    await fetcher.get({ streamId: '201' });
    expect(device.countRequests('/ISAPI/Streaming/channels/201/picture')).toBe(1);
    expect(device.countRequests('/ISAPI/ContentMgmt/StreamingProxy/channels/201/picture')).toBe(2);
  });

  it('uses the per-channel override URL (the camera behind the NVR, by its own address)', async () => {
    const nvr = await sim({ profile: 'nvr:2' });
    const camera = await sim();
    const fetcher = fetcherFor(nvr, 0);
    const snapshot = await fetcher.get({
      streamId: '201',
      overrideUrl: `${camera.url}/ISAPI/Streaming/channels/101/picture`,
      // Another origin: the NVR's credentials never go there, the override has its own.
      overrideCredentials: { username: 'admin', password: PASSWORD },
    });
    expect(snapshot.source).toBe('override');
    expect(camera.countRequests('/ISAPI/Streaming/channels/101/picture')).toBe(1);
    expect(nvr.countRequests('/ISAPI/')).toBe(0);
  });

  it('uses the HTTP port override on the same host', async () => {
    const nvr = await sim({ profile: 'nvr:2' });
    const camera = await sim();
    const fetcher = fetcherFor(nvr, 0);
    const snapshot = await fetcher.get({ streamId: '101', httpPort: camera.port });
    expect(snapshot.source).toBe('override');
    expect(camera.countRequests('/ISAPI/Streaming/channels/101/picture')).toBe(1);
  });

  it('reports a device error instead of returning a non-JPEG body', async () => {
    const device = await sim();
    device.setFault({ kind: 'status', status: 500, paths: ['/ISAPI/Streaming/channels/101/picture'] });
    await expect(fetcherFor(device).get({ streamId: '101' })).rejects.toMatchObject({ code: 'device_error' });
  });
});

describe('simulator pictures are real images', () => {
  it('decodes with ffprobe', async () => {
    const { execFileSync } = await import('node:child_process');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const ffprobe = requireTool('ffprobe', 'ffmpeg');
    const device = await sim();
    const snapshot = await fetcherFor(device).get({ streamId: '101' });
    const file = join(mkdtempSync(join(tmpdir(), 'hikbridge-snap-')), 'snap.jpg');
    writeFileSync(file, snapshot.jpeg);
    const out = execFileSync(ffprobe, [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'json',
      file,
    ]);
    const stream = (JSON.parse(out.toString()) as { streams: Array<{ codec_name: string; width: number }> })
      .streams[0]!;
    expect(stream.codec_name).toBe('mjpeg');
    expect(stream.width).toBeGreaterThanOrEqual(640);
  });
});
