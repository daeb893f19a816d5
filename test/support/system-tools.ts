/**
 * System tools some tests need (ffmpeg, sipp, chromium). A missing tool is installed from
 * Debian when we run as root; otherwise the test fails naming what to install. Never a skip.
 */
import { execFileSync } from 'node:child_process';

const installed = new Set<string>();

function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Ensures `command` exists, installing Debian `debianPackage` as root if needed. Returns the command. */
export function requireTool(command: string, debianPackage: string): string {
  if (installed.has(command) || onPath(command)) {
    installed.add(command);
    return command;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${command} is missing: install the Debian package "${debianPackage}" (apt-get install ${debianPackage})`,
    );
  }
  try {
    execFileSync(
      'sh',
      // Test files run in parallel: wait for another file's install rather than fail on dpkg's lock.
      [
        '-c',
        'apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive ' +
          `apt-get -o DPkg::Lock::Timeout=600 install -y -qq ${debianPackage}`,
      ],
      {
        stdio: 'ignore',
        timeout: 10 * 60_000,
      },
    );
  } catch (error) {
    throw new Error(
      `${command} is missing and "apt-get install ${debianPackage}" failed: ${(error as Error).message}`,
    );
  }
  if (!onPath(command)) throw new Error(`${command} is still missing after installing ${debianPackage}`);
  installed.add(command);
  return command;
}
