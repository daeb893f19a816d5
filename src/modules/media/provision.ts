/**
 * Finding a MediaMTX binary: the configured one, one on PATH, our cached build, or a fresh
 * build from the Go module proxy. MediaMTX is not in Debian or npm, and `go install` of its
 * module fails because two embedded files (VERSION, hls.min.js) come from `go generate`; the
 * build below supplies them (hls.min.js from the npm `hls.js` package we depend on).
 */
import { execFile } from 'node:child_process';
import {
  accessSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The MediaMTX release hikbridge is built and tested against. */
export const MEDIAMTX_VERSION = 'v1.20.1';
export const MEDIAMTX_MODULE = 'github.com/bluenviron/mediamtx';

export interface ProvisionOptions {
  /** `media.binary` from the config: used as is, never built. */
  binary?: string | undefined;
  /** Where builds are cached; default `~/.cache/hikbridge`. */
  cacheDir?: string | undefined;
  /** Progress lines for the user (a build takes minutes). */
  onProgress?: (message: string) => void;
  /** Look for `mediamtx` on PATH (default true). */
  searchPath?: boolean;
  /** Environment for PATH and Go; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The Go command; default: `go` on PATH or a standard install place. `null`: none. */
  go?: string | null;
}

export interface ProvisionedBinary {
  path: string;
  source: 'config' | 'path' | 'cache' | 'built';
}

/** A problem the user must fix, said in their words. */
export class MediamtxUnavailableError extends Error {
  override name = 'MediamtxUnavailableError';
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'hikbridge');
}

export function cachedBinaryPath(cacheDir: string): string {
  return join(cacheDir, `mediamtx-${MEDIAMTX_VERSION}`, 'mediamtx');
}

export async function provisionMediamtx(options: ProvisionOptions = {}): Promise<ProvisionedBinary> {
  const env = options.env ?? process.env;
  if (options.binary) {
    if (!isExecutable(options.binary)) {
      throw new MediamtxUnavailableError(
        `media.binary is set to "${options.binary}", but no executable file is there`,
      );
    }
    return { path: options.binary, source: 'config' };
  }
  if (options.searchPath !== false) {
    const onPath = findOnPath('mediamtx', env);
    if (onPath) return { path: onPath, source: 'path' };
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir(env);
  const cached = cachedBinaryPath(cacheDir);
  if (isExecutable(cached)) return { path: cached, source: 'cache' };
  const go = options.go === undefined ? findGo(env) : options.go;
  if (!go) throw goMissing();
  await buildMediamtx(cached, go, env, options.onProgress ?? (() => {}));
  return { path: cached, source: 'built' };
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `command` in the PATH of `env`. */
export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

function findGo(env: NodeJS.ProcessEnv): string | undefined {
  return findOnPath('go', env) ?? ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(isExecutable);
}

function goMissing(): MediamtxUnavailableError {
  return new MediamtxUnavailableError(
    'MediaMTX is not installed and cannot be built because Go is missing. Either install MediaMTX ' +
      `${MEDIAMTX_VERSION} from https://github.com/bluenviron/mediamtx/releases and set media.binary ` +
      '(or put it on PATH), or install Go 1.26 or newer from https://go.dev/dl/ and start again.',
  );
}

/** Runs a command with a deadline; rejects with its stderr tail so a failed build says why. */
function run(
  file: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const tail = stderr.trim().split('\n').slice(-8).join('\n');
        reject(
          new MediamtxUnavailableError(`"${[file, ...args].join(' ')}" failed: ${tail || error.message}`),
        );
      },
    );
  });
}

function hlsScriptPath(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('hls.js/dist/hls.min.js');
  } catch {
    throw new MediamtxUnavailableError('the npm package hls.js is missing: run `npm install` first');
  }
}

async function buildMediamtx(
  target: string,
  go: string,
  env: NodeJS.ProcessEnv,
  progress: (m: string) => void,
): Promise<void> {
  // GOTOOLCHAIN=local: an old Go must say so, not try to download a toolchain we cannot reach.
  const goEnv = { ...env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  const workDir = `${target}.build-${process.pid}-${Date.now()}`;
  progress(
    `MediaMTX ${MEDIAMTX_VERSION} not found: building it from the Go module proxy (once, a few minutes)`,
  );
  try {
    progress(`downloading ${MEDIAMTX_MODULE}@${MEDIAMTX_VERSION}`);
    const download = await run(go, ['mod', 'download', '-json', `${MEDIAMTX_MODULE}@${MEDIAMTX_VERSION}`], {
      env: goEnv,
      timeoutMs: 10 * 60_000,
    });
    const moduleDir = (JSON.parse(download) as { Dir?: string; Error?: string }).Dir;
    if (!moduleDir || !existsSync(moduleDir)) {
      throw new MediamtxUnavailableError(`go mod download gave no module directory: ${download.trim()}`);
    }
    const source = join(workDir, 'src');
    mkdirSync(workDir, { recursive: true });
    // The module cache is read-only; the build needs to add two files.
    cpSync(moduleDir, source, { recursive: true, mode: constants.COPYFILE_FICLONE });
    await run('chmod', ['-R', 'u+w', source], { env, timeoutMs: 60_000 });
    writeFileSync(join(source, 'internal/core/VERSION'), MEDIAMTX_VERSION);
    cpSync(hlsScriptPath(), join(source, 'internal/servers/hls/hls.min.js'));
    progress('compiling MediaMTX (dependencies come from the Go module proxy)');
    const built = join(workDir, 'mediamtx');
    await run(go, ['build', '-o', built, '.'], { cwd: source, env: goEnv, timeoutMs: 20 * 60_000 });
    mkdirSync(join(target, '..'), { recursive: true });
    // Rename is atomic: a concurrent build or a crash never leaves a half-written binary.
    renameSync(built, target);
    progress(`MediaMTX ${MEDIAMTX_VERSION} built: ${target}`);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
