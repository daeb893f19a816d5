/** `hikbridge start` as a user runs it: the README's curl steps, then a clean SIGTERM stop. */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { mediaPortsEnv } from '../cli/processes.ts';
import { mediaPorts, until } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const run = promisify(execFile);

const BIN = fileURLToPath(new URL('../../bin/hikbridge.js', import.meta.url));
let child: ChildProcess | undefined;

afterAll(async () => {
  // SIGTERM first: a gateway killed outright would leave its MediaMTX and demo video running.
  const running = child;
  if (!running || running.exitCode !== null || running.signalCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  const timer = setTimeout(() => running.kill('SIGKILL'), 7000);
  await exited;
  clearTimeout(timer);
});

function startCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const proc = spawn(process.execPath, [BIN, 'start', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /hikbridge is running: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child: proc, url: match[1]!.replace('localhost', '127.0.0.1'), output: () => output });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
}

async function login(url: string, password: string): Promise<string> {
  const answer = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  return ((await answer.json()) as { token: string }).token;
}

describe('hikbridge start', () => {
  it('serves the API as the README shows and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-cli-'));
    const ports = await mediaPorts();
    const started = await startCli(['--data', dataDir, '--port', '0'], {
      HIKBRIDGE_AUTH_ADMIN_PASSWORD: 'Readme-Pass-1',
      HIKBRIDGE_SERVER_HOST: '127.0.0.1',
      ...mediaPortsEnv(ports),
    });
    child = started.child;
    const health = await fetch(`${started.url}/health`);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
    const login = await fetch(`${started.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'Readme-Pass-1' }),
    });
    const { token } = (await login.json()) as { token: string };
    const devices = await fetch(`${started.url}/api/v1/devices`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(devices.status).toBe(200);
    expect(await devices.json()).toEqual([]);
    const mediaState = async () =>
      (
        (await (
          await fetch(`${started.url}/api/v1/media`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as { state: string }
      ).state;
    await until(
      async () => (await mediaState()) === 'running',
      15_000,
      () => 'MediaMTX did not start',
    );
    // MediaMTX runs, and its control API answers only to the gateway's own credentials.
    const mediamtx = await fetch(`http://127.0.0.1:${ports.apiPort}/v3/info`);
    expect(mediamtx.status).toBe(401);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const t0 = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    // MediaMTX went down with the gateway.
    await expect(fetch(`http://127.0.0.1:${ports.apiPort}/v3/info`)).rejects.toThrow();
    expect(started.output()).not.toContain('Readme-Pass-1');
  });

  it('--demo adds simulated devices and a cloud account whose cameras play live video', async () => {
    requireTool('ffmpeg', 'ffmpeg');
    const dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-demo-'));
    const started = await startCli(['--demo', '--data', dataDir, '--port', '0'], {
      HIKBRIDGE_AUTH_ADMIN_PASSWORD: 'Demo-Pass-1',
      HIKBRIDGE_SERVER_HOST: '127.0.0.1',
      ...mediaPortsEnv(await mediaPorts()),
    });
    child = started.child;
    const token = await login(started.url, 'Demo-Pass-1');
    // biome-ignore lint/suspicious/noExplicitAny: test reads JSON answers
    const get = async (path: string): Promise<any> => {
      const answer = await fetch(`${started.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return answer.json();
    };
    const devices = await get('/api/v1/devices');
    expect(devices.map((device: { kind: string }) => device.kind).sort()).toEqual([
      'camera',
      'doorbell',
      'nvr',
    ]);
    const camera = devices.find((device: { kind: string }) => device.kind === 'camera');
    const channel = (await get('/api/v1/channels')).find(
      (each: { deviceId: string }) => each.deviceId === camera.id,
    );
    const streams = await get(`/api/v1/channels/${channel.id}/streams`);
    const url = streams.find((stream: { default: boolean }) => stream.default).urls.rtsp;
    const probe = await run(
      'ffprobe',
      ['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', url],
      { timeout: 20_000 },
    );
    expect(probe.stdout.trim()).toBe('h264');

    // The demo doorbell is configured for SIP, registers by itself and rings at a button press.
    const bell = devices.find((device: { kind: string }) => device.kind === 'doorbell');
    let sip: { status: { state: string; autoConfig: unknown } } | undefined;
    await until(
      async () => {
        sip = await get(`/api/v1/devices/${bell.id}/sip`);
        return sip?.status.state === 'registered';
      },
      30_000,
      () => `demo doorbell SIP: ${JSON.stringify(sip)}`,
    );
    const press = await fetch(`http://${bell.host}:${bell.port}/__sim/press`, { method: 'POST', body: '{}' });
    expect(press.status).toBe(200);
    let call: { state: string } | undefined;
    await until(
      async () => {
        call = await get(`/api/v1/devices/${bell.id}/call`);
        return call?.state === 'ringing';
      },
      10_000,
      () => `demo doorbell call: ${JSON.stringify(call)}`,
    );

    // The demo cloud account: five cameras, one of them offline, the others playing.
    type CloudCamera = { id: string; name: string; status: string };
    let cameras: CloudCamera[] = [];
    await until(
      async () => {
        cameras = await get('/api/v1/cloud/cameras');
        return cameras.length === 5 && cameras.every((camera) => camera.status !== 'pending');
      },
      30_000,
      () => `demo cloud cameras: ${JSON.stringify(cameras)}`,
    );
    expect(cameras.map((camera) => camera.status).sort()).toEqual(['offline', 'ok', 'ok', 'ok', 'ok']);
    const kiosk = cameras.find((camera) => camera.name === 'Kiosk')!;
    const kioskStreams = await get(`/api/v1/channels/${kiosk.id}/streams`);
    const cloudProbe = await run(
      'ffprobe',
      [
        '-v',
        'error',
        '-rtsp_transport',
        'tcp',
        '-show_entries',
        'stream=codec_name',
        '-of',
        'csv=p=0',
      ].concat(kioskStreams[0].urls.rtsp),
      { timeout: 30_000 },
    );
    expect(cloudProbe.stdout.trim()).toBe('h264');

    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);

  it('prints every configuration problem and exits 2', async () => {
    const proc = spawn(process.execPath, [BIN, 'start'], {
      env: { ...process.env, HIKBRIDGE_SERVER_PORT: 'eighty', HIKBRIDGE_LOG_LEVEL: 'loud' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => proc.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain('server.port');
    expect(stderr).toContain('log.level');
  });
});
