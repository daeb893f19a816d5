/**
 * A gateway killed outright (SIGKILL: no handler runs, no clean stop) takes its MediaMTX with it:
 * no MediaMTX process is left, and every port it held is free again, at once rather than at the
 * next start. The gateway runs as a user starts it, in a process of its own.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { launchCommand } from '../../src/modules/media/parent-death.ts';
import { mediaPorts, until } from '../support/mediamtx.ts';

const BIN = fileURLToPath(new URL('../../bin/hikbridge.js', import.meta.url));
const ADMIN_PASSWORD = 'Kill-Test-Pass-1';
const leftovers: number[] = [];
let gateway: ChildProcess | undefined;
let dataDir: string | undefined;

afterAll(() => {
  // Only when the test failed is anything still running: do not leave it to the next suite.
  for (const pid of [gateway?.pid, ...leftovers]) {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {}
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `hikbridge start` and resolves with its URL once it listens. */
function startGateway(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  dataDir = mkdtempSync(join(tmpdir(), 'hikbridge-kill-'));
  const child = spawn(process.execPath, [BIN, 'start', '--data', dataDir, '--port', '0'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  gateway = child;
  let output = '';
  return new Promise((resolve, reject) => {
    // The launcher may first compile edited sources: a generous bound for a loaded machine.
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      // Only the start-up lines matter; keep the buffer bounded once they are in.
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
      const match = /hikbridge is running: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!.replace('localhost', '127.0.0.1') });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${output}`)));
  });
}

/** Logs in as admin and returns a function that reads the media engine's state. */
async function mediaStateReader(url: string): Promise<() => Promise<string>> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    signal: AbortSignal.timeout(10_000),
  });
  const { token } = (await login.json()) as { token: string };
  return async () => {
    const media = await fetch(`${url}/api/v1/media`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    return ((await media.json()) as { state: string }).state;
  };
}

/** /proc/<pid>/stat: state and parent pid (the command name in parentheses may hold spaces). */
function processStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** Gone, or a zombie nobody has reaped yet (it holds no ports and runs no code). */
function isDead(pid: number): boolean {
  const stat = processStat(pid);
  return stat === undefined || stat.state === 'Z';
}

/** Whether someone holds the TCP port: binding the same address fails while they do. */
function tcpTaken(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ port, host }, () => probe.close(() => resolve(false)));
  });
}

function udpTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createSocket('udp6');
    probe.once('error', () => {
      probe.close();
      resolve(true);
    });
    probe.bind(port, '::', () => probe.close(() => resolve(false)));
  });
}

describe('a gateway killed with SIGKILL', () => {
  it('leaves no MediaMTX behind and frees its ports', async () => {
    const ports = await mediaPorts();
    const started = await startGateway({
      HIKBRIDGE_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
      HIKBRIDGE_SERVER_HOST: '127.0.0.1',
      HIKBRIDGE_MEDIA_API_PORT: String(ports.apiPort),
      HIKBRIDGE_MEDIA_RTSP_PORT: String(ports.rtspPort),
      HIKBRIDGE_MEDIA_WEBRTC_PORT: String(ports.webrtcPort),
      HIKBRIDGE_MEDIA_WEBRTC_UDP_PORT: String(ports.webrtcUdpPort),
      HIKBRIDGE_MEDIA_HLS_PORT: String(ports.hlsPort),
    });
    const mediaState = await mediaStateReader(started.url);
    await until(
      async () => (await mediaState()) === 'running',
      30_000,
      () => 'MediaMTX did not start',
    );
    const configFile = join(dataDir!, 'mediamtx', 'mediamtx.yml');
    const mediamtxPid = Number(readFileSync(`${configFile}.pid`, 'utf8'));
    leftovers.push(mediamtxPid);
    expect(readFileSync(`/proc/${mediamtxPid}/cmdline`, 'utf8').split('\0')).toContain(configFile);
    // The process that owns MediaMTX is the gateway (whatever launched it).
    const owner = processStat(mediamtxPid)!.ppid;
    expect(readFileSync(`/proc/${owner}/cmdline`, 'utf8')).toContain('hikbridge');

    const taken = async () => ({
      api: await tcpTaken(ports.apiPort, '127.0.0.1'),
      rtsp: await tcpTaken(ports.rtspPort),
      webrtc: await tcpTaken(ports.webrtcPort),
      hls: await tcpTaken(ports.hlsPort),
      webrtcUdp: await udpTaken(ports.webrtcUdpPort),
    });
    // The port checks can tell: every port is held while MediaMTX runs.
    expect(await taken()).toEqual({ api: true, rtsp: true, webrtc: true, hls: true, webrtcUdp: true });

    process.kill(owner, 'SIGKILL');
    await until(
      () => isDead(owner),
      15_000,
      () => 'the gateway survived SIGKILL',
    );
    await until(
      () => isDead(mediamtxPid),
      15_000,
      () => `MediaMTX (pid ${mediamtxPid}) outlived its gateway: ${JSON.stringify(processStat(mediamtxPid))}`,
    );
    let held = {};
    await until(
      async () => {
        held = await taken();
        return Object.values(held).every((isTaken) => !isTaken);
      },
      15_000,
      () => `ports still held after the kill: ${JSON.stringify(held)}`,
    );
  }, 150_000);
});

describe('the MediaMTX launch command', () => {
  const run = promisify(execFile);

  it('runs the program only while its parent is the gateway that asked', async () => {
    const launch = launchCommand('/bin/echo', ['ran']);
    expect(launch.diesWithGateway).toBe(true);
    expect((await run(launch.command, launch.args, { timeout: 10_000 })).stdout).toBe('ran\n');
    // Started for a gateway that is gone already (another parent): the program never runs.
    const orphaned = launch.args.map((arg) => (arg === String(process.pid) ? '1' : arg));
    const refused = await run(launch.command, orphaned, { timeout: 10_000 }).catch((error) => error);
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 75, stdout: '' });
  });

  it('starts the program directly where setpriv is missing', () => {
    expect(launchCommand('/opt/mediamtx', ['a.yml'], { PATH: '' })).toEqual({
      command: '/opt/mediamtx',
      args: ['a.yml'],
      diesWithGateway: false,
    });
  });
});
