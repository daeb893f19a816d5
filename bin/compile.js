/**
 * Turns the TypeScript sources into plain JavaScript before the command runs.
 *
 * Why: running the sources through tsx keeps a TypeScript loader in the gateway's process for
 * its whole life (about 40 MB more RSS and a slower start). Instead, src/ and sim/ are bundled
 * with esbuild (about 0.2 s) into dist/<fingerprint of the sources>/ and that is what runs.
 * The fingerprint covers every source file, so an edited source is always what runs next, with
 * no build step to remember. Parallel starts are safe: each builds into a directory of its own
 * and the first rename into place wins.
 *
 * Each file keeps its own `import.meta.url` (the original source file's URL), so paths the code
 * resolves relative to itself (package.json, sim assets, fixtures) mean the same bundled or not.
 * npm packages are not bundled; they are loaded from node_modules as usual.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE_DIRS = ['src', 'sim'];
const ENTRY = join(ROOT, 'src', 'cli', 'main.ts');
const DIST = join(ROOT, 'dist');
/** Builds of older sources are removed once they are this old (a running process may still load their chunks). */
const STALE_BUILD_MS = 60 * 60 * 1000;

/** File URL of the compiled entry point, building it first when the sources changed. */
export async function compiledEntry() {
  const esbuild = await import('esbuild');
  const outDir = join(DIST, fingerprint(esbuild.version));
  const entry = join(outDir, 'main.js');
  if (!isFile(entry)) {
    await build(esbuild, outDir);
    removeStaleBuilds(outDir);
  }
  return pathToFileURL(entry).href;
}

/** The source file the compiled code of `entry` came from: for running without a build. */
export const SOURCE_ENTRY = pathToFileURL(ENTRY).href;

function fingerprint(esbuildVersion) {
  const hash = createHash('sha256');
  // The bundle embeds absolute source URLs, so a moved checkout needs its own build.
  hash.update(`${ROOT}\0${esbuildVersion}\0${readFileSync(fileURLToPath(import.meta.url))}`);
  for (const file of SOURCE_DIRS.flatMap((dir) => listSources(join(ROOT, dir))).sort()) {
    hash.update(`\0${file}\0`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function listSources(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listSources(path));
    else if (/\.[cm]?[jt]s$/.test(entry.name)) files.push(path);
  }
  return files;
}

async function build(esbuild, outDir) {
  const workDir = `${outDir}.${process.pid}.tmp`;
  rmSync(workDir, { recursive: true, force: true });
  try {
    await esbuild.build({
      entryPoints: { main: ENTRY },
      outdir: workDir,
      bundle: true,
      // Subcommands load their code on use (`hikbridge sim` does not load the gateway).
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'error',
      plugins: [keepSourceUrls],
    });
    renameSync(workDir, outDir);
  } catch (error) {
    rmSync(workDir, { recursive: true, force: true });
    // Another process finished the same build first: use that one.
    if (isFile(join(outDir, 'main.js'))) return;
    throw error;
  }
}

/** Replaces `import.meta.url` in every source file with that file's own URL. */
const keepSourceUrls = {
  name: 'keep-source-urls',
  setup(build) {
    build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

function removeStaleBuilds(current) {
  let entries;
  try {
    entries = readdirSync(DIST);
  } catch {
    return;
  }
  for (const name of entries) {
    const path = join(DIST, name);
    if (path === current) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_BUILD_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by a parallel start, or not ours to remove: harmless either way.
    }
  }
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
