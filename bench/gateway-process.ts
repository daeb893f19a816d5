/**
 * Runs the gateway the way a user does (`hikbridge start --config FILE`) in a process of its
 * own, so its CPU and memory are measured alone, without the benchmark's own work in them.
 * The gateway may come from another checkout (`--gateway-dir`, e.g. a git worktree of an
 * older commit) for a before/after comparison with the same benchmark and simulator.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { stopChild } from './sim-process.ts';

/** This checkout: the gateway the benchmarks run unless told otherwise. */
export const THIS_CHECKOUT = fileURLToPath(new URL('..', import.meta.url));
/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
const TICKS_PER_SECOND = 100;

export interface GatewayProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

export interface GatewayProcessOptions {
  /** The checkout whose `bin/hikbridge.js` runs (default this one); it needs its own node_modules. */
  gatewayDir?: string;
  dataDir: string;
  config: Record<string, unknown>;
  /** Node.js options for the gateway process (V8 flags, --trace-gc...). */
  nodeArgs?: string[];
  onLogLine(line: string): void;
  timeoutMs?: number;
}

/**
 * Writes `config` to `<dataDir>/config.yml`, starts the gateway with it and resolves with its
 * URL once it listens. Every log line (JSON) goes to `onLogLine`, other output to stderr.
 */
export function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const { dataDir, config, nodeArgs = [], onLogLine, timeoutMs = 120_000 } = options;
  const gatewayDir = resolve(options.gatewayDir ?? THIS_CHECKOUT);
  const bin = gatewayBin(gatewayDir);
  // The launcher compiles edited sources on start; do that now, so the build's memory is not
  // counted in the measured process's peak.
  execFileSync(process.execPath, [bin, '--help'], { cwd: gatewayDir, stdio: 'ignore', timeout: 120_000 });
  const configFile = join(dataDir, 'config.yml');
  writeFileSync(configFile, stringify(config), { mode: 0o600 });
  // stdout is a pipe, so the gateway logs JSON lines (what onLogLine reads).
  const child = spawn(process.execPath, [...nodeArgs, bin, 'start', '--config', configFile], {
    cwd: gatewayDir,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HIKBRIDGE_CONFIG: '' },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the gateway did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with code ${code} before it was ready`));
    });
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const ready = /^hikbridge is running: (http:\/\/\S+)/.exec(line);
        if (ready) {
          clearTimeout(timer);
          // The gateway stops within its own 5 s deadline.
          resolve({ child, pid: child.pid!, url: ready[1]!, stop: () => stopChild(child, 8000) });
        } else if (line.startsWith('{')) onLogLine(line);
        else if (line.trim()) process.stderr.write(`gateway: ${line}\n`);
      }
    });
  });
}

/** `bin/hikbridge.js` of a checkout, or an error that says what is missing there. */
export function gatewayBin(gatewayDir: string): string {
  const bin = join(gatewayDir, 'bin', 'hikbridge.js');
  if (!existsSync(bin)) throw new Error(`--gateway-dir ${gatewayDir}: no bin/hikbridge.js there`);
  if (!existsSync(join(gatewayDir, 'node_modules')))
    throw new Error(`--gateway-dir ${gatewayDir}: no node_modules (run npm ci there first)`);
  return bin;
}

/** Which gateway ran: its directory and commit (`+changes` when its sources were edited). */
export function checkoutOf(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', timeout: 10_000 }).trim();
  try {
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'bin') !== '';
    return `${dir} ${git('rev-parse', '--short', 'HEAD')}${dirty ? '+changes' : ''}`;
  } catch {
    return dir;
  }
}

/** The pid of a process's child whose command line contains `name` (e.g. the gateway's MediaMTX). */
export function childPid(parentPid: number, name: string): number | undefined {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return ''; // gone meanwhile
    }
  };
  for (const task of readdirSync(`/proc/${parentPid}/task`)) {
    for (const pid of read(`/proc/${parentPid}/task/${task}/children`).split(' ').filter(Boolean)) {
      if (read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ').includes(name)) return Number(pid);
    }
  }
  return undefined;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Current and peak resident memory of a process in MB, from /proc/<pid>/status. */
export function residentMb(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/** Logs in to a benchmark gateway as its admin; returns the session token. */
export async function loginToGateway(gateway: GatewayProcess, password: string): Promise<string> {
  const response = await fetch(`${gateway.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`login failed: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}
