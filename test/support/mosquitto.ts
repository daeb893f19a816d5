/**
 * A private Mosquitto broker per caller on a free loopback port: anonymous, no persistence,
 * gone after stop(). Never the machine's own broker on 1883, so tests cannot disturb (or be
 * disturbed by) a real Home Assistant setup. A missing binary is installed from Debian as root;
 * otherwise the test fails naming the package. Never a skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './system-tools.ts';

const BINARY = '/usr/sbin/mosquitto';

export interface Mosquitto {
  url: string;
  port: number;
  /** What the broker wrote to stderr (its log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<Mosquitto> {
  const binary = mosquittoBinary();
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-mosquitto-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // A fresh subscriber gets every retained message under its filter at once; the default
      // bound (1000 queued per client) would silently drop the rest of a large fleet's topics.
      'max_queued_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const output: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  try {
    await waitForPort(port, child, () => output.join(''));
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    log: () => output.join(''),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mosquittoBinary(): string {
  if (existsSync(BINARY)) return BINARY;
  requireTool('mosquitto', 'mosquitto');
  return existsSync(BINARY) ? BINARY : 'mosquitto';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 5_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${log()}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within 5 s: ${log()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
