/**
 * Real processes for the CLI tests: start `hikbridge start` (or anything that ends in it) and
 * wait for it to listen, find processes by what their command line mentions (a run's temporary
 * data directory), and wait until they are gone. Linux /proc only, like the gateway itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface StartedCommand {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output: () => string;
  /** The API's address from the "hikbridge is running" line. */
  url: string;
  exited: Promise<number | null>;
}

/** Spawns `command args`, resolving once the gateway says it is running (or failing with its output). */
export function startCommand(
  command: string,
  args: string[],
  /** `env` adds to this process's environment; a variable set to undefined is left out. */
  options: { env: Record<string, string | undefined>; cwd?: string; timeoutMs?: number },
): Promise<StartedCommand> {
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not running within ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // The line may arrive through a terminal with colours and carriage returns around it.
      const match = /hikbridge is running: (http:\/\/[^\s\u001b]+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({ child, output: () => output, url: match[1]!.replace('localhost', '127.0.0.1'), exited });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before running:\n${output}`));
    });
  });
}

/** Pids of the processes whose command line contains `text`, this test process excluded. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) pids.push(pid);
    } catch {
      // The process ended while the list was read.
    }
  }
  return pids;
}

export function isAlive(pid: number): boolean {
  try {
    // A zombie still answers signal 0; it has stopped all the same.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Resolves once none of `pids` runs any more; rejects after `timeoutMs` naming the ones left. */
export async function waitUntilGone(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(isAlive);
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      const described = left.map((pid) => `${pid}: ${commandLineOf(pid)}`).join('\n');
      throw new Error(`still running after ${timeoutMs} ms:\n${described}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '(gone)';
  }
}

/** Last resort for a test that failed half-way: nothing of its run may outlive it. */
export function killAllMentioning(text: string): void {
  for (const pid of processesMentioning(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Environment for a gateway whose MediaMTX listens on the given free ports (not 8554/8889/...). */
export function mediaPortsEnv(ports: {
  apiPort: number;
  rtspPort: number;
  webrtcPort: number;
  webrtcUdpPort: number;
  hlsPort: number;
}): Record<string, string> {
  return {
    HIKBRIDGE_MEDIA_API_PORT: String(ports.apiPort),
    HIKBRIDGE_MEDIA_RTSP_PORT: String(ports.rtspPort),
    HIKBRIDGE_MEDIA_WEBRTC_PORT: String(ports.webrtcPort),
    HIKBRIDGE_MEDIA_WEBRTC_UDP_PORT: String(ports.webrtcUdpPort),
    HIKBRIDGE_MEDIA_HLS_PORT: String(ports.hlsPort),
  };
}
