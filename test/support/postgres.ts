/**
 * A throwaway PostgreSQL database per caller. Uses the server that normally runs on this
 * machine (127.0.0.1:5432, trust auth, user `postgres`); when none answers there, starts a
 * private one from the Debian packages' binaries in a temp dir. Missing binaries fail the test
 * with what to install: the PostgreSQL suite is never skipped.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_PORT = 5432;
const BIN_ROOT = '/usr/lib/postgresql';

export interface PostgresServer {
  host: string;
  port: number;
  /** Set when we started the server ourselves. */
  stop?: () => void;
}

export interface PostgresDatabase {
  /** `postgres://postgres@host:port/hikbridge_test_<random>` */
  url: string;
  name: string;
  /** Drops the database, disconnecting whoever is still on it. */
  drop(): Promise<void>;
}

let server: Promise<PostgresServer> | undefined;

export async function withPostgresDatabase(): Promise<PostgresDatabase> {
  const { host, port } = await postgresServer();
  const name = `hikbridge_test_${randomBytes(6).toString('hex')}`;
  // template0: template1 may be in use by someone, which makes CREATE DATABASE fail.
  await admin(host, port, `create database "${name}" template template0`);
  return {
    url: `postgres://postgres@${host}:${port}/${name}`,
    name,
    drop: () => admin(host, port, `drop database if exists "${name}" with (force)`),
  };
}

/** The shared server on 127.0.0.1:5432 if it answers, else a private one (started once per worker). */
export function postgresServer(): Promise<PostgresServer> {
  server ??= findOrStartServer().catch((error) => {
    server = undefined;
    throw error;
  });
  return server;
}

/** Stops the private server, if we started one. */
export async function stopPostgresServer(): Promise<void> {
  const current = await server?.catch(() => undefined);
  server = undefined;
  current?.stop?.();
}

async function findOrStartServer(): Promise<PostgresServer> {
  if (await answers(DEFAULT_HOST, DEFAULT_PORT)) return { host: DEFAULT_HOST, port: DEFAULT_PORT };
  return startPrivatePostgres();
}

async function answers(host: string, port: number): Promise<boolean> {
  const client = new pg.Client({
    host,
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 2_000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function admin(host: string, port: number, statement: string): Promise<void> {
  const client = new pg.Client({
    host,
    port,
    user: 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** initdb into a temp dir and start on a free port, sockets in that dir; as `postgres` when we are root. */
export async function startPrivatePostgres(): Promise<PostgresServer> {
  const bin = findServerBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  // PostgreSQL refuses to run as root.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownForPostgres(dir);
  const exec = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  let port = 0;
  const pgCtl = join(bin, 'pg_ctl');
  try {
    await exec(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    // A port found free may be taken by another process before the server binds it: try another.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const options = `-p ${port} -k ${dir} -c listen_addresses=${DEFAULT_HOST} -c fsync=off -c full_page_writes=off`;
      try {
        await exec(pgCtl, ['-D', data, '-l', log, '-w', '-t', '30', '-o', options, 'start']);
        break;
      } catch (error) {
        const portTaken =
          existsSync(log) && /could not bind|Address already in use/.test(readFileSync(log, 'utf8'));
        if (!portTaken || attempt === 5) throw error;
        rmSync(log, { force: true });
      }
    }
  } catch (error) {
    const serverLog = existsSync(log) ? readFileSync(log, 'utf8').slice(-2_000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start a private PostgreSQL: ${(error as Error).message}\n${serverLog}`);
  }
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
    try {
      execFileSync(asRoot ? 'runuser' : pgCtl, asRoot ? ['-u', 'postgres', '--', pgCtl, ...args] : args, {
        stdio: 'ignore',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A worker that ends without afterAll (crash, timeout) must not leave a server behind.
  process.once('exit', stop);
  return { host: DEFAULT_HOST, port, stop };
}

/** The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl. */
function findServerBinaries(): string {
  const versions = existsSync(BIN_ROOT) ? readdirSync(BIN_ROOT) : [];
  const candidates = versions
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    .map((version) => join(BIN_ROOT, version, 'bin'))
    .filter((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')));
  if (!candidates[0]) {
    throw new Error(
      `no PostgreSQL answers at ${DEFAULT_HOST}:${DEFAULT_PORT} and no server binaries were found under ` +
        `${BIN_ROOT}/*/bin: install the Debian package "postgresql" (apt-get install postgresql)`,
    );
  }
  return candidates[0];
}

function chownForPostgres(dir: string): void {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    chownSync(dir, id('-u'), id('-g'));
  } catch (error) {
    throw new Error(
      `running as root, a private PostgreSQL needs the "postgres" OS user (from the Debian package "postgresql"): ${(error as Error).message}`,
    );
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, DEFAULT_HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
