/**
 * Stream fix-up through the API against a simulated camera set up badly: H.265 main stream, an
 * H.265 sub stream with a key frame every 25 s and an 8 Mbps peak (no usable sub stream), motion
 * detection off and two-way audio in G.726 (not μ-law). One call fixes it all, the doctor then
 * passes, undo restores every resource exactly (compared after normalising the XML), also after a
 * restart; unknown ids change nothing (no PUT reaches the device); only picked fixes are made.
 * Also: a captured NVR's fixes (hand-checked against the capture) through its proxy paths, and
 * what normalizeXml treats as the same document.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProfile, type SimDevice, type SimProfile, startSimDevice } from '../../sim/index.ts';
import { applyFixes, previewFixes, undoFixes } from '../../src/diagnostics/fixes.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import {
  ConfigNotAppliedError,
  normalizeXml,
  readConfig,
  verifyConfig,
  withValues,
  writeConfig,
} from '../../src/protocols/isapi/streaming-config.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Fix-Pass-31';
const RESOURCES = [
  '/ISAPI/Streaming/channels/101',
  '/ISAPI/Streaming/channels/102',
  '/ISAPI/System/Video/inputs/channels/1/motionDetection',
  '/ISAPI/System/TwoWayAudio/channels/1',
];
const ALL_FIXES = [
  'stream-101-codec',
  'stream-102-codec',
  'stream-102-keyframe',
  'stream-102-bitrate',
  'motion-1-enabled',
  'talk-1-codec',
];

let gw: TestGateway;
let sim: SimDevice;
let client: IsapiClient;
let deviceId: string;

/** The built-in camera, broken the way the issue describes. */
function badCamera(): SimProfile {
  const profile = structuredClone(resolveProfile('camera'));
  const root = (path: string, name: string) =>
    (profile.isapi[path] as { response: Record<string, Record<string, unknown>> }).response[name]!;
  const sub = root('Streaming/channels/102', 'StreamingChannel').Video as Record<string, string>;
  Object.assign(sub, { videoCodecType: 'H.265', GovLength: '250', vbrUpperCap: '8192' });
  root('System/Video/inputs/channels/1/motionDetection', 'MotionDetection').enabled = 'false';
  return profile;
}

/** Each resource as the device holds it now, normalised. */
async function snapshot(): Promise<string[]> {
  return Promise.all(RESOURCES.map(async (path) => normalizeXml((await readConfig(client, path)).xml)));
}

const puts = () => sim.requests.filter((r) => r.method === 'PUT' && r.authorized).map((r) => r.path);

async function doctorStatuses(): Promise<Record<string, string>> {
  const answer = await gw.api('POST', `/api/v1/devices/${deviceId}/doctor`);
  expect(answer.status, answer.text).toBe(200);
  const checks = answer.json.checks as Array<{ id: string; status: string }>;
  const wanted = ['stream-codec', 'stream-tuning', 'two-way-audio-codec', 'motion-detection'];
  return Object.fromEntries(checks.filter((c) => wanted.includes(c.id)).map((c) => [c.id, c.status]));
}

beforeAll(async () => {
  sim = await startSimDevice({
    profile: badCamera(),
    password: PASSWORD,
    twoWayAudioCodec: 'G.726',
    heartbeatMs: 0,
    snapshotDelayMs: 0,
  });
  client = new IsapiClient({ baseUrl: sim.url, username: 'admin', password: PASSWORD });
  gw = await startTestGateway();
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name: 'Yard', host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  deviceId = added.json.id;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await client?.close();
  await sim?.close();
});

