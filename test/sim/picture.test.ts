import { readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { resolveProfile, type SimDevice, SimInputError, startSimDevice } from '../../sim/index.ts';
import { CAPTURED_SNAPSHOT_MS } from '../../sim/snapshot-delay.ts';
import { DOORBELL_FIXTURES } from '../support/fixtures.ts';
import { client, onCleanup, sim, tag } from './helpers.ts';

/** The snapshot time the doorbell capture measured. */
function capturedElapsedMs(): number {
  const file = new URL('ds_kv6124_e1_fw_3_9_0/snapshot.json', DOORBELL_FIXTURES);
  return (JSON.parse(readFileSync(file, 'utf8')) as { elapsed_ms: number }).elapsed_ms;
}

async function jpeg(res: Response | import('undici').Response): Promise<Buffer> {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('image/jpeg');
  return Buffer.from(await res.arrayBuffer());
}

function expectJpeg(bytes: Buffer): void {
  expect(bytes[0]).toBe(0xff);
  expect(bytes[1]).toBe(0xd8);
  expect(bytes.at(-2)).toBe(0xff);
  expect(bytes.at(-1)).toBe(0xd9);
  expect(bytes.length).toBeGreaterThan(20_000);
  expect(bytes.length).toBeLessThan(60_000);
}

/** Time one authenticated snapshot takes (the client is primed first, so no 401 round trip). */
async function timedSnapshot(device: SimDevice): Promise<{ bytes: Buffer; elapsed: number }> {
  const c = client(device);
  await c.prime();
  const started = performance.now();
  const bytes = await jpeg(await c.request('/ISAPI/Streaming/channels/101/picture'));
  return { bytes, elapsed: performance.now() - started };
}

// Most tests here use the helper's explicit 0 ms delay: they check pictures, not the wait.
describe('snapshot delay', () => {
  it('defaults to the captured 438 ms (the one real measurement)', async () => {
    const device = await startSimDevice({ profile: 'camera', heartbeatMs: 0 });
    onCleanup(() => device.close());
    expect(device.snapshotDelayMs).toBe(CAPTURED_SNAPSHOT_MS);
    expect(CAPTURED_SNAPSHOT_MS).toBe(capturedElapsedMs());
    const { bytes, elapsed } = await timedSnapshot(device);
    expectJpeg(bytes);
    expect(elapsed).toBeGreaterThanOrEqual(CAPTURED_SNAPSHOT_MS - 1); // timers never fire early
  });

  it('a profile sets its own delay; the option wins over it', async () => {
    const profile = { ...resolveProfile('camera'), snapshotDelayMs: 700 };
    const fromProfile = await startSimDevice({ profile, heartbeatMs: 0 });
    onCleanup(() => fromProfile.close());
    expect(fromProfile.snapshotDelayMs).toBe(700);
    expect((await timedSnapshot(fromProfile)).elapsed).toBeGreaterThanOrEqual(699);
    const fromOption = await sim({ profile, snapshotDelayMs: [10, 20] });
    expect(fromOption.snapshotDelayMs).toEqual([10, 20]);
  });

  it('changes at run time, in code and through the control endpoint', async () => {
    const device = await sim({ profile: 'camera' });
    device.setSnapshotDelay(600);
    expect((await timedSnapshot(device)).elapsed).toBeGreaterThanOrEqual(599);

    const set = await fetch(`${device.url}/__sim/snapshot-delay`, {
      method: 'POST',
      body: JSON.stringify({ snapshotDelayMs: [900, 950] }),
    });
    expect(await set.json()).toEqual({ ok: true, snapshotDelayMs: [900, 950] });
    expect(device.snapshotDelayMs).toEqual([900, 950]);
    expect((await timedSnapshot(device)).elapsed).toBeGreaterThanOrEqual(899);
    const read = await fetch(`${device.url}/__sim/snapshot-delay`);
    expect(await read.json()).toEqual({ snapshotDelayMs: [900, 950] });
  });

  it('refuses delays that make no sense, saying why', async () => {
    const device = await sim({ profile: 'camera' });
    for (const bad of [-1, 'slow', [50, 10], [1, 2, 3], 10_000_000]) {
      const res = await fetch(`${device.url}/__sim/snapshot-delay`, {
        method: 'POST',
        body: JSON.stringify({ snapshotDelayMs: bad }),
      });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/snapshotDelayMs/);
    }
    expect(() => device.setSnapshotDelay(-5)).toThrow(SimInputError);
    await expect(startSimDevice({ profile: 'camera', snapshotDelayMs: [9, 1] })).rejects.toThrow(
      /min <= max/,
    );
    expect(device.snapshotDelayMs).toBe(0);
  });
});

