/**
 * Siren, strobe and a detection's linkage to them through the API, against the simulator: the
 * `ptz` profile has the simulator's invented audible alarm and flashing light (no capture holds
 * them), the `camera` profile has neither. Round-trips read back, bad input is refused in words
 * with nothing written, and a device without them answers 404 in words.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { startTestGateway, type TestGateway } from '../gateway/harness.ts';

const PASSWORD = 'Deter-Api-5';
const DETERRENCE = '/ISAPI/Event/triggers/notifications/';
let gw: TestGateway;
let dome: SimDevice;
let plain: SimDevice;
let dome_: { deviceId: string; channelId: string };
let plain_: { deviceId: string; channelId: string };

async function add(sim: SimDevice, name: string): Promise<{ deviceId: string; channelId: string }> {
  const added = await gw.api('POST', '/api/v1/devices', {
    body: { name, host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
  });
  expect(added.status, added.text).toBe(201);
  const channels = await gw.api('GET', `/api/v1/devices/${added.json.id}/channels`);
  return { deviceId: added.json.id, channelId: channels.json[0].id };
}

beforeAll(async () => {
  dome = await startSimDevice({ profile: 'ptz', password: PASSWORD });
  plain = await startSimDevice({ profile: 'camera', password: PASSWORD });
  gw = await startTestGateway();
  dome_ = await add(dome, 'Yard');
  plain_ = await add(plain, 'Porch');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await dome?.close();
  await plain?.close();
});

const writes = (sim: SimDevice, prefix: string) => sim.countRequests(prefix, 'PUT');

describe('siren', () => {
  it('reads, changes and reads back', async () => {
    const path = `/api/v1/devices/${dome_.deviceId}/siren`;
    const before = await gw.api('GET', path);
    expect(before.status, before.text).toBe(200);
    expect(before.json).toMatchObject({
      soundId: 1,
      volume: 50,
      times: 5,
      volumeRange: { min: 1, max: 100 },
    });
    expect(before.json.sounds.map((s: { name: string }) => s.name)).toEqual([
      'Siren',
      'Warning, this is a restricted area',
      'Dog barking',
    ]);
    const changed = await gw.api('PUT', path, { body: { soundId: 3, volume: 70 } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ soundId: 3, volume: 70, times: 5 });
    expect((await gw.api('GET', path)).json).toEqual(changed.json);
  });

  it('refuses bad input in words and writes nothing', async () => {
    const path = `/api/v1/devices/${dome_.deviceId}/siren`;
    const before = writes(dome, DETERRENCE);
    const unlisted = await gw.api('PUT', path, { body: { soundId: 7 } });
    expect(unlisted.status).toBe(400);
    expect(unlisted.json.error.message).toMatch(/offers the sounds 1 \(Siren\), .*; not 7/);
    const loud = await gw.api('PUT', path, { body: { volume: 150 } });
    expect(loud.status).toBe(400);
    expect(loud.json.error.message).toMatch(/volume must be 1-100/);
    for (const body of [{}, { volume: 'max' }, { times: 0 }, { volume: 20, pitch: 3 }, { times: 1.5 }]) {
      const bad = await gw.api('PUT', path, { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect(writes(dome, DETERRENCE)).toBe(before);
    expect((await gw.api('GET', path)).json.volume).toBe(70);
  });

  it('answers 404 in words for a device without one', async () => {
    const missing = await gw.api('GET', `/api/v1/devices/${plain_.deviceId}/siren`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toMatch(/^"Porch": 127\.0\.0\.1:\d+ has no audible alarm/);
    const put = await gw.api('PUT', `/api/v1/devices/${plain_.deviceId}/siren`, { body: { volume: 10 } });
    expect(put.status).toBe(404);
    expect((await gw.api('GET', '/api/v1/devices/nope/siren')).status).toBe(404);
    expect(writes(plain, DETERRENCE)).toBe(0);
  });
});

describe('strobe', () => {
  it('reads, changes, reads back, and refuses bad input with nothing written', async () => {
    const path = `/api/v1/channels/${dome_.channelId}/strobe`;
    expect((await gw.api('GET', path)).json).toEqual({
      channel: 1,
      scope: 'channel',
      duration: 15,
      durationRange: { min: 1, max: 60 },
      frequency: 'medium',
      frequencies: ['high', 'medium', 'low', 'normallyOn'],
    });
    const changed = await gw.api('PUT', path, { body: { duration: 45, frequency: 'low' } });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.json).toMatchObject({ duration: 45, frequency: 'low' });
    expect((await gw.api('GET', path)).json).toEqual(changed.json);
    const before = writes(dome, DETERRENCE);
    const disco = await gw.api('PUT', path, { body: { frequency: 'disco' } });
    expect(disco.status).toBe(400);
    expect(disco.json.error.message).toMatch(
      /offers the frequencies high, medium, low, normallyOn; not "disco"/,
    );
    for (const body of [
      {},
      { duration: 61 },
      { duration: 0 },
      { frequency: '' },
      { duration: 5, colour: 'red' },
    ]) {
      const bad = await gw.api('PUT', path, { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    expect(writes(dome, DETERRENCE)).toBe(before);
    expect((await gw.api('GET', path)).json.duration).toBe(45);
  });

  it('answers 404 in words for a channel without one', async () => {
    const missing = await gw.api('GET', `/api/v1/channels/${plain_.channelId}/strobe`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toMatch(
      /^"Porch": 127\.0\.0\.1:\d+ has no flashing light \(strobe\) on channel 1/,
    );
    const put = await gw.api('PUT', `/api/v1/channels/${plain_.channelId}/strobe`, { body: { duration: 5 } });
    expect(put.status).toBe(404);
    expect(writes(plain, DETERRENCE)).toBe(0);
  });
});

describe('detection linkage', () => {
  it('links motion to the siren and strobe and back, keeping the center notification', async () => {
    const path = `/api/v1/channels/${dome_.channelId}/detections/motion/linkage`;
    expect((await gw.api('GET', path)).json).toEqual({
      kind: 'motion',
      notifyCenter: true,
      siren: false,
      strobe: false,
    });
    const on = await gw.api('PUT', path, { body: { siren: true, strobe: true } });
    expect(on.status, on.text).toBe(200);
    expect(on.json).toEqual({ kind: 'motion', notifyCenter: true, siren: true, strobe: true });
    expect((await gw.api('GET', path)).json).toEqual(on.json);
    const off = await gw.api('PUT', path, { body: { strobe: false } });
    expect(off.json).toEqual({ kind: 'motion', notifyCenter: true, siren: true, strobe: false });
  });

  it('refuses bad input and a siren the device lacks, writing nothing', async () => {
    const domeWrites = writes(dome, '/ISAPI/Event/triggers/');
    const path = `/api/v1/channels/${dome_.channelId}/detections/motion/linkage`;
    for (const body of [{}, { siren: 'yes' }, { siren: true, buzzer: true }]) {
      const bad = await gw.api('PUT', path, { body });
      expect(bad.status, JSON.stringify(body)).toBe(400);
    }
    const unknown = await gw.api('PUT', `/api/v1/channels/${dome_.channelId}/detections/smoke/linkage`, {
      body: { siren: true },
    });
    expect(unknown.status).toBe(404);
    expect(writes(dome, '/ISAPI/Event/triggers/')).toBe(domeWrites);

    const plainPath = `/api/v1/channels/${plain_.channelId}/detections/motion/linkage`;
    expect((await gw.api('GET', plainPath)).json).toEqual({
      kind: 'motion',
      notifyCenter: true,
      siren: null,
      strobe: null,
    });
    const noSiren = await gw.api('PUT', plainPath, { body: { siren: true, notifyCenter: true } });
    expect(noSiren.status).toBe(404);
    expect(noSiren.json.error.message).toMatch(
      /^"Porch" \(channel "[^"]+"\): 127\.0\.0\.1:\d+ has no audible alarm/,
    );
    expect(writes(plain, '/ISAPI/Event/triggers/')).toBe(0);
  });
});
