/**
 * Runs once before the suites: makes sure MediaMTX exists (built from the Go module proxy on a
 * fresh machine, which takes minutes; later runs reuse the cached build), so no single test
 * pays for it inside its timeout.
 */
import { provisionMediamtx } from '../src/modules/media/provision.ts';
import { ensureUiBuild } from '../src/modules/web/build.ts';

export default async function setup(): Promise<void> {
  const found = await provisionMediamtx({
    onProgress: (message) => process.stdout.write(`[global setup] ${message}\n`),
  });
  if (found.source === 'built') process.stdout.write(`[global setup] MediaMTX ready at ${found.path}\n`);
  // The web UI too, once: gateways the tests start then find it built.
  const ui = await ensureUiBuild();
  if (ui.built) process.stdout.write(`[global setup] web UI built into ${ui.dir}\n`);
}
