/**
 * A private Mosquitto broker per caller on a free loopback port, no persistence, gone after
 * stop(). Never the machine's own broker on 1883, so tests cannot disturb (or be disturbed by) a
 * real Home Assistant setup. Anonymous by default; with `users` it requires a password, with
 * `tls` it speaks MQTT over TLS with a certificate from a throwaway CA made for this broker
 * alone. A missing binary is installed from Debian as root; otherwise the test fails naming the
 * package. Never a skip.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './system-tools.ts';

const BINARY = '/usr/sbin/mosquitto';
/** Mosquitto cannot listen on port 0; a port found free can be taken before it binds: try again. */
const START_ATTEMPTS = 3;

export interface MosquittoOptions {
  /** User names and passwords the broker accepts; anyone else (and anonymous) is refused. */
  users?: Record<string, string>;
  /** Listen with TLS only (`mqtts://`); the certificate is for 127.0.0.1 and localhost. */
  tls?: boolean;
}

export interface Mosquitto {
  url: string;
  port: number;
  /** With `tls`: the PEM file of the CA that signed the broker's certificate. */
  caFile?: string;
  /** What the broker wrote to stderr (its log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = mosquittoBinary();
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-mosquitto-'));
  try {
    const security = [
      ...(options.users ? passwordSettings(dir, options.users) : ['allow_anonymous true']),
      ...(options.tls ? tlsSettings(dir) : []),
    ];
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const started = await launch(binary, dir, port, security);
      if ('child' in started) {
        const { child, log } = started;
        const scheme = options.tls ? 'mqtts' : 'mqtt';
        return {
          url: `${scheme}://127.0.0.1:${port}`,
          port,
          ...(options.tls ? { caFile: join(dir, 'ca.crt') } : {}),
          log,
          stop: async () => {
            await stopChild(child);
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      if (!started.portTaken || attempt === START_ATTEMPTS) throw started.error;
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

type Launch =
  | { child: ChildProcess; log: () => string }
  | { error: Error /** Another process bound the port first. */; portTaken: boolean };

async function launch(binary: string, dir: string, port: number, security: string[]): Promise<Launch> {
  const config = join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      ...security,
      'persistence false',
      // A fresh subscriber gets every retained message under its filter at once; the default
      // bound (1000 queued per client) would silently drop the rest of a large fleet's topics.
      'max_queued_messages 0',
      // Run as root, Mosquitto would switch to its own user, which cannot read this private dir.
      'user root',
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
  const log = () => output.join('');
  try {
    await waitForPort(port, child, log);
    return { child, log };
  } catch (error) {
    child.kill('SIGKILL');
    return { error: error as Error, portTaken: /address already in use/i.test(log()) };
  }
}

/** A password file hashed by mosquitto_passwd (the passwords never appear on a command line). */
function passwordSettings(dir: string, users: Record<string, string>): string[] {
  const file = join(dir, 'passwords');
  writeFileSync(
    file,
    Object.entries(users)
      .map(([user, password]) => `${user}:${password}\n`)
      .join(''),
    {
      mode: 0o600,
    },
  );
  execFileSync(requireTool('mosquitto_passwd', 'mosquitto'), ['-U', file], {
    stdio: 'pipe',
    timeout: 10_000,
  });
  return ['allow_anonymous false', `password_file ${file}`];
}

/** A CA and a server certificate for 127.0.0.1/localhost, both made here and valid for a day. */
function tlsSettings(dir: string): string[] {
  const openssl = requireTool('openssl', 'openssl');
  const path = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=hikbridge test CA',
  ]);
  run(['req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(path('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  ]);
  return [`cafile ${path('ca.crt')}`, `certfile ${path('server.crt')}`, `keyfile ${path('server.key')}`];
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
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${log()}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`mosquitto did not listen on 127.0.0.1:${port} within 10 s: ${log()}`);
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
