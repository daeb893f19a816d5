/**
 * `hikbridge start --demo`: simulated devices (a camera, an NVR, a doorbell) added to the
 * gateway, so a newcomer sees devices at once. Devices from an earlier demo run are replaced.
 */
import { randomBytes } from 'node:crypto';
import { type SimDevice, startSimFleet } from '../../sim/index.ts';
import type { Gateway } from '../app.ts';

const DEMO_KEY = 'demo.deviceIds';
const PROFILES = ['camera', 'nvr:4', 'doorbell'];

export async function startDemoDevices(gateway: Gateway): Promise<SimDevice[]> {
  const { store, devices } = gateway;
  for (const id of (await store.settings.get<string[]>(DEMO_KEY)) ?? []) {
    if (await store.devices.get(id)) await devices.registry.remove(id);
  }
  const password = `Demo-${randomBytes(6).toString('base64url')}`;
  const sims = await startSimFleet(PROFILES.map((profile) => ({ profile, password })));
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
  return sims;
}
