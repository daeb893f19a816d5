/**
 * Simulator additions for diagnostics: configuration faults (motion off, nothing drawn, trigger
 * not linked to the center), single triggers, endpoint overrides, the two-way audio codec option
 * and the assumed security/integration answers of the built-in profiles.
 */
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { INVENTED, INVENTED_HEADER, resolveProfile, SimInputError } from '../../sim/index.ts';
import { client, sim, tag } from './helpers.ts';

const CAMERA_MOTION = '/ISAPI/System/Video/inputs/channels/1/motionDetection';
const nvrMotion = (n: number) => `/ISAPI/ContentMgmt/InputProxy/channels/${n}/video/motionDetection`;

/** The notification methods of one trigger inside a trigger list or single-trigger body. */
function methodsOf(xml: string, triggerId: string): string[] {
  const start = xml.indexOf(`<id>${triggerId}</id>`);
  expect(start, `trigger ${triggerId}`).toBeGreaterThan(-1);
  const end = xml.indexOf('</EventTrigger>', start);
  return [...xml.slice(start, end).matchAll(/<notificationMethod>([^<]*)</g)].map((m) => m[1]!);
}

describe('built-in profiles are healthy reference devices', () => {
  it('the camera has motion detection on with a drawn grid and a center-linked motion trigger', async () => {
    const c = client(await sim({ profile: 'camera' }));
    const motion = (await c.text(CAMERA_MOTION)).body;
    expect(tag(motion, 'enabled')).toBe('true');
    expect(tag(motion, 'sensitivityLevel')).toBe('60');
    expect(tag(motion, 'gridMap')).toMatch(/[1-9a-f]/);
    expect(methodsOf((await c.text('/ISAPI/Event/triggers')).body, 'VMD-1')).toContain('center');
  });

  it('NVR channels have motion detection on', async () => {
    const c = client(await sim({ profile: 'nvr:2' }));
    for (const n of [1, 2]) expect(tag((await c.text(nvrMotion(n))).body, 'enabled')).toBe('true');
  });

  it('serve the assumed (invented, marked) Integrate and illegalLoginLock answers; the lock shows the simulated policy', async () => {
    for (const profile of ['camera', 'nvr', 'doorbell']) {
      const c = client(await sim({ profile, lockoutAfter: 3, lockoutSeconds: 600 }));
      const answer = await c.text('/ISAPI/System/Network/Integrate');
      expect(answer.res.headers.get(INVENTED_HEADER), profile).toBe(INVENTED.assumedEndpoint);
      const integrate = answer.body;
      expect(integrate, profile).toMatch(/<ISAPI>\s*<enable>true<\/enable>\s*<\/ISAPI>/);
      expect(integrate).toMatch(
        /<CGI>\s*<enable>true<\/enable>\s*<certificateType>digest<\/certificateType>/,
      );
      const lock = (await c.text('/ISAPI/Security/illegalLoginLock')).body;
      expect([tag(lock, 'enabled'), tag(lock, 'maxIllegalLoginTimes'), tag(lock, 'lockDuration')]).toEqual([
        'true',
        '3',
        '10',
      ]);
    }
  });

  it('camera and NVR list record tracks per main stream; fixture profiles stay as captured (404)', async () => {
    const nvr = client(await sim({ profile: 'nvr:3' }));
    const tracks = (await nvr.text('/ISAPI/ContentMgmt/record/tracks')).body;
    expect([...tracks.matchAll(/<Track>\s*<id>(\d+)<\/id>/g)].map((m) => m[1])).toEqual([
      '101',
      '201',
      '301',
    ]);
    const fixture = client(await sim({ profile: 'DS-2CD2386G2-IU' }));
    expect((await fixture.text('/ISAPI/ContentMgmt/record/tracks')).status).toBe(404);
    expect((await fixture.text('/ISAPI/Security/illegalLoginLock')).status).toBe(404);
  });
});

