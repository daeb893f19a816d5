/**
 * `hikbridge start --demo`: simulated devices (a camera, an NVR, a doorbell) added to the
 * gateway, so a newcomer sees devices, events and live video at once. Devices from an earlier
 * demo run are replaced.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type SimDevice, startSimFleet } from '../../sim/index.ts';
import { type SimVideo, startSimVideo } from '../../sim/video.ts';
import type { Gateway } from '../app.ts';

const DEMO_KEY = 'demo.deviceIds';
const PROFILES = ['camera', 'nvr:4', 'doorbell'];

export interface Demo {
  sims: SimDevice[];
  video: SimVideo | undefined;
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
  }
  await store.settings.set(DEMO_KEY, ids);
  // Streams are ready to watch when the command says the gateway runs.
  await gateway.media.sync();
  return {
    sims,
    video,
    stop: async () => {
      await Promise.all(sims.map((sim) => sim.close()));
      await video?.stop();
    },
  };
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
