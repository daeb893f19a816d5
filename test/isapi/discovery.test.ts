import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { discoverDevice, kindFromDeviceType, kindFromModel } from '../../src/protocols/isapi/discovery.ts';

const PASSWORD = 'Disc0very!';
const open: Array<{ close(): Promise<void> }> = [];

async function probeSim(options: Partial<SimDeviceOptions>, channelIds?: number[]) {
  const device: SimDevice = await startSimDevice({ profile: 'camera', password: PASSWORD, ...options });
  const client = new IsapiClient({ baseUrl: device.url, username: 'admin', password: PASSWORD });
  open.push(device, client);
  const description = await discoverDevice(client, {
    credentials: { username: 'admin', password: PASSWORD },
    ...(channelIds ? { channelIds } : {}),
  });
  return { device, description };
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

describe('discovery of built-in simulator profiles', () => {
  it('camera: streams, codecs, two-way audio and alarm I/O', async () => {
    const { description } = await probeSim({ profile: 'camera' });
    expect(description.deviceType).toBe('camera');
    expect(description.channels).toHaveLength(1);
    const [main, sub] = description.channels[0]!.streams;
    expect(main).toMatchObject({ id: '101', codec: 'H.265', width: 3840, height: 2160 });
    expect(sub).toMatchObject({ id: '102', codec: 'H.264', width: 640, height: 360 });
    expect(description.twoWayAudio).toEqual({ channelId: 1, codec: 'G.711ulaw' });
    expect(description.alarmInputs).toBe(1);
    expect(description.alarmOutputs).toBe(1);
    expect(description.doors).toBe(0);
  });

  it('doorbell: kind, doors, two-way audio', async () => {
    const { description } = await probeSim({ profile: 'doorbell' });
    expect(description.deviceType).toBe('doorbell');
    expect(description.model).toBe('DS-KV6124-E1');
    expect(description.doors).toBe(2);
    expect(description.twoWayAudio?.codec).toBe('G.711ulaw');
    expect(description.channels[0]!.streams[0]).toMatchObject({
      id: '101',
      codec: 'H.264',
      width: 2688,
      height: 1520,
    });
  });

  it('NVR with 16 channels: every channel becomes a camera with ids 1-16 and stream ids N01/N02', async () => {
    const { description } = await probeSim({ profile: 'nvr:16' });
    expect(description.deviceType).toBe('nvr');
    expect(description.channels.map((c) => c.id)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(description.channels[11]!.streams.map((s) => s.id)).toEqual(['1201', '1202']);
    expect(description.channels.every((c) => c.online)).toBe(true);
  });

  it('channel override probes only the chosen channels', async () => {
    const { description, device } = await probeSim({ profile: 'nvr:8' }, [3, 5]);
    expect(description.channels.map((c) => c.id)).toEqual([3, 5]);
    expect(device.countRequests('/ISAPI/Streaming/channels/101')).toBe(0);
  });

  it('RTSP URLs use the RTSP port from Security/adminAccesses', async () => {
    const { description } = await probeSim({ profile: 'camera', rtspPort: 10554 });
    expect(new URL(description.channels[0]!.streams[0]!.rtspUrl).port).toBe('10554');
  });
});

describe('device kind', () => {
  it('from the deviceType string and the model', () => {
    expect(kindFromDeviceType('IPCamera')).toBe('camera');
    expect(kindFromDeviceType('IPDome')).toBe('camera');
    expect(kindFromDeviceType('NVR')).toBe('nvr');
    expect(kindFromDeviceType('HybirdNVR')).toBe('nvr');
    expect(kindFromDeviceType('DVR')).toBe('dvr');
    expect(kindFromDeviceType('REDACTED')).toBeUndefined();
    expect(kindFromModel('DS-KV6124-E1')).toBe('doorbell');
    expect(kindFromModel('DS-K1T671M')).toBe('access-controller');
  });
});
