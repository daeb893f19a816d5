import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { resolveProfile } from '../../sim/index.ts';
import { client, sim, tag } from './helpers.ts';

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

describe('snapshots', () => {
  it('camera: a real JPEG after a realistic delay', async () => {
    const device = await sim({ profile: 'camera', snapshotDelayMs: [30, 80] });
    const c = client(device);
    await c.prime();
    const started = performance.now();
    const bytes = await jpeg(await c.request('/ISAPI/Streaming/channels/101/picture'));
    const elapsed = performance.now() - started;
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
