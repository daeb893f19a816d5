/** Starts simulated devices in a separate process, so the benchmark measures only our side. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SimProcess {
  urls: string[];
  child: ChildProcess;
  stop(): Promise<void>;
}

const BIN = fileURLToPath(new URL('../bin/hikbridge.js', import.meta.url));

export function startSimProcess(
  args: string[],
  expectedDevices: number,
  timeoutMs = 20_000,
): Promise<SimProcess> {
  const child = spawn(process.execPath, [BIN, 'sim', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const urls: string[] = [];
    let buffer = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => reject(new Error(`simulator exited early with code ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (const match of buffer.matchAll(/(https?:\/\/\S+)/g)) {
        if (!urls.includes(match[1]!)) urls.push(match[1]!);
      }
      if (urls.length >= expectedDevices) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        resolve({ urls, child, stop: () => stopChild(child) });
      }
    });
  });
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
  });
}
