/**
 * Detections per channel against the simulator serving each real capture: what listDetections
 * finds must be what the capture holds (expected values read from the captures by hand), and
 * the protocol calls' writes keep the rest of the document, read back, and send nothing on bad
 * input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import {
  type ChannelSource,
  DetectionInputError,
  DetectionMissingError,
  listDetections,
  setDetectionEnabled,
  setDetectionNotifiesCenter,
} from '../../src/protocols/isapi/detections.ts';

const PASSWORD = 'Detect-Pass-1';
const devices: SimDevice[] = [];

async function start(profile: string): Promise<{ sim: SimDevice; client: IsapiClient }> {
  const sim = await startSimDevice({ profile, password: PASSWORD });
  devices.push(sim);
  return { sim, client: new IsapiClient({ baseUrl: sim.url, username: 'admin', password: PASSWORD }) };
}

afterAll(async () => {
  await Promise.all(devices.map((d) => d.close()));
});

/** kind → [enabled, notifiesCenter]; read from test/fixtures/devices/*.json by hand. */
type Expected = Record<string, [boolean, boolean | null]>;
const TABLE: Array<{ capture: string; source: ChannelSource; channels: Record<number, Expected> }> = [
  {
    capture: 'DS-2CD2146G2-ISU',
    source: 'local',
    channels: {
      1: {
        motion: [false, true],
        tamper: [false, true],
        intrusion: [false, true],
        'line-crossing': [false, true],
        'region-entrance': [false, true],
        'region-exit': [false, true],
      },
    },
  },
  {
    capture: 'DS-2CD2346G2-ISU',
    source: 'local',
    channels: {
      1: {
        motion: [true, false],
        tamper: [true, false],
        intrusion: [true, true],
        'line-crossing': [false, false],
        'region-entrance': [false, false],
        'region-exit': [false, false],
        // Not in the trigger list; the single Event/triggers/scenechangedetection-1 answer has center.
        'scene-change': [true, true],
      },
    },
  },
  {
    capture: 'DS-2CD2386G2-IU',
    source: 'local',
    channels: {
      1: {
        motion: [false, true],
        tamper: [false, true],
        intrusion: [false, true],
        'line-crossing': [true, true],
        'region-entrance': [false, true],
        'region-exit': [false, true],
        'scene-change': [true, true],
      },
    },
  },
  {
    capture: 'DS-2CD2443G0-IW',
    source: 'local',
    channels: {
      1: {
        motion: [false, true],
        tamper: [false, true],
        intrusion: [false, true],
        'line-crossing': [false, true],
      },
    },
  },
  {
    capture: 'DS-2CD2T46G2-ISU',
    source: 'local',
    channels: {
      1: {
        motion: [true, false],
        tamper: [true, false],
        intrusion: [true, true],
        'line-crossing': [true, false],
        'region-entrance': [false, false],
        'region-exit': [false, false],
        'scene-change': [true, true],
      },
    },
  },
  {
    capture: 'DS-7608NXI-I2',
    source: 'proxy',
    channels: {
      // No motion detection recorded for channel 1.
      1: { intrusion: [false, true], 'line-crossing': [true, true], 'scene-change': [false, true] },
      2: {
        motion: [false, true],
        intrusion: [false, true],
        'line-crossing': [true, true],
        'region-entrance': [true, true],
        'region-exit': [true, false],
        'scene-change': [false, true],
      },
      3: { motion: [false, false], intrusion: [true, true], 'line-crossing': [false, false] },
    },
  },
  {
    capture: 'DS-7616NI-K2',
    source: 'proxy',
    channels: {
      1: {
        motion: [false, true],
        tamper: [true, true],
        intrusion: [true, true],
        'line-crossing': [false, true],
        'region-entrance': [false, false],
        'region-exit': [false, false],
        'scene-change': [true, true],
      },
      2: { motion: [true, false], tamper: [true, false] },
      3: {
        motion: [false, false],
        tamper: [true, false],
        intrusion: [true, true],
        'line-crossing': [true, true],
        'region-entrance': [false, false],
        'region-exit': [false, false],
        'scene-change': [true, true],
      },
    },
  },
  {
    capture: 'DS-7616NI-Q2',
    source: 'proxy',
    channels: {
      1: {
        motion: [true, true],
        tamper: [true, false],
        intrusion: [true, false],
        'line-crossing': [true, true],
      },
      6: {
        motion: [true, false],
        tamper: [false, false],
        intrusion: [false, false],
        'line-crossing': [true, false],
      },
    },
  },
  {
    capture: 'iDS-7204HUHI-M1',
    source: 'local',
    channels: {
      1: {
        motion: [true, true],
        tamper: [false, false],
        intrusion: [true, true],
        'line-crossing': [false, true],
      },
      2: {
        motion: [false, false],
        tamper: [false, false],
        intrusion: [false, true],
        'line-crossing': [false, true],
      },
    },
  },
];

