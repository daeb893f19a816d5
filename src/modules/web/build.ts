/**
 * The web UI's build: `web/` is compiled with Vite into `dist/web/<fingerprint of its sources>/`
 * the first time the gateway starts after a change, the way bin/compile.js builds the server.
 * So `npm start` serves an up-to-date UI with no build step to remember, an unchanged UI costs
 * one hash of ~50 small files, and parallel starts are safe: each builds in a directory of its
 * own and the first rename into place wins.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const WEB_DIR = join(ROOT, 'web');
const STALE_BUILD_MS = 60 * 60 * 1000;

export interface UiBuild {
  /** Directory holding index.html and assets/. */
  dir: string;
  /** Whether this call built it (false: a build of the same sources was there). */
  built: boolean;
}

/** The built UI for the current sources, building it when there is none. */
export async function ensureUiBuild(options: { outRoot?: string } = {}): Promise<UiBuild> {
  const outRoot = options.outRoot ?? writableOutRoot();
  const dir = join(outRoot, uiFingerprint());
  if (existsSync(join(dir, 'index.html'))) return { dir, built: false };
  await buildInto(dir);
  removeStaleBuilds(outRoot, dir);
  return { dir, built: true };
}

/** Fingerprint of everything the build reads: web/ sources, and Vite's and Preact's versions. */
export function uiFingerprint(): string {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  for (const name of ['vite', 'preact']) {
    hash.update(`${name}@${(require(`${name}/package.json`) as { version: string }).version}\0`);
  }
  for (const file of listFiles(WEB_DIR).sort()) {
    hash.update(`\0${file.slice(WEB_DIR.length)}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** dist/web in the checkout, or a temporary directory when the checkout is read-only. */
function writableOutRoot(): string {
  const inCheckout = join(ROOT, 'dist', 'web');
  try {
    mkdirSync(inCheckout, { recursive: true });
    return inCheckout;
  } catch {
    const fallback = join(tmpdir(), 'hikbridge-web');
    mkdirSync(fallback, { recursive: true });
    return fallback;
  }
}

async function buildInto(dir: string): Promise<void> {
  const workDir = `${dir}.${process.pid}.tmp`;
  rmSync(workDir, { recursive: true, force: true });
  try {
    const vite = await import('vite');
    await vite.build({
      configFile: join(WEB_DIR, 'vite.config.ts'),
      root: WEB_DIR,
      logLevel: 'error',
      build: { outDir: workDir, emptyOutDir: true },
    });
    renameSync(workDir, dir);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    // Another process finished the same build first: use that one.
    if (existsSync(join(dir, 'index.html'))) return;
    throw error;
  }
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else files.push(path);
  }
  return files;
}

function removeStaleBuilds(outRoot: string, current: string): void {
  for (const name of readdirSync(outRoot)) {
    const path = join(outRoot, name);
    if (path === current) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_BUILD_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by a parallel start: harmless.
    }
  }
}
