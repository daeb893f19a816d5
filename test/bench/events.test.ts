/**
 * The events benchmark's controls-inventory figures. What it counts is told apart by path
 * (bench/events-inventory.ts), so the paths are checked against a real gateway: without MQTT
 * (no inventory) a camera is asked none of them; with MQTT, every path the start adds is one of
 * them. Then the benchmark itself at toy size prints the inventory line. Timings are the
 * benchmark's business (docs/benchmarks.md), not a test's.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type DeviceRequest,
  inventoryPart,
  summarizeInventory,
  waitForInventory,
} from '../../bench/events-inventory.ts';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { eventually, startTestGateway } from '../gateway/harness.ts';
import { startMosquitto } from '../support/mosquitto.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'Bench-Inventory-7';

/** Starts a gateway (MQTT on or off), adds a fresh camera, waits for its start; its paths. */
async function startupPaths(mqttUrl: string | undefined): Promise<{ paths: Set<string>; sim: SimDevice }> {
  const sim = await startSimDevice({ profile: 'camera', password: PASSWORD, heartbeatMs: 0 });
  const gw = await startTestGateway({ overrides: mqttUrl ? { mqtt: { url: mqttUrl } } : {} });
  try {
    const since = Date.now();
    const added = await gw.api('POST', '/api/v1/devices', {
      body: { name: 'Camera', host: '127.0.0.1', port: sim.port, username: 'admin', password: PASSWORD },
    });
    expect(added.status, added.text).toBe(201);
    // The last step of a device's start: its alert stream open and its clock read.
    await eventually(
      async () => sim.openAlertStreams === 1 && sim.countRequests('/ISAPI/System/time', 'GET') > 0,
      30_000,
    );
    if (mqttUrl) {
      await waitForInventory(async () => sim.requests as DeviceRequest[], 1, since, {
        quietMs: 1000,
        pollMs: 200,
        timeoutMs: 30_000,
        concurrency: 1,
      });
    }
    const paths = new Set(sim.requests.filter((r) => r.at >= since).map((r) => r.path));
    return { paths, sim };
  } finally {
    await gw.stop();
    await sim.close();
  }
}

describe('events benchmark: the controls inventory', () => {
  it('counts the inventory by path: none asked without MQTT, every path MQTT adds counted', async () => {
    const broker = await startMosquitto();
    try {
      const without = await startupPaths(undefined);
      expect([...without.paths].filter((path) => inventoryPart(path) !== undefined)).toEqual([]);
      expect(without.paths).toContain('/ISAPI/Event/notification/alertStream');
      const withMqtt = await startupPaths(broker.url);
      const added = [...withMqtt.paths].filter((path) => !without.paths.has(path));
      expect(added.length).toBeGreaterThan(10);
      expect(added.filter((path) => inventoryPart(path) === undefined)).toEqual([]);
      // Each part the camera has is among them.
      const parts = new Set(added.map(inventoryPart));
      for (const part of ['outputs', 'storage', 'siren', 'strobe', 'detections', 'ptz', 'light'])
        expect(parts, part).toContain(part);
    } finally {
      await broker.stop();
    }
  }, 120_000);

  it('sums up per device, leaving out login handshakes', () => {
    const at = 1_000_000;
    const record = (path: string, ms: number, status = 200, authorized = true): DeviceRequest => ({
      method: 'GET',
      path,
      status,
      authorized,
      at: at + ms,
    });
    const summary = summarizeInventory(
      [
        [
          record('/ISAPI/System/IO/outputs', 100, 401, false),
          record('/ISAPI/System/IO/outputs', 110),
          record('/ISAPI/Smart/LineDetection/1', 300),
        ],
        [record('/ISAPI/PTZCtrl/channels/1/capabilities', 500, 404)],
        [],
      ],
      at,
    );
    expect(summary).toMatchObject({
      devicesRead: 2,
      requests: 3,
      loginChallenges: 1,
      perDevice: { min: 1, max: 2 },
      byPart: { outputs: 1, detections: 1, ptz: 1 },
      doneAfterStartSeconds: 0.5,
      spanSeconds: 0.4,
      perDeviceMs: { max: 200 },
    });
  });

  it('prints the inventory line at toy size', async () => {
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'bench/index.ts', 'events', '--devices', '2', '--rate', '10', '--seconds', '2'],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-10_000);
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('close', (code) => {
        clearTimeout(killer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    const inventory = lines.find((line) => line.path === 'controls-inventory');
    expect(inventory, run.stdout).toMatchObject({ bench: 'events', devices: 2, devicesRead: 2 });
    expect(inventory.perDevice.min).toBeGreaterThan(10);
    const parts = Object.values(inventory.byPart as Record<string, number>);
    expect(parts.reduce((a, b) => a + b, 0)).toBe(inventory.requests);
    expect(inventory.doneAfterStartSeconds).toBeGreaterThan(0);
    expect(lines.find((line) => line.path === 'sse')).toMatchObject({ sent: 20, lost: 0 });
  }, 180_000);
});
