/** Child processes of the simulator (MediaMTX, ffmpeg): stopped politely, then for sure. */
import type { ChildProcess } from 'node:child_process';

/** SIGTERM, then SIGKILL after 2 s; resolves when the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}
