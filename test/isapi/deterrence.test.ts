/**
 * Siren and strobe settings, and their linkage to a detection's trigger, against the simulator.
 * No capture holds these endpoints: the `ptz` profile serves the simulator's invented ones (shape
 * of public ISAPI documentation), so what is tested is how the client handles them (ranges and
 * lists taken from the device, read-modify-write keeping other fields, read back, nothing sent on
 * bad input, absence in words), not facts about a device.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import {
  DetectionInputError,
  readChannelLinkages,
  readDetectionLinkage,
  setDetectionLinkage,
  setDetectionNotifiesCenter,
} from '../../src/protocols/isapi/detections.ts';
import {
  DeterrenceInputError,
  hasSiren,
  hasStrobe,
  readSiren,
  readStrobe,
  SirenMissingError,
  StrobeMissingError,
  setSiren,
  setStrobe,
} from '../../src/protocols/isapi/deterrence.ts';

const PASSWORD = 'Deter-Pass-1';
const SIREN = '/ISAPI/Event/triggers/notifications/AudioAlarm';
const STROBE = '/ISAPI/Event/triggers/notifications/channels/1/whiteLightAlarm';
const devices: SimDevice[] = [];

async function start(profile: string): Promise<{ sim: SimDevice; client: IsapiClient }> {
  const sim = await startSimDevice({ profile, password: PASSWORD });
  devices.push(sim);
  return { sim, client: new IsapiClient({ baseUrl: sim.url, username: 'admin', password: PASSWORD }) };
}

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
});

async function rawJson(client: IsapiClient, path: string): Promise<Record<string, unknown>> {
  const response = await client.http.request({ method: 'GET', path: `${path}?format=json` });
  return JSON.parse(response.body.toString('utf8'));
}

const local = { channel: 1, source: 'local' as const };

describe('siren', () => {
  it('reads the sounds and ranges, changes them, keeps the other fields, and reads back', async () => {
    const { client } = await start('ptz');
    expect(await hasSiren(client)).toBe(true);
    const before = await readSiren(client);
    expect(before).toEqual({
      soundId: 1,
      sounds: [
        { id: 1, name: 'Siren' },
        { id: 2, name: 'Warning, this is a restricted area' },
        { id: 3, name: 'Dog barking' },
      ],
      volume: 50,
      volumeRange: { min: 1, max: 100 },
      times: 5,
      timesRange: { min: 1, max: 50 },
    });
    const after = await setSiren(client, { soundId: 2, volume: 80, times: 3 });
    expect(after).toMatchObject({ soundId: 2, volume: 80, times: 3 });
    expect(await readSiren(client)).toEqual(after);
    // The sound is mirrored where the device keeps it, and audioClass is kept.
    expect((await rawJson(client, SIREN)).AudioAlarm).toEqual({
      audioClass: 'alertAudio',
      alertAudioID: 2,
      audioID: 2,
      audioVolume: 80,
      alarmTimes: 3,
    });
    expect((await setSiren(client, { volume: 100 })).soundId).toBe(2);
  });

  it('refuses a sound not listed and values out of range before any write', async () => {
    const { sim, client } = await start('ptz');
    const writes = () => sim.countRequests(SIREN, 'PUT');
    await expect(setSiren(client, { soundId: 9 })).rejects.toThrow(
      /offers the sounds 1 \(Siren\), 2 \(Warning, this is a restricted area\), 3 \(Dog barking\); not 9/,
    );
    for (const change of [
      { volume: 0 },
      { volume: 101 },
      { times: 51 },
      { times: 2.5 },
      { volume: '50' as never },
      {},
      { loud: true } as never,
    ]) {
      await expect(setSiren(client, change), JSON.stringify(change)).rejects.toThrow(DeterrenceInputError);
    }
    await expect(setSiren(client, { volume: 101 })).rejects.toThrow(/volume must be 1-100/);
    expect(writes()).toBe(0);
    expect((await readSiren(client)).volume).toBe(50);
  });

  it('says a device without one has no audible alarm', async () => {
    const { client } = await start('camera');
    expect(await hasSiren(client)).toBe(false);
    await expect(readSiren(client)).rejects.toThrow(SirenMissingError);
    await expect(setSiren(client, { volume: 10 })).rejects.toThrow(/has no audible alarm/);
  });

  it('the simulator refuses an out-of-range PUT and keeps its state', async () => {
    const { client } = await start('ptz');
    await expect(
      client.sendJson('PUT', SIREN, {
        AudioAlarm: {
          audioClass: 'alertAudio',
          alertAudioID: 1,
          audioID: 1,
          audioVolume: 500,
          alarmTimes: 5,
        },
      }),
    ).rejects.toThrow(/refused/);
    expect((await readSiren(client)).volume).toBe(50);
  });
});

describe('strobe', () => {
  it('reads and changes duration and frequency per channel, read back', async () => {
    const { sim, client } = await start('ptz');
    expect(await hasStrobe(client, 1)).toBe(true);
    expect(await readStrobe(client, 1)).toEqual({
      channel: 1,
      scope: 'channel',
      duration: 15,
      durationRange: { min: 1, max: 60 },
      frequency: 'medium',
      frequencies: ['high', 'medium', 'low', 'normallyOn'],
    });
    const after = await setStrobe(client, 1, { duration: 30, frequency: 'high' });
    expect(after).toMatchObject({ duration: 30, frequency: 'high', scope: 'channel' });
    expect((await rawJson(client, STROBE)).WhiteLightAlarm).toEqual({
      channelID: 1,
      durationTime: 30,
      frequency: 'high',
    });
    const writes = sim.countRequests(STROBE, 'PUT');
    await expect(setStrobe(client, 1, { frequency: 'disco' })).rejects.toThrow(
      /offers the frequencies high, medium, low, normallyOn; not "disco"/,
    );
    for (const change of [
      { duration: 0 },
      { duration: 61 },
      { frequency: '' },
      {},
      { color: 'red' } as never,
    ]) {
      await expect(setStrobe(client, 1, change), JSON.stringify(change)).rejects.toThrow(
        DeterrenceInputError,
      );
    }
    await expect(setStrobe(client, 0, { duration: 5 })).rejects.toThrow(DeterrenceInputError);
    expect(sim.countRequests(STROBE, 'PUT')).toBe(writes);
    expect((await readStrobe(client, 1)).duration).toBe(30);
  });

  it('falls back to the device-wide setting of older firmware', async () => {
    const { sim, client } = await start('ptz');
    const capabilities =
      sim.profile.isapi['Event/triggers/notifications/channels/1/whiteLightAlarm/capabilities'];
    sim.setEndpoint('Event/triggers/notifications/channels/1/whiteLightAlarm/capabilities', null);
    sim.setEndpoint('Event/triggers/notifications/whiteLightAlarm/capabilities', capabilities!);
    expect((await readStrobe(client, 1)).scope).toBe('device');
    const after = await setStrobe(client, 1, { frequency: 'normallyOn' });
    expect(after).toMatchObject({ scope: 'device', frequency: 'normallyOn', duration: 15 });
    expect(sim.countRequests('/ISAPI/Event/triggers/notifications/whiteLightAlarm', 'PUT')).toBe(1);
  });

  it('says a channel without one has no strobe', async () => {
    const { client } = await start('camera');
    expect(await hasStrobe(client, 1)).toBe(false);
    await expect(readStrobe(client, 1)).rejects.toThrow(StrobeMissingError);
    await expect(setStrobe(client, 1, { duration: 5 })).rejects.toThrow(
      /has no flashing light \(strobe\) on channel 1/,
    );
  });
});

describe('linkage of a detection to the siren and strobe', () => {
  it('switches beep and whiteLight on a trigger, keeping its other notifications', async () => {
    const { sim, client } = await start('ptz');
    expect(await readDetectionLinkage(client, 'motion', local)).toEqual({
      kind: 'motion',
      notifyCenter: true,
      siren: false,
      strobe: false,
    });
    const on = await setDetectionLinkage(client, 'motion', local, { siren: true, strobe: true });
    expect(on).toEqual({ kind: 'motion', notifyCenter: true, siren: true, strobe: true });
    expect(sim.countRequests('/ISAPI/Event/triggers/VMD-1', 'PUT')).toBe(1); // one write for both
    const trigger = (
      await client.http.request({ method: 'GET', path: '/ISAPI/Event/triggers/VMD-1' })
    ).body.toString();
    for (const method of ['center', 'beep', 'whiteLight']) {
      expect(trigger).toContain(`<notificationMethod>${method}</notificationMethod>`);
    }
    const off = await setDetectionLinkage(client, 'motion', local, { siren: false, notifyCenter: true });
    expect(off).toEqual({ kind: 'motion', notifyCenter: true, siren: false, strobe: true });
    // The center helper goes through the same linkage code and keeps the others.
    await setDetectionNotifiesCenter(client, 'motion', local, false);
    expect(await readDetectionLinkage(client, 'motion', local)).toEqual({
      kind: 'motion',
      notifyCenter: false,
      siren: false,
      strobe: true,
    });
  });

  it("reads a channel's linkages with one read of the trigger list, agreeing with the one-by-one read", async () => {
    const { sim, client } = await start('ptz');
    await setDetectionLinkage(client, 'motion', local, { siren: true });
    const kinds = ['motion', 'tamper', 'line-crossing'] as const;
    const oneByOne = [];
    for (const kind of kinds) oneByOne.push(await readDetectionLinkage(client, kind, local));
    const triggersBefore = sim.countRequests('/ISAPI/Event/triggers', 'GET');
    const sirenBefore = sim.countRequests(SIREN, 'GET');
    const together = await readChannelLinkages(client, [...kinds], local, { siren: true, strobe: true });
    expect(together).toEqual(oneByOne);
    expect(together[0]).toMatchObject({ kind: 'motion', siren: true });
    // One list read (the per-trigger answers cover what it lacks); the siren is not asked again.
    expect(sim.countRequests('/ISAPI/Event/triggers', 'GET') - triggersBefore).toBeLessThanOrEqual(
      1 + kinds.length,
    );
    expect(sim.countRequests(SIREN, 'GET')).toBe(sirenBefore);
  });

  it('offers no siren or strobe linkage where the device has none, and writes nothing', async () => {
    const { sim, client } = await start('camera');
    expect(await readDetectionLinkage(client, 'motion', local)).toEqual({
      kind: 'motion',
      notifyCenter: true,
      siren: null,
      strobe: null,
    });
    await expect(setDetectionLinkage(client, 'motion', local, { siren: true })).rejects.toThrow(
      SirenMissingError,
    );
    await expect(setDetectionLinkage(client, 'motion', local, { strobe: true })).rejects.toThrow(
      StrobeMissingError,
    );
    for (const change of [{}, { siren: 'on' as never }, { buzzer: true } as never]) {
      await expect(setDetectionLinkage(client, 'motion', local, change)).rejects.toThrow(DetectionInputError);
    }
    expect(sim.countRequests('/ISAPI/Event/triggers/', 'PUT')).toBe(0);
  });
});
