import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { INVENTED, INVENTED_HEADER, listFixtureProfiles, resolveProfile } from '../../sim/index.ts';
import { toXml } from '../../sim/xml.ts';
import { client, sim, tag } from './helpers.ts';

const fixtureModel = (file: string): string =>
  JSON.parse(readFileSync(file, 'utf8')).data.ISAPI['System/deviceInfo'].response.DeviceInfo.model;

describe('fixture profiles', () => {
  const files = listFixtureProfiles();

  it("lists the repository's device captures (test/fixtures/devices) as absolute paths", () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    const inRepo = `${resolve(fileURLToPath(new URL('../fixtures/devices/', import.meta.url)))}/`;
    for (const file of files) {
      expect(file.startsWith(inRepo), file).toBe(true);
      expect(file).toMatch(/\.json$/);
    }
  });

  it('every fixture serves deviceInfo with its model, as valid XML with the Hikvision content type', async () => {
    for (const file of files) {
      const device = await sim({ profile: file });
      const { status, body, res } = await client(device).text('/ISAPI/System/deviceInfo');
      expect(status, basename(file)).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/xml; charset="UTF-8"');
      expect(XMLValidator.validate(body)).toBe(true);
      expect(tag(body, 'model')).toBe(fixtureModel(file));
      await device.close();
    }
  });

  it('every recorded answer of every profile serialises to well-formed XML', () => {
    for (const spec of [...files, 'camera', 'nvr:3', 'doorbell']) {
      for (const [path, entry] of Object.entries(resolveProfile(spec).isapi)) {
        if ('response' in entry)
          expect(XMLValidator.validate(toXml(entry.response)), `${spec} ${path}`).toBe(true);
      }
    }
  });

  it('derives the device kind from deviceType', () => {
    const kinds = Object.fromEntries(files.map((f) => [basename(f, '.json'), resolveProfile(f).kind]));
    expect(kinds['DS-2CD2386G2-IU']).toBe('camera');
    expect(kinds['DS-7608NXI-I2']).toBe('nvr');
    expect(kinds['DS-7616NI-K2']).toBe('nvr');
    expect(kinds['iDS-7204HUHI-M1']).toBe('dvr');
  });

  it('keeps namespaces and repeated elements as captured', async () => {
    const device = await sim({ profile: 'DS-7608NXI-I2' });
    const { body } = await client(device).text('/ISAPI/ContentMgmt/InputProxy/channels');
    expect(body).toContain(
      '<InputProxyChannelList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema" size="4">',
    );
    expect(body.match(/<InputProxyChannel>/g)).toHaveLength(4);
    expect(body).toContain('<deviceID/>'); // null in the fixture = empty element
  });

  it('answers status_code entries with that status and a ResponseStatus', async () => {
    const camera = await sim({ profile: 'DS-2CD2386G2-IU' });
    const c = client(camera);
    const forbidden = await c.text('/ISAPI/ContentMgmt/InputProxy/channels');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toContain(
      '<ResponseStatus version="1.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">',
    );
    expect(tag(forbidden.body, 'statusCode')).toBe('4');
    expect(tag(forbidden.body, 'subStatusCode')).toBe('invalidOperation');
    const missing = await c.text('/ISAPI/System/Holidays');
    expect(missing.status).toBe(404);
    expect(tag(missing.body, 'subStatusCode')).toBe('notSupport');

    const dvr = await sim({ profile: 'iDS-7204HUHI-M1' });
    const bad = await client(dvr).text('/ISAPI/Streaming/channels/103');
    expect(bad.status).toBe(400);
    expect(tag(bad.body, 'subStatusCode')).toBe('badParameters');
  });

  it("answers paths outside /ISAPI/ with the devices' HTML 404 page", async () => {
    const { status, body, res } = await client(await sim({ profile: 'camera' })).text('/ISAPIContentMgmt/x');
    expect(status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(body).toContain('<title>Document Error: Not Found</title>');
    expect(body).toContain("Can't locate document: /ISAPIContentMgmt/x");
  });

  it('answers unknown ISAPI paths with 404 notSupport', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    for (const path of ['/ISAPI/No/Such/Thing', '/ISAPI/Streaming/channels/999']) {
      const { status, body } = await c.text(path);
      expect(status, path).toBe(404);
      expect(tag(body, 'statusCode')).toBe('4');
      expect(tag(body, 'statusString')).toBe('Invalid Operation');
      expect(tag(body, 'subStatusCode')).toBe('notSupport');
      expect(tag(body, 'requestURL')).toBe(path);
    }
  });

  it('ignores the query string for lookup', async () => {
    const device = await sim({ profile: 'camera' });
    const { status, body } = await client(device).text('/ISAPI/System/deviceInfo?foo=bar');
    expect(status).toBe(200);
    expect(tag(body, 'model')).toBe('DS-2CD2386G2-IU');
  });

  it('invents the stream list when the capture lacks it, and marks it invented', async () => {
    // No NVR capture has Streaming/channels: the list is the simulator's, not a device fact.
    const device = await sim({ profile: 'DS-7608NXI-I2' });
    const { status, body, res } = await client(device).text('/ISAPI/Streaming/channels');
    expect(status).toBe(200);
    expect(res.headers.get(INVENTED_HEADER)).toBe(INVENTED.streamList);
    const ids = [...body.matchAll(/<StreamingChannel[^>]*>\s*<id>(\d+)<\/id>/g)].map((m) => m[1]);
    expect(ids).toEqual(['101', '102', '104', '201', '202', '204', '301', '302', '304']);
  });

  it('captured answers carry no invented marker', async () => {
    const camera = await sim({ profile: 'DS-2CD2386G2-IU' });
    for (const path of ['/ISAPI/System/deviceInfo', '/ISAPI/Streaming/channels']) {
      const { status, res } = await client(camera).text(path);
      expect(status, path).toBe(200);
      expect(res.headers.get(INVENTED_HEADER), path).toBeNull();
    }
  });

  it('reports the RTSP port from the fixture, or the one asked for', async () => {
    const rtsp = (xml: string): string | undefined =>
      /<protocol>RTSP<\/protocol>\s*<portNo>(\d+)</.exec(xml)?.[1];
    const fixture = await sim({ profile: 'DS-2CD2386G2-IU' });
    expect(rtsp((await client(fixture).text('/ISAPI/Security/adminAccesses')).body)).toBe('10554');
    const builtIn = await sim({ profile: 'camera' });
    expect(rtsp((await client(builtIn).text('/ISAPI/Security/adminAccesses')).body)).toBe('554');
    const custom = await sim({ profile: 'nvr', rtspPort: 8554 });
    expect(rtsp((await client(custom).text('/ISAPI/Security/adminAccesses')).body)).toBe('8554');
    const bare = resolveProfile('camera');
    delete bare.isapi['Security/adminAccesses'];
    const synthesized = await sim({ profile: bare });
    expect(rtsp((await client(synthesized).text('/ISAPI/Security/adminAccesses')).body)).toBe('554');
  });

  it('invents NVR channel status (in no capture) by its own rule: online when a stream answers', async () => {
    // Simulator behaviour, not a device fact: the endpoint is invented and marked so.
    const device = await sim({ profile: 'DS-7608NXI-I2' });
    const { status, body, res } = await client(device).text('/ISAPI/ContentMgmt/InputProxy/channels/status');
    expect(status).toBe(200);
    expect(res.headers.get(INVENTED_HEADER)).toBe(INVENTED.channelStatus);
    const online = [
      ...body.matchAll(/<id>(\d+)<\/id>[\s\S]*?<\/sourceInputPortDescriptor>\s*<online>(\w+)</g),
    ].map((m) => [m[1], m[2]]);
    expect(online).toEqual([
      ['1', 'true'],
      ['2', 'true'],
      ['3', 'true'],
      ['4', 'false'], // the simulator's rule: every stream of channel 4 answers 403 in the capture
    ]);
  });
});

