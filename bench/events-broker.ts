/**
 * A private Mosquitto for the events benchmark: anonymous, no persistence, a free loopback port,
 * gone after stop(). Never the machine's own broker. Nothing is installed: a missing binary is
 * an error that names the package.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../sim/net.ts';

export interface Broker {
  url: string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];

export async function startBroker(): Promise<Broker> {
  const binary = findMosquitto();
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-bench-mqtt-'));
  const port = await freePort();
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const log: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 5000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`mosquitto did not start on 127.0.0.1:${port}: ${log.join('').trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, stop };
}

function findMosquitto(): string {
  const onPath = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'mosquitto'));
  const found = [...CANDIDATES, ...onPath].find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      'the events benchmark needs the Mosquitto broker binary (Debian/Ubuntu package "mosquitto"); it was not found in /usr/sbin or on PATH',
    );
  }
  return found;
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
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
