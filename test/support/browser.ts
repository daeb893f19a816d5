/** Headless Chromium from Debian, driven by playwright-core (no bundled browser download). */
import { type Browser, chromium } from 'playwright-core';
import { requireTool } from './system-tools.ts';

export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const command = requireTool('chromium', 'chromium');
  const { execFileSync } = await import('node:child_process');
  const executablePath = execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      // Root in a container: Chromium's sandbox cannot start there.
      '--no-sandbox',
      '--disable-dev-shm-usage',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      ...extraArgs,
    ],
  });
}