describe('built-in profiles', () => {
  it('camera: DS-2CD2386G2-IU with H.265 main, H.264 640x360 sub, two-way audio and 1/1 alarm I/O', async () => {
    const c = client(await sim({ profile: 'camera' }));
    expect(tag((await c.text('/ISAPI/System/deviceInfo')).body, 'deviceType')).toBe('IPCamera');
    const main = (await c.text('/ISAPI/Streaming/channels/101')).body;
    expect(tag(main, 'videoCodecType')).toBe('H.265');
    expect(tag(main, 'videoResolutionWidth')).toBe('3840');
    const sub = (await c.text('/ISAPI/Streaming/channels/102')).body;
    expect([
      tag(sub, 'videoCodecType'),
      tag(sub, 'videoResolutionWidth'),
      tag(sub, 'videoResolutionHeight'),
    ]).toEqual(['H.264', '640', '360']);
    expect((await c.text('/ISAPI/Streaming/channels/103')).status).toBe(404);
    const caps = (await c.text('/ISAPI/System/capabilities')).body;
    expect(tag(caps, 'voicetalkNums')).toBe('1');
    expect(tag(caps, 'IOInputPortNums')).toBe('1');
    expect(tag(caps, 'IOOutputPortNums')).toBe('1');
    expect(tag((await c.text('/ISAPI/System/TwoWayAudio/channels')).body, 'audioCompressionType')).toBe(
      'G.711ulaw',
    );
    expect(tag((await c.text('/ISAPI/System/IO/inputs/1/status')).body, 'ioState')).toBe('inactive');
  });

  it('nvr:N: N proxied channels "Camera 01".., streams X01 H.265 / X02 H.264, in the isapi.org namespace', async () => {
    const device = await sim({ profile: 'nvr:12' });
    expect(device.profile.kind).toBe('nvr');
    const c = client(device);
    const info = (await c.text('/ISAPI/System/deviceInfo')).body;
    expect(info).toContain('xmlns="http://www.isapi.org/ver20/XMLSchema"');
    expect(tag(info, 'deviceType')).toBe('NVR');
    const channels = (await c.text('/ISAPI/ContentMgmt/InputProxy/channels')).body;
    const names = [...channels.matchAll(/<name>([^<]+)<\/name>/g)].map((m) => m[1]);
    expect(names).toHaveLength(12);
    expect(names[0]).toBe('Camera 01');
    expect(names[11]).toBe('Camera 12');
    expect(tag((await c.text('/ISAPI/Streaming/channels/1201')).body, 'videoCodecType')).toBe('H.265');
    expect(tag((await c.text('/ISAPI/Streaming/channels/1202')).body, 'videoCodecType')).toBe('H.264');
    expect((await c.text('/ISAPI/Streaming/channels/1203')).status).toBe(403);
    expect((await c.text('/ISAPI/Streaming/channels/1301')).status).toBe(404);
  });

  it('nvr: offlineChannels are reported offline, with the invented reason netUnreachable', async () => {
    const profile = resolveProfile('nvr:3');
    profile.offlineChannels = [2];
    const device = await sim({ profile });
    const { body, res } = await client(device).text('/ISAPI/ContentMgmt/InputProxy/channels/status');
    expect(res.headers.get(INVENTED_HEADER)).toBe(INVENTED.channelStatus);
    const online = [...body.matchAll(/<\/sourceInputPortDescriptor>\s*<online>(\w+)</g)].map((m) => m[1]);
    expect(online).toEqual(['true', 'false', 'true']);
    expect(body).toContain('<chanDetectResult>netUnreachable</chanDetectResult>');
  });

  it('rejects nvr channel counts outside 1..64 and unknown profiles', async () => {
    expect(() => resolveProfile('nvr:0')).toThrow(/1 <= N <= 64/);
    expect(() => resolveProfile('nvr:65')).toThrow(/1 <= N <= 64/);
    expect(() => resolveProfile('toaster')).toThrow(/unknown profile "toaster"/);
  });

  it('doorbell: DS-KV6124-E1 without REDACTED values, deviceType VIS, JSON endpoints', async () => {
    const device = await sim({ profile: 'doorbell' });
    expect(device.profile.kind).toBe('doorbell');
    const c = client(device);
    const info = (await c.text('/ISAPI/System/deviceInfo')).body;
    expect(tag(info, 'model')).toBe('DS-KV6124-E1');
    expect(tag(info, 'deviceType')).toBe('VIS');
    expect(tag(info, 'firmwareVersion')).toBe('V3.9.0');
    for (const path of [
      '/ISAPI/System/deviceInfo',
      '/ISAPI/System/capabilities',
      '/ISAPI/Streaming/channels/101',
    ]) {
      expect((await c.text(path)).body, path).not.toContain('REDACTED');
    }
    const main = (await c.text('/ISAPI/Streaming/channels/101')).body;
    expect([tag(main, 'videoCodecType'), tag(main, 'videoResolutionWidth')]).toEqual(['H.264', '2688']);
    const caps = await c.request('/ISAPI/VideoIntercom/callStatus/capabilities?format=json');
    expect(await caps.json()).toEqual({ CallStatus: { status: { '@opt': ['idle', 'ring', 'onCall'] } } });
    const doors = (await c.text('/ISAPI/AccessControl/RemoteControl/door/capabilities')).body;
    expect(doors).toContain('<doorNo min="1" max="2"/>');
  });
});