describe('configuration faults', () => {
  it('motionDisabled switches motion detection off until clearFaults', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    device.setFault({ kind: 'motionDisabled' });
    expect(tag((await c.text(CAMERA_MOTION)).body, 'enabled')).toBe('false');
    device.clearFaults();
    expect(tag((await c.text(CAMERA_MOTION)).body, 'enabled')).toBe('true');
  });

  it('motionGridEmpty erases grid and regions like the captures show an undrawn area, per channel', async () => {
    const device = await sim({ profile: 'nvr:2' });
    const c = client(device);
    device.setFault({ kind: 'motionGridEmpty', channels: [2] });
    const erased = (await c.text(nvrMotion(2))).body;
    expect(tag(erased, 'gridMap')).toMatch(/^0+$/);
    expect(tag(erased, 'gridMap')).toHaveLength(108);
    expect(erased).not.toContain('<Region>');
    expect(tag(erased, 'enabled')).toBe('true');
    expect(tag((await c.text(nvrMotion(1))).body, 'gridMap')).toMatch(/[1-9a-f]/);
  });

  it('motionNotLinked drops center from the VMD trigger only, in the list and the single trigger', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    device.setFault({ kind: 'motionNotLinked' });
    const list = (await c.text('/ISAPI/Event/triggers')).body;
    expect(methodsOf(list, 'VMD-1')).not.toContain('center');
    expect(methodsOf(list, 'tamper-1')).toContain('center');
    const single = (await c.text('/ISAPI/Event/triggers/VMD-1')).body;
    expect(single).toContain('<EventTrigger version="2.0"');
    expect(methodsOf(single, 'VMD-1')).not.toContain('center');
  });

  it('motionNotLinked on chosen NVR channels leaves the others linked', async () => {
    const device = await sim({ profile: 'nvr:3' });
    device.setFault({ kind: 'motionNotLinked', channels: [3] });
    const list = (await client(device).text('/ISAPI/Event/triggers')).body;
    expect(methodsOf(list, 'VMD-1')).toEqual(['center']);
    expect(methodsOf(list, 'VMD-3')).toEqual([]);
    expect(list).toMatch(/<id>VMD-3<\/id>[\s\S]*?<EventTriggerNotificationList\/>/);
  });

  it('rejects bad channel lists', async () => {
    const device = await sim({ profile: 'camera' });
    expect(() => device.setFault({ kind: 'motionDisabled', channels: [0] })).toThrow(SimInputError);
    expect(() => device.setFault({ kind: 'motionDisabled', channels: [] })).toThrow(/non-empty array/);
  });
});

describe('single triggers', () => {
  it('Event/triggers/{id} is cut out of the list; unknown ids are 404; recorded ones are served as captured', async () => {
    const c = client(await sim({ profile: 'DS-2CD2146G2-ISU' }));
    const vmd = await c.text('/ISAPI/Event/triggers/VMD-1');
    expect(vmd.status).toBe(200);
    expect(tag(vmd.body, 'eventType')).toBe('VMD');
    expect(methodsOf(vmd.body, 'VMD-1')).toEqual(['center', 'FTP']);
    expect((await c.text('/ISAPI/Event/triggers/VMD-9')).status).toBe(404);
    const recorded = await c.text('/ISAPI/Event/triggers/scenechangedetection-1');
    expect(tag(recorded.body, 'eventDescription')).toBe('scenechangedetection Event trigger Information');
  });
});

describe('setEndpoint', () => {
  it('replaces and removes what an endpoint answers', async () => {
    const device = await sim({ profile: 'camera' });
    const c = client(device);
    device.setEndpoint('/ISAPI/System/Network/Integrate', {
      response: { Integrate: { '@version': '2.0', ISAPI: { enable: 'false' } } },
    });
    expect((await c.text('/ISAPI/System/Network/Integrate')).body).toMatch(/<ISAPI>\s*<enable>false/);
    device.setEndpoint('Security/illegalLoginLock', { status_code: 403 });
    expect((await c.text('/ISAPI/Security/illegalLoginLock')).status).toBe(403);
    device.setEndpoint('System/Network/Integrate', null);
    expect((await c.text('/ISAPI/System/Network/Integrate')).status).toBe(404);
  });

  it('rejects entries that are not fixture entries', async () => {
    const device = await sim({ profile: 'camera' });
    expect(() => device.setEndpoint('/ISAPI/x', { bogus: 1 } as never)).toThrow(SimInputError);
    expect(() => device.setEndpoint('', null)).toThrow(/non-empty/);
  });

  it('works through the control API', async () => {
    const device = await sim({ profile: 'camera' });
    const post = (body: unknown) =>
      fetch(`${device.url}/__sim/endpoint`, { method: 'POST', body: JSON.stringify(body) });
    const ok = await post({ path: '/ISAPI/Security/illegalLoginLock', entry: { status_code: 404 } });
    expect(ok.status).toBe(200);
    expect((await client(device).text('/ISAPI/Security/illegalLoginLock')).status).toBe(404);
    const bad = await post({ path: '/ISAPI/x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/entry/);
  });
});

describe('twoWayAudioCodec', () => {
  it('sets the codec two-way audio reports, leaving stream audio alone', async () => {
    const c = client(await sim({ profile: 'camera', twoWayAudioCodec: 'G.726' }));
    expect(tag((await c.text('/ISAPI/System/TwoWayAudio/channels')).body, 'audioCompressionType')).toBe(
      'G.726',
    );
    expect(tag((await c.text('/ISAPI/Streaming/channels/101')).body, 'audioCompressionType')).toBe(
      'G.711ulaw',
    );
  });

  it('defaults to the profile codec and refuses an empty one', async () => {
    const c = client(await sim({ profile: 'camera' }));
    expect(tag((await c.text('/ISAPI/System/TwoWayAudio/channels')).body, 'audioCompressionType')).toBe(
      'G.711ulaw',
    );
    await expect(sim({ profile: resolveProfile('camera'), twoWayAudioCodec: '' as never })).rejects.toThrow(
      SimInputError,
    );
  });
});