describe('detections of each capture', () => {
  for (const { capture, source, channels } of TABLE) {
    it(`${capture}: every channel lists what the capture has`, async () => {
      const { client } = await start(capture);
      for (const [channel, expected] of Object.entries(channels)) {
        const found = await listDetections(client, { channel: Number(channel), source });
        const asTable = Object.fromEntries(found.map((d) => [d.kind, [d.enabled, d.notifiesCenter]]));
        expect(asTable, `${capture} channel ${channel}`).toEqual(expected);
      }
    });
  }
});

describe('changing detections', () => {
  it('switches a detection, keeping the rest of its document, and reads it back', async () => {
    const { sim, client } = await start('DS-2CD2346G2-ISU');
    const ch = { channel: 1, source: 'local' as const };
    const after = await setDetectionEnabled(client, 'line-crossing', ch, true);
    expect(after).toEqual({ kind: 'line-crossing', enabled: true, notifiesCenter: false });
    const raw = await client.http.request({ method: 'GET', path: '/ISAPI/Smart/LineDetection/1' });
    const body = raw.body.toString('utf8');
    expect(body).toContain('<enabled>true</enabled>');
    expect(body).toContain('<recogRuleType>vectorMode</recogRuleType>'); // untouched element kept
    expect(body.match(/<LineItem>/g)).toHaveLength(4);
    const puts = sim.countRequests('/ISAPI/Smart/LineDetection/1', 'PUT');
    await setDetectionEnabled(client, 'line-crossing', ch, true); // already on: nothing written
    expect(sim.countRequests('/ISAPI/Smart/LineDetection/1', 'PUT')).toBe(puts);
  });

  it('adds and removes the surveillance center notification, keeping the others', async () => {
    const { client } = await start('DS-7608NXI-I2');
    const ch = { channel: 3, source: 'proxy' as const };
    const on = await setDetectionNotifiesCenter(client, 'motion', ch, true);
    expect(on.notifiesCenter).toBe(true);
    const trigger = (
      await client.http.request({ method: 'GET', path: '/ISAPI/Event/triggers/VMD-3' })
    ).body.toString();
    expect(trigger).toContain('<notificationMethod>record</notificationMethod>');
    expect(trigger).toContain('<notificationMethod>center</notificationMethod>');
    const off = await setDetectionNotifiesCenter(client, 'motion', ch, false);
    expect(off.notifiesCenter).toBe(false);
    const again = (
      await client.http.request({ method: 'GET', path: '/ISAPI/Event/triggers/VMD-3' })
    ).body.toString();
    expect(again).toContain('<notificationMethod>record</notificationMethod>');
    expect(again).not.toContain('center');
  });

  it('says which detection a channel lacks, and sends nothing on bad input', async () => {
    const { sim, client } = await start('DS-2CD2443G0-IW');
    const ch = { channel: 1, source: 'local' as const };
    await expect(setDetectionEnabled(client, 'scene-change', ch, true)).rejects.toThrow(
      DetectionMissingError,
    );
    await expect(setDetectionEnabled(client, 'scene-change', ch, true)).rejects.toThrow(
      /has no scene change detection on channel 1/,
    );
    const before = sim.requests.length;
    await expect(setDetectionEnabled(client, 'smoke' as never, ch, true)).rejects.toThrow(
      DetectionInputError,
    );
    await expect(
      setDetectionEnabled(client, 'motion', { channel: 0, source: 'local' }, true),
    ).rejects.toThrow(DetectionInputError);
    await expect(setDetectionEnabled(client, 'motion', ch, 'yes' as never)).rejects.toThrow(
      DetectionInputError,
    );
    expect(sim.requests.length).toBe(before);
  });
});
