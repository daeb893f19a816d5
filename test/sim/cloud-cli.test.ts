/**
 * `hikbridge sim --cloud` as a user runs it: it prints the bootstrap URL, the AppKey and the
 * SecretKey it invented, those get a token from that URL, no simulated ISAPI device starts with
 * `--cloud` alone, and SIGTERM stops it all, its RTMP origin included.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { until } from '../support/mediamtx.ts';
import { requireTool } from '../support/system-tools.ts';

const BIN = fileURLToPath(new URL('../../bin/hikbridge.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function field(output: string, pattern: RegExp): string {
  const value = pattern.exec(output)?.[1];
  if (!value) throw new Error(`not in the output: ${pattern}\n${output}`);
  return value;
}

function accepts(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect(Number(port), host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

it('hikbridge sim --cloud prints a URL and keys that get a token, and stops on SIGTERM', async () => {
  // With ffmpeg (and MediaMTX, built by the global setup) the cloud comes with its RTMP origin.
  requireTool('ffmpeg', 'ffmpeg');
  const child = spawn(
    process.execPath,
    [BIN, 'sim', '--cloud', '--cloud-devices', '2', '--cloud-cameras', '3'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until(
    () => output.includes('Ctrl+C stops.') || child.exitCode !== null,
    60_000,
    () => `sim --cloud did not start:\n${output}`,
  );
  const url = field(output, /^cloud: HikCentral Connect \(simulated\) (http:\/\/127\.0\.0\.1:\d+)$/m);
  const appKey = field(output, /^cloud: AppKey (\S+)$/m);
  const secretKey = field(output, /^cloud: SecretKey (\S+)$/m);
  expect(output).toMatch(
    /^cloud: device SIMC000001 "Cloud site 1" \(NVR, 2 cameras, stream encryption off\)$/m,
  );
  expect(output).toMatch(
    /^cloud: device SIMC000002 "Cloud site 2" \(IPC, 1 camera, stream encryption off\)$/m,
  );
  // --cloud alone: no simulated ISAPI device.
  expect(output).not.toContain('Control API:');
  const rtmpHost = field(output, /^cloud: video rtmp:\/\/(127\.0\.0\.1:\d+) /m);

  const answer = await fetch(`${url}/api/hccgw/platform/v1/token/get`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ appKey, secretKey }),
    signal: AbortSignal.timeout(10_000),
  });
  const envelope = (await answer.json()) as {
    errorCode: string;
    data: { accessToken: string; areaDomain: string };
  };
  expect(envelope.errorCode).toBe('0');
  expect(envelope.data.accessToken).toMatch(/^hcc\./);
  expect(await accepts(rtmpHost)).toBe(true);

  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(await accepts(rtmpHost)).toBe(false);
}, 90_000);
