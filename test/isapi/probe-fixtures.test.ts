/**
 * `hikbridge probe` against the simulator serving every real device capture: model, kind,
 * channels, stream ids and codecs must match what the real device answered.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFixtureProfiles, type SimDevice, startSimFleet } from '../../sim/index.ts';
import type { ProbeJson } from '../../src/cli/probe.ts';
import { runCli } from '../support/cli.ts';
import { expectedFromFixture } from '../support/fixtures.ts';

const PASSWORD = 'p@ss:w#rd!';
const profiles = listFixtureProfiles();
let devices: SimDevice[] = [];

beforeAll(async () => {
  devices = await startSimFleet(profiles.map((profile) => ({ profile, password: PASSWORD })));
});
afterAll(async () => {
  await Promise.all(devices.map((device) => device.close()));
});

function urlOf(device: SimDevice): string {
  return device.url.replace('://', `://admin:${encodeURIComponent(PASSWORD)}@`);
}

describe('probe every real device profile', () => {
  it('has fixtures to test against', () => {
    expect(profiles.length).toBeGreaterThanOrEqual(9);
  });

  it.each(profiles.map((path, index) => [basename(path), index] as const))('%s', async (_name, index) => {
    const device = devices[index]!;
    const expected = expectedFromFixture(profiles[index]!);
    const result = await runCli(['probe', urlOf(device), '--json', '--show-credentials']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const probe = JSON.parse(result.stdout) as ProbeJson;

    expect(probe.model).toBe(expected.model);
    expect(probe.deviceType).toBe(expected.deviceType);
    expect(probe.serialNumber).toBe(expected.serialNumber);
    expect(probe.alarmInputs).toBe(expected.alarmInputs);
    expect(probe.alarmOutputs).toBe(expected.alarmOutputs);
    // For NVR channels `online` comes from the simulator's invented channel status: this checks
    // that the probe reads it, not what the real NVR reported.
    expect(probe.channels.map((c) => ({ id: c.id, name: c.name, online: c.online }))).toEqual(
      expected.channels.map((c) => ({ id: c.id, name: c.name, online: c.online })),
    );
    for (const [i, channel] of probe.channels.entries()) {
      const want = expected.channels[i]!.streams;
      expect(
        channel.streams.map((s) => ({ id: s.id, codec: s.codec, width: s.width, height: s.height })),
      ).toEqual(want);
      for (const stream of channel.streams) {
        const rtsp = new URL(stream.rtspUrl);
        expect(rtsp.pathname).toBe(`/Streaming/Channels/${stream.id}`);
        expect(decodeURIComponent(rtsp.password)).toBe(PASSWORD);
      }
    }
  });

  it('hides the password in RTSP URLs unless asked', async () => {
    const result = await runCli(['probe', urlOf(devices[0]!), '--json']);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(encodeURIComponent(PASSWORD));
    expect(result.stdout).toContain(':***@');
  });
});
