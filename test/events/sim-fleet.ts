/** Simulated cameras for the events suites, and adding them to a test gateway once their stream is open. */
import { expect } from 'vitest';
import { type SimDevice, type SimDeviceOptions, startSimDevice } from '../../sim/index.ts';
import { eventually, type TestGateway } from '../gateway/harness.ts';

export class SimFleet {
  private readonly sims: SimDevice[] = [];

  constructor(
    private readonly defaults: Partial<SimDeviceOptions> & { password: string; serialPrefix: string },
  ) {}

  /** A simulated device with its own serial number (the gateway refuses one device added twice). */
  async start(options: Partial<SimDeviceOptions> = {}): Promise<SimDevice> {
    const { serialPrefix, ...defaults } = this.defaults;
    const device = await startSimDevice({
      profile: 'camera',
      serialNumber: `${serialPrefix}${this.sims.length}${Date.now().toString(36)}`,
      heartbeatMs: 500,
      ...defaults,
      ...options,
    });
    this.sims.push(device);
    return device;
  }

  /** Adds the device through the API and waits until the simulator sees its event stream open. */
  async add(gw: TestGateway, device: SimDevice): Promise<string> {
    const url = new URL(device.url);
    const answer = await gw.api('POST', '/api/v1/devices', {
      body: { host: url.hostname, port: Number(url.port), password: this.defaults.password },
    });
    expect(answer.status, answer.text).toBe(201);
    await eventually(async () => device.openAlertStreams > 0);
    return answer.json.id;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.sims.splice(0).map((device) => device.close()));
  }
}