describe('stream fix-up', () => {
  it('previews each setting with its current and proposed value, changing nothing', async () => {
    const before = puts().length;
    const answer = await gw.api('GET', `/api/v1/devices/${deviceId}/fixes`);
    expect(answer.status, answer.text).toBe(200);
    const fixes = answer.json.fixes as Array<Record<string, unknown>>;
    expect(fixes.map((f) => f.id)).toEqual(ALL_FIXES);
    expect(fixes.map((f) => [f.id, f.current, f.proposed])).toEqual([
      ['stream-101-codec', 'H.265', 'H.264'],
      ['stream-102-codec', 'H.265', 'H.264'],
      ['stream-102-keyframe', '250', '20'],
      ['stream-102-bitrate', '8192', '512'],
      ['motion-1-enabled', 'false', 'true'],
      ['talk-1-codec', 'G.726', 'G.711ulaw'],
    ]);
    expect(fixes[0]).toMatchObject({
      finding: 'stream-codec',
      channel: 1,
      setting: 'videoCodec',
      resource: '/ISAPI/Streaming/channels/101',
      element: 'Video/videoCodecType',
    });
    expect(fixes[0]!.why).toMatch(/browsers/i);
    expect(answer.json.undo).toEqual({ available: false, appliedAt: null, fixes: [] });
    expect(puts().length).toBe(before);
  });

  it('refuses unknown ids with 400 and sends nothing to the device', async () => {
    const before = puts().length;
    const original = await snapshot();
    const unknown = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, {
      body: { ids: ['stream-101-codec', 'stream-999-codec'] },
    });
    expect(unknown.status, unknown.text).toBe(400);
    expect(unknown.json.error.message).toMatch(/stream-999-codec.*nothing was changed/);
    const empty = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, { body: { ids: [] } });
    expect(empty.status).toBe(400);
    const extra = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, {
      body: { ids: ['talk-1-codec'], all: true },
    });
    expect(extra.status).toBe(400);
    const noDevice = await gw.api('POST', '/api/v1/devices/no-such-device/fixes', {
      body: { ids: ['talk-1-codec'] },
    });
    expect(noDevice.status).toBe(404);
    const nothing = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes/undo`);
    expect(nothing.status).toBe(409);
    expect(nothing.json.error.message).toMatch(/Nothing to undo/);
    expect(puts().length).toBe(before);
    expect(await snapshot()).toEqual(original);
  });

  it('changes only what was picked', async () => {
    const original = await snapshot();
    const before = puts().length;
    const answer = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, {
      body: { ids: ['talk-1-codec'] },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.applied.map((f: { id: string }) => f.id)).toEqual(['talk-1-codec']);
    expect(puts().slice(before)).toEqual(['/ISAPI/System/TwoWayAudio/channels/1']);
    const now = await snapshot();
    expect(now.slice(0, 3)).toEqual(original.slice(0, 3));
    expect(now[3]).not.toEqual(original[3]);
    const undone = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes/undo`);
    expect(undone.status, undone.text).toBe(200);
    expect(await snapshot()).toEqual(original);
  });

  it('fixes everything in one call, the doctor then reports it clean, undo restores it exactly', async () => {
    expect(await doctorStatuses()).toEqual({
      'motion-detection': 'warn',
      'stream-codec': 'warn',
      'stream-tuning': 'warn',
      'two-way-audio-codec': 'fail',
    });
    const original = await snapshot();
    const applied = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, { body: { ids: ALL_FIXES } });
    expect(applied.status, applied.text).toBe(200);
    expect(applied.json.applied.map((f: { id: string }) => f.id)).toEqual(ALL_FIXES);
    expect(applied.json.undo).toMatchObject({ available: true, fixes: ALL_FIXES });

    expect(await doctorStatuses()).toEqual({
      'motion-detection': 'pass',
      'stream-codec': 'pass',
      'stream-tuning': 'pass',
      'two-way-audio-codec': 'pass',
    });
    const after = await gw.api('GET', `/api/v1/devices/${deviceId}/fixes`);
    expect(after.json.fixes).toEqual([]);
    expect(after.json.undo.available).toBe(true);
    // Only the chosen elements changed: the sub stream keeps its size, bitrate mode, everything else.
    const sub = await readConfig(client, '/ISAPI/Streaming/channels/102');
    expect(sub.xml).toContain('<videoResolutionWidth>640</videoResolutionWidth>');
    expect(sub.xml).toContain('<videoQualityControlType>VBR</videoQualityControlType>');
    expect(sub.xml).toContain('<GovLength>20</GovLength>');

    const undone = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes/undo`);
    expect(undone.status, undone.text).toBe(200);
    expect([...undone.json.restored].sort()).toEqual([...RESOURCES].sort());
    expect(await snapshot()).toEqual(original);
    expect((await gw.api('POST', `/api/v1/devices/${deviceId}/fixes/undo`)).status).toBe(409);
    expect((await gw.api('GET', `/api/v1/devices/${deviceId}/fixes`)).json.fixes.length).toBe(
      ALL_FIXES.length,
    );
  }, 30_000);

  it('keeps the undo record across a restart', async () => {
    const original = await snapshot();
    const applied = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, {
      body: { ids: ['stream-101-codec', 'motion-1-enabled'] },
    });
    expect(applied.status, applied.text).toBe(200);
    const { dataDir } = gw;
    await gw.stop();
    gw = await startTestGateway({ dataDir });
    const preview = await gw.api('GET', `/api/v1/devices/${deviceId}/fixes`);
    expect(preview.json.undo).toMatchObject({
      available: true,
      fixes: ['stream-101-codec', 'motion-1-enabled'],
    });
    const undone = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes/undo`);
    expect(undone.status, undone.text).toBe(200);
    expect(await snapshot()).toEqual(original);
  }, 60_000);

  it('a fix the device refuses fails in words; what was changed before it stays undoable', async () => {
    const original = await snapshot();
    sim.setFault({ kind: 'busy', paths: ['/ISAPI/System/TwoWayAudio/channels/1'] });
    try {
      const failed = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes`, {
        body: { ids: ['stream-101-codec', 'talk-1-codec'] },
      });
      expect(failed.status, failed.text).toBe(502);
      expect(failed.json.error.message).toMatch(
        /talk-1-codec failed.*busy.*applied before: stream-101-codec/,
      );
      expect(failed.json.error.message).toMatch(/can be undone/);
      expect(failed.json.error.details).toEqual({ applied: ['stream-101-codec'] });
    } finally {
      sim.clearFaults();
    }
    const preview = await gw.api('GET', `/api/v1/devices/${deviceId}/fixes`);
    expect(preview.json.undo).toMatchObject({ available: true, fixes: ['stream-101-codec'] });
    expect(preview.json.fixes.map((f: { id: string }) => f.id)).not.toContain('stream-101-codec');
    const undone = await gw.api('POST', `/api/v1/devices/${deviceId}/fixes/undo`);
    expect(undone.status, undone.text).toBe(200);
    expect(undone.json.restored).toEqual(['/ISAPI/Streaming/channels/101']);
    expect(await snapshot()).toEqual(original);
  });

  it('the simulated device refuses values it does not take, like a device', async () => {
    const put = (body: string) =>
      client.call({ method: 'PUT', path: '/ISAPI/Streaming/channels/102', body }).then(
        () => 200,
        (error: { message: string }) => error.message,
      );
    const original = await snapshot();
    const doc = (await readConfig(client, '/ISAPI/Streaming/channels/102')).xml;
    expect(await put(doc.replace('<GovLength>250</GovLength>', '<GovLength>0</GovLength>'))).toMatch(
      /Invalid XML Content|badXmlContent/,
    );
    expect(await put(doc.replace(/<videoCodecType>[^<]*</, '<videoCodecType>VP9<'))).toMatch(
      /Invalid XML Content|badXmlContent/,
    );
    expect(await put('<StreamingChannel><id>102</id>')).toMatch(/Invalid XML Format|badXmlFormat/);
    expect(await snapshot()).toEqual(original);
  });
});

describe('fixes on a captured NVR (DS-7608NXI-I2)', () => {
  it('offers what the capture needs, writes through the proxy paths, and undoes exactly', async () => {
    const nvr = await startSimDevice({ profile: 'DS-7608NXI-I2', heartbeatMs: 0, snapshotDelayMs: 0 });
    const nvrClient = new IsapiClient({ baseUrl: nvr.url, username: 'admin', password: 'Hik12345!' });
    try {
      // From the capture, by hand: channels 2 and 3 have motion detection off; stream 301 (H.264) and
      // 302 (H.265) run 15 fps with GovLength 75 (5 s); no two-way audio.
      const fixes = await previewFixes(nvrClient);
      expect(fixes.map((f) => [f.id, f.current, f.proposed])).toEqual([
        ['motion-2-enabled', 'false', 'true'],
        ['stream-301-keyframe', '75', '30'],
        ['stream-302-codec', 'H.265', 'H.264'],
        ['stream-302-keyframe', '75', '30'],
        ['motion-3-enabled', 'false', 'true'],
      ]);
      const paths = [
        '/ISAPI/ContentMgmt/InputProxy/channels/2/video/motionDetection',
        '/ISAPI/Streaming/channels/302',
      ];
      const before = await Promise.all(
        paths.map(async (p) => normalizeXml((await readConfig(nvrClient, p)).xml)),
      );
      const { applied, undo } = await applyFixes(nvrClient, ['motion-2-enabled', 'stream-302-codec']);
      expect(applied.map((f) => f.id)).toEqual(['motion-2-enabled', 'stream-302-codec']);
      expect(nvr.requests.filter((r) => r.method === 'PUT' && r.authorized).map((r) => r.path)).toEqual(
        paths,
      );
      // The list the doctor and the probe read follows the change; the other fixes are still offered.
      expect((await previewFixes(nvrClient)).map((f) => f.id)).toEqual([
        'stream-301-keyframe',
        'stream-302-keyframe',
        'motion-3-enabled',
      ]);
      await undoFixes(nvrClient, undo);
      const after = await Promise.all(
        paths.map(async (p) => normalizeXml((await readConfig(nvrClient, p)).xml)),
      );
      expect(after).toEqual(before);
    } finally {
      await nvrClient.close();
      await nvr.close();
    }
  });
});

describe('read back', () => {
  it('a value the device accepted but did not keep is an error in words', async () => {
    // The simulator acknowledges PUTs to recorded endpoints without storing them: a device that
    // answers OK and keeps its old value.
    const path = '/ISAPI/System/Network/Integrate';
    const doc = await readConfig(client, path);
    const element = Object.keys(doc.node).find(
      (key) => !key.startsWith('@') && typeof doc.node[key] === 'string',
    )!;
    const values = { [element]: 'changed-by-test' };
    await writeConfig(client, withValues(doc, values));
    const error = await verifyConfig(client, path, values).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigNotAppliedError);
    expect((error as Error).message).toContain(
      `did not take ${element} = changed-by-test on ${path}: it reads back`,
    );
  });
});

describe('normalizeXml', () => {
  it('ignores layout, attribute order, empty-element form and namespace declarations, not content', () => {
    const a =
      '<?xml version="1.0" encoding="UTF-8"?>\n<A version="2.0" xmlns="urn:x">\n  <B x="1" y="2"><c/></B>\n<d>1</d></A>';
    const b = '<A xmlns="urn:x" version="2.0"><B y="2" x="1"><c></c></B><d> 1 </d></A>';
    expect(normalizeXml(a)).toBe(normalizeXml(b));
    expect(normalizeXml(a)).not.toBe(normalizeXml(b.replace('<d> 1 </d>', '<d>2</d>')));
    expect(normalizeXml(a)).not.toBe(normalizeXml(b.replace('y="2"', 'y="3"')));
    expect(normalizeXml(a)).not.toBe(normalizeXml(b.replace('<c></c>', '<c></c><c/>')));
  });
});
