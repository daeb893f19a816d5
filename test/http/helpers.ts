import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { DeviceError } from '../../src/protocols/http/errors.ts';
import { closeServer, listen } from './digest-server.ts';

export interface TestCertificate {
  key: string;
  cert: string;
  /** As Node prints it: `AB:CD:...`. */
  fingerprint: string;
}

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI. */
export async function makeCertificate(commonName = 'hikbridge-test'): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'hikbridge-tls-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await promisify(execFile)('/usr/bin/openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    return { key, cert, fingerprint: new X509Certificate(cert).fingerprint256 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A port nobody listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

/**
 * Accepts TCP connections and never reads or writes: a TLS handshake against it never finishes,
 * an HTTP request never gets an answer.
 */
export async function startSilentServer(): Promise<{
  port: number;
  connections: number;
  close(): Promise<void>;
}> {
  const sockets = new Set<import('node:net').Socket>();
  const state = { connections: 0 };
  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const port = await listen(server);
  return {
    port,
    get connections() {
      return state.connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await closeServer(server);
    },
  };
}

/** Awaits a promise expected to reject and checks the user-facing class and code. */
export async function expectDeviceError<T extends DeviceError>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => T,
  code: string,
): Promise<T> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${errorClass.name}, but the call succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(errorClass);
  expect((error as T).code).toBe(code);
  return error as T;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `condition` holds, polling; fails after `budgetMs` (generous: the machine may be
 * busy). For effects that happen "soon" on another socket, where a fixed sleep would race.
 */
export async function waitFor(condition: () => boolean, budgetMs = 5000): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (!condition() && Date.now() < deadline) await sleep(5);
  expect(condition()).toBe(true);
}
