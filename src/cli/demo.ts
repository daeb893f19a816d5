/**
 * `hikbridge start --demo`: simulated devices (a camera, an NVR, a doorbell) and a simulated
 * HikCentral Connect account with a few cloud cameras, added to the gateway, so a newcomer sees
 * devices, events and live video at once. Devices and accounts from an earlier demo run are
 * replaced.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type SimCloud, type SimDevice, startSimCloud, startSimFleet } from '../../sim/index.ts';
import { type SimVideo, startSimVideo } from '../../sim/video.ts';
import type { Gateway } from '../app.ts';

const DEMO_KEY = 'demo.deviceIds';
const DEMO_CLOUD_KEY = 'demo.cloudAccountIds';
const PROFILES = ['camera', 'nvr:4', 'doorbell'];

export interface Demo {
  sims: SimDevice[];
  video: SimVideo | undefined;
  cloud: SimCloud | undefined;
  stop(): Promise<void>;
}

export async function startDemoDevices(gateway: Gateway): Promise<Demo> {
  const { store, devices } = gateway;
  for (const id of (await store.settings.get<string[]>(DEMO_KEY)) ?? []) {
    if (await store.devices.get(id)) await devices.registry.remove(id);
  }
  const password = `Demo-${randomBytes(6).toString('base64url')}`;
  const video = await startDemoVideo(gateway, password);
  const rtsp = video ? { rtspPort: video.rtspPort } : {};
  const sims = await startSimFleet(PROFILES.map((profile) => ({ profile, password, ...rtsp })));
  const ids: string[] = [];
  for (const sim of sims) {
    const url = new URL(sim.url);
    const device = await devices.registry.add({
      name: `Demo ${sim.profile.kind}`,
      host: url.hostname,
      port: Number(url.port),
      username: 'admin',
      password,
    });
    ids.push(device.id);
    process.stdout.write(`demo: added ${device.model} (${device.kind}) as "${device.name}"\n`);
    if (device.kind === 'doorbell') await ringOverSip(gateway, device.id, sim);
  }
  await store.settings.set(DEMO_KEY, ids);
  const cloud = await startDemoCloud(gateway, video !== undefined);
  // Streams are ready to watch when the command says the gateway runs.
  await gateway.media.sync();
  return {
    sims,
    video,
    cloud,
    stop: async () => {
      await Promise.all(sims.map((sim) => sim.close()));
      await video?.stop();
      await cloud?.close();
    },
  };
}

/**
 * The demo doorbell rings over SIP with hikbridge as its SIP server (it is configured over
 * ISAPI and registers by itself); a press of its button is one request away.
 */
async function ringOverSip(gateway: Gateway, deviceId: string, sim: SimDevice): Promise<void> {
  try {
    await gateway.doorbell.update(deviceId, { mode: 'emulate' });
    process.stdout.write(`demo: ring the doorbell over SIP with: curl -X POST ${sim.url}/__sim/press\n`);
  } catch (error) {
    process.stdout.write(
      `demo: the doorbell stays on polling (SIP could not start: ${(error as Error).message})\n`,
    );
  }
}

/**
 * A simulated cloud (2 devices, 5 cameras; with its RTMP origin when live video works) and an
 * account for it, synced in the background.
 */
async function startDemoCloud(gateway: Gateway, withVideo: boolean): Promise<SimCloud | undefined> {
  const { store, cloud } = gateway;
  for (const id of (await store.settings.get<string[]>(DEMO_CLOUD_KEY)) ?? []) {
    if (await store.cloud.getAccount(id)) await cloud.removeAccount(id);
  }
  if (!gateway.config.cloud.enabled) return undefined;
  const appKey = randomBytes(12).toString('hex');
  const secretKey = randomBytes(16).toString('hex');
  const mediamtx = gateway.media.status().binary;
  const sim = await startSimCloud({
    appKey,
    secretKey,
    devices: [
      {
        serialNumber: 'DEMOC0001',
        name: 'Demo cloud NVR',
        category: 'NVR',
        cameras: cloudCameras(['Loading bay', 'Car park', 'Back door']),
      },
      { serialNumber: 'DEMOC0002', name: 'Demo kiosk', category: 'IPC', cameras: cloudCameras(['Kiosk']) },
      {
        serialNumber: 'DEMOC0003',
        name: 'Demo gate',
        category: 'IPC',
        online: false,
        cameras: cloudCameras(['Gate']),
      },
    ],
    ...(withVideo && mediamtx ? { origin: { mediamtx } } : {}),
  });
  const account = await cloud.addAccount(
    { name: 'Demo cloud', appKey, secretKey, baseUrl: sim.url },
    { sync: true },
  );
  await store.settings.set(DEMO_CLOUD_KEY, [account.id]);
  process.stdout.write(
    'demo: added a simulated HikCentral Connect account "Demo cloud" (5 cameras, one offline)\n',
  );
  return sim;
}

function cloudCameras(names: string[]) {
  return names.map((name, index) => ({ name, channelNo: index + 1 }));
}

/** Test-pattern video for the simulated cameras, when MediaMTX runs and ffmpeg is installed. */
async function startDemoVideo(gateway: Gateway, password: string): Promise<SimVideo | undefined> {
  await gateway.media.ready();
  const mediamtx = gateway.media.status().binary;
  if (!mediamtx) return undefined;
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  } catch {
    process.stdout.write('demo: install ffmpeg to see live test video from the simulated cameras\n');
    return undefined;
  }
  return startSimVideo({ mediamtx, username: 'admin', password });
}
