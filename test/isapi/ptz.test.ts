/**
 * PTZ over ISAPI (src/protocols/isapi/ptz.ts) against the simulated PTZ dome and an NVR whose
 * channel 2 has PTZ through the recorder's proxy: capabilities, a continuous move that changes
 * the position until stopped, presets saved / renamed / listed / called / deleted, home, patrols,
 * input checks before any request, and a fixed camera's clear "no PTZ".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { ptzCapabilities } from '../../sim/profiles/ptz.ts';
import { simPtz } from '../../sim/routes/ptz.ts';
import type { RequestOptions } from '../../src/protocols/http/types.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import {
  continuousMove,
  deletePreset,
  gotoHome,
  gotoPreset,
  listPatrols,
  listPresets,
  type PtzCapabilities,
  PtzInputError,
  type PtzTarget,
  PtzUnsupportedError,
  patrolCommand,
  readPtzCapabilities,
  savePreset,
  setHome,
  stopMove,
} from '../../src/protocols/isapi/ptz.ts';
import { eventually } from '../gateway/harness.ts';

const PASSWORD = 'Ptz-Dome-42';
const open: Array<{ close(): Promise<void> }> = [];
const OWN: PtzTarget = { channel: 1, proxy: false };

async function sim(profile: string): Promise<SimDevice> {
  const device = await startSimDevice({ profile, password: PASSWORD, heartbeatMs: 0 });
  open.push(device);
  return device;
}

function clientFor(device: SimDevice): { client: IsapiClient; sent: RequestOptions[] } {
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  open.push(client);
  const sent: RequestOptions[] = [];
  const request = client.http.request.bind(client.http);
  client.http.request = (options: RequestOptions) => {
    sent.push(options);
    return request(options);
  };
  return { client, sent };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

describe('PTZ over ISAPI', () => {
  it('reads the channel capabilities of the PTZ dome', async () => {
    const { client } = clientFor(await sim('ptz'));
    const caps = await readPtzCapabilities(client, OWN);
    expect(caps).toMatchObject({
      panTilt: true,
      zoom: true,
      pan: { min: -100, max: 100 },
      zoomSpeed: { min: -100, max: 100 },
      maxPresets: 255,
      maxPatrols: 4,
    });
    expect(caps?.specialPresets).toContain(94);
  });

  it('moves continuously until a zero-speed PUT stops it', async () => {
    const dome = await sim('ptz');
    const { client, sent } = clientFor(dome);
    const caps = (await readPtzCapabilities(client, OWN)) as PtzCapabilities;
    const before = simPtz(dome).position(1);
    await continuousMove(client, OWN, { pan: 60, zoom: 20 }, caps);
    const body = sent.at(-1)?.body?.toString() ?? '';
    expect(body).toContain('<PTZData');
    expect(body).toContain('<pan>60</pan><tilt>0</tilt><zoom>20</zoom>');
    await eventually(async () => simPtz(dome).position(1).pan !== before.pan, 5000);
    expect(simPtz(dome).moving(1)).toBe(true);
    await stopMove(client, OWN, caps);
    expect(simPtz(dome).moving(1)).toBe(false);
    const stoppedAt = simPtz(dome).position(1);
    expect(simPtz(dome).requests.at(-1)).toMatchObject({
      action: 'continuous',
      speeds: { pan: 0, tilt: 0, zoom: 0 },
      status: 200,
    });
    // Still: the position does not change any more.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(simPtz(dome).position(1)).toEqual(stoppedAt);
  });

  it('round-trips presets: save, rename, list, go to, delete', async () => {
    const dome = await sim('ptz');
    const { client } = clientFor(dome);
    const caps = (await readPtzCapabilities(client, OWN)) as PtzCapabilities;
    await continuousMove(client, OWN, { pan: 100 }, caps);
    await eventually(async () => simPtz(dome).position(1).pan > 50, 5000);
    await stopMove(client, OWN, caps);
    const spot = simPtz(dome).position(1);
    expect(await savePreset(client, OWN, 7, 'Gate', caps)).toEqual({ id: 7, name: 'Gate' });
    await savePreset(client, OWN, 7, 'Front gate', caps);
    expect(await listPresets(client, OWN, caps)).toEqual([
      { id: 1, name: 'Entrance' },
      { id: 7, name: 'Front gate' },
    ]);
    await gotoHome(client, OWN);
    expect(simPtz(dome).position(1).pan).toBe(0);
    await gotoPreset(client, OWN, 7, caps);
    expect(simPtz(dome).position(1)).toEqual(spot);
    await setHome(client, OWN);
    await deletePreset(client, OWN, 7, caps);
    expect(await listPresets(client, OWN, caps)).toEqual([{ id: 1, name: 'Entrance' }]);
  });

  it('lists, starts and stops patrols', async () => {
    const dome = await sim('ptz');
    const { client } = clientFor(dome);
    const caps = (await readPtzCapabilities(client, OWN)) as PtzCapabilities;
    const patrols = await listPatrols(client, OWN, caps);
    expect(patrols).toHaveLength(4);
    expect(patrols[0]).toEqual({ id: 1, name: 'Patrol 1', enabled: true });
    await patrolCommand(client, OWN, 1, 'start', caps);
    expect(simPtz(dome).channel(1).runningPatrol).toBe(1);
    await patrolCommand(client, OWN, 1, 'stop', caps);
    expect(simPtz(dome).channel(1).runningPatrol).toBeNull();
  });

  it('checks input before anything is sent', async () => {
    const dome = await sim('ptz');
    const { client, sent } = clientFor(dome);
    const caps = (await readPtzCapabilities(client, OWN)) as PtzCapabilities;
    const count = sent.length;
    await expect(continuousMove(client, OWN, { pan: 101 }, caps)).rejects.toThrow(PtzInputError);
    await expect(continuousMove(client, OWN, { tilt: 1.5 }, caps)).rejects.toThrow(/tilt must be a speed/);
    await expect(gotoPreset(client, OWN, 256, caps)).rejects.toThrow(/preset must be a preset number 1-255/);
    await expect(savePreset(client, OWN, 94, 'Reboot', caps)).rejects.toThrow(/reserved by the device/);
    await expect(savePreset(client, OWN, 2, 'x'.repeat(33), caps)).rejects.toThrow(/at most 32/);
    await expect(savePreset(client, OWN, 2, '  ', caps)).rejects.toThrow(/non-empty/);
    await expect(patrolCommand(client, OWN, 5, 'start', caps)).rejects.toThrow(/patrol must be/);
    const zoomOnly = { ...caps, panTilt: false };
    await expect(continuousMove(client, OWN, { pan: 10 }, zoomOnly)).rejects.toThrow(/can only zoom/);
    expect(sent.length).toBe(count);
  });

  it('reaches an IP camera behind an NVR through the PTZ proxy', async () => {
    const nvr = await sim('nvr:2');
    nvr.setEndpoint('ContentMgmt/PTZCtrlProxy/channels/2/capabilities', {
      response: ptzCapabilities('http://www.isapi.org/ver20/XMLSchema', 128, 0),
    });
    const { client, sent } = clientFor(nvr);
    const target = { channel: 2, proxy: true };
    expect(await readPtzCapabilities(client, { channel: 1, proxy: true })).toBeUndefined();
    const caps = (await readPtzCapabilities(client, target)) as PtzCapabilities;
    expect(caps.maxPresets).toBe(128);
    await continuousMove(client, target, { tilt: -30 }, caps);
    expect(sent.at(-1)?.path).toBe('/ISAPI/ContentMgmt/PTZCtrlProxy/channels/2/continuous');
    expect(simPtz(nvr).moving(2, true)).toBe(true);
    await stopMove(client, target, caps);
    await savePreset(client, target, 3, 'Dock', caps);
    expect(await listPresets(client, target, caps)).toContainEqual({ id: 3, name: 'Dock' });
    await expect(listPatrols(client, target, caps)).rejects.toThrow(PtzUnsupportedError);
  });

  it('says a fixed camera has no PTZ, and the simulator answers its PTZ paths notSupport', async () => {
    const camera = await sim('camera');
    const { client } = clientFor(camera);
    expect(await readPtzCapabilities(client, OWN)).toBeUndefined();
    const fake: PtzCapabilities = {
      panTilt: true,
      zoom: true,
      pan: { min: -100, max: 100 },
      tilt: { min: -100, max: 100 },
      zoomSpeed: { min: -100, max: 100 },
      maxPresets: 255,
      specialPresets: [],
      maxPatrols: 0,
    };
    const refused = continuousMove(client, OWN, { pan: 10 }, fake);
    await expect(refused).rejects.toThrow(PtzUnsupportedError);
    await expect(refused).rejects.toThrow(/has no PTZ/);
    await expect(gotoHome(client, OWN)).rejects.toThrow(/has no PTZ home position/);
  });

  it('answers bad values like a device: 400 with invalid content, nothing changed', async () => {
    const dome = await sim('ptz');
    const put = (path: string, body: string) =>
      fetchWithDigest(dome, 'PUT', path, body).then((answer) => answer.status);
    // Raw requests through the client bypass our own checks.
    expect(await put('/ISAPI/PTZCtrl/channels/1/continuous', '<PTZData><pan>150</pan></PTZData>')).toBe(400);
    expect(await put('/ISAPI/PTZCtrl/channels/1/continuous', '<PTZData><pan>')).toBe(400);
    expect(await put('/ISAPI/PTZCtrl/channels/1/presets/9/goto', '')).toBe(400);
    expect(simPtz(dome).moving(1)).toBe(false);
    expect(simPtz(dome).requests.map((r) => r.status)).toEqual([400, 400, 400]);
  });
});

async function fetchWithDigest(device: SimDevice, method: 'PUT', path: string, body: string) {
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  open.push(client);
  return client.http.request({ method, path, body, headers: { 'content-type': 'application/xml' } });
}