describe('snapshots', () => {
  it('camera: a real JPEG after the configured delay', async () => {
    const device = await sim({ profile: 'camera', snapshotDelayMs: [30, 80] });
    const { bytes, elapsed } = await timedSnapshot(device);
    expectJpeg(bytes);
    expect(elapsed).toBeGreaterThanOrEqual(29);
  });

  it('picks the picture size from videoResolutionWidth, else from the stream', async () => {
    const c = client(await sim({ profile: 'camera' }));
    const main = await jpeg(await c.request('/ISAPI/Streaming/channels/101/picture'));
    const sub = await jpeg(await c.request('/ISAPI/Streaming/channels/102/picture'));
    const asked = await jpeg(
      await c.request(
        '/ISAPI/Streaming/channels/101/picture?videoResolutionWidth=704&videoResolutionHeight=576',
      ),
    );
    expectJpeg(main);
    expectJpeg(sub);
    expect(main.length).toBeGreaterThan(sub.length); // 1280x720 vs 704x576
    expect(asked.equals(sub)).toBe(true);
  });

  it('a stream that does not exist has no picture', async () => {
    const c = client(await sim({ profile: 'camera' }));
    const { status, body } = await c.text('/ISAPI/Streaming/channels/103/picture');
    expect(status).toBe(404);
    expect(tag(body, 'subStatusCode')).toBe('notSupport');
  });

  it('NVR quirk: Streaming picture answers 200 badXmlContent, StreamingProxy serves the JPEG', async () => {
    const device = await sim({ profile: 'nvr:2' });
    const c = client(device);
    const direct = await c.text('/ISAPI/Streaming/channels/201/picture');
    expect(direct.status).toBe(200);
    expect(direct.res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(XMLValidator.validate(direct.body)).toBe(true);
    expect(tag(direct.body, 'statusCode')).toBe('6');
    expect(tag(direct.body, 'subStatusCode')).toBe('badXmlContent');
    expect(tag(direct.body, 'requestURL')).toBe('/ISAPI/Streaming/channels/201/picture');
    expectJpeg(await jpeg(await c.request('/ISAPI/ContentMgmt/StreamingProxy/channels/201/picture')));
  });

  it('NVR fixture profiles have the quirk too; offline channels answer deviceError', async () => {
    const c = client(await sim({ profile: 'DS-7608NXI-I2' }));
    expect(tag((await c.text('/ISAPI/Streaming/channels/101/picture')).body, 'subStatusCode')).toBe(
      'badXmlContent',
    );
    expectJpeg(await jpeg(await c.request('/ISAPI/ContentMgmt/StreamingProxy/channels/102/picture')));

    const profile = resolveProfile('nvr:2');
    profile.offlineChannels = [2];
    const offline = await client(await sim({ profile })).text(
      '/ISAPI/ContentMgmt/StreamingProxy/channels/201/picture',
    );
    expect(offline.status).toBe(500);
    expect(tag(offline.body, 'subStatusCode')).toBe('deviceError');
  });

  it('the quirk is a profile flag', async () => {
    const profile = resolveProfile('nvr:1');
    profile.pictureViaStreamingProxy = false;
    const c = client(await sim({ profile }));
    expectJpeg(await jpeg(await c.request('/ISAPI/Streaming/channels/101/picture')));
  });

  it('cameras have no StreamingProxy', async () => {
    const c = client(await sim({ profile: 'camera' }));
    expect((await c.text('/ISAPI/ContentMgmt/StreamingProxy/channels/101/picture')).status).toBe(404);
  });

  it('fixture cameras and the doorbell serve pictures for their streams', async () => {
    for (const profile of ['DS-2CD2146G2-ISU', 'doorbell', 'iDS-7204HUHI-M1']) {
      const c = client(await sim({ profile }));
      expectJpeg(await jpeg(await c.request('/ISAPI/Streaming/channels/101/picture')));
    }
  });
});
