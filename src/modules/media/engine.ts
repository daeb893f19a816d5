/**
 * Runs MediaMTX as a child process that dies with the gateway (parent-death.ts): tags its log
 * lines into ours, restarts it with back-off when it dies, and says when its control API is
 * answering (the caller then re-applies the paths; API-made paths live only in MediaMTX's memory).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { redactSecretsInText } from '../../core/logger/redact.ts';
import type { Logger } from '../../core/logger.ts';
import type { MediamtxApi } from '../../protocols/mediamtx/api.ts';
import { launchCommand } from './parent-death.ts';

export type EngineState = 'stopped' | 'starting' | 'running' | 'restarting';

export interface EngineOptions {
  binary: string;
  configFile: string;
  api: MediamtxApi;
  logger: Logger;
  /** Longest wait between restarts. */
  maxBackoffMs: number;
  /** How long a fresh process gets to open its API before it counts as failed. */
  readyTimeoutMs?: number;
  /** Called every time a (re)started MediaMTX answers on its API. */
  onReady: () => void;
}

const MIN_BACKOFF_MS = 1000;
/** A process that ran this long was healthy: the next crash starts back-off from the minimum. */
const HEALTHY_UPTIME_MS = 60_000;
const STOP_GRACE_MS = 3000;

export class MediamtxEngine {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private backoffMs = MIN_BACKOFF_MS;
  private startedAt = 0;
  private currentState: EngineState = 'stopped';
  private restarts = 0;
  private lastError: string | undefined;
  private orphanWarned = false;

  constructor(private readonly options: EngineOptions) {}

  get state(): EngineState {
    return this.currentState;
  }

  status(): { state: EngineState; pid: number | null; restarts: number; lastError: string | null } {
    return {
      state: this.currentState,
      pid: this.child?.pid ?? null,
      restarts: this.restarts,
      lastError: this.lastError ?? null,
    };
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  /** The child's pid while it runs (tests kill it to prove recovery). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    this.currentState = 'stopped';
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    rmSync(pidFileOf(this.options.configFile), { force: true });
  }

  private launch(): void {
    const { binary, configFile, logger } = this.options;
    this.currentState = 'starting';
    this.startedAt = Date.now();
    stopLeftover(configFile, logger);
    const launch = launchCommand(binary, [configFile]);
    if (!launch.diesWithGateway && !this.orphanWarned) {
      this.orphanWarned = true;
      logger.warn(
        'setpriv (util-linux) not found: if hikbridge is killed, its MediaMTX runs on until the next start',
      );
    }
    let child: ChildProcess;
    try {
      child = spawn(launch.command, launch.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.onExit(`could not start ${binary}: ${(error as Error).message}`);
      return;
    }
    this.child = child;
    if (child.pid) writeFileSync(pidFileOf(configFile), String(child.pid));
    const tail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 5) tail.shift();
        logLine(logger, line);
      });
    }
    child.once('error', (error) => logger.error({ err: error }, 'MediaMTX process error'));
    child.once('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      // Its last complaint explains an exit of its own (a taken port, a bad config); a kill it cannot.
      const last = signal ? undefined : tail.filter((line) => / ERR /.test(line)).pop();
      this.onExit(`MediaMTX ${how}${last ? `: ${stripPrefix(last).text}` : ''}`);
    });
    logger.info({ pid: child.pid, binary, diesWithGateway: launch.diesWithGateway }, 'MediaMTX started');
    void this.waitReady(child);
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 15_000);
    while (this.child === child && !this.stopping) {
      try {
        await this.options.api.info();
        this.currentState = 'running';
        this.options.onReady();
        return;
      } catch {
        if (Date.now() > deadline) {
          this.options.logger.error('MediaMTX did not open its control API in time; restarting it');
          child.kill('SIGKILL');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private onExit(reason: string): void {
    if (this.stopping) return;
    this.lastError = reason;
    if (Date.now() - this.startedAt > HEALTHY_UPTIME_MS) this.backoffMs = MIN_BACKOFF_MS;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
    this.currentState = 'restarting';
    this.restarts += 1;
    this.options.logger.error({ restartInMs: wait }, `${reason}; restarting it`);
    this.restartTimer = setTimeout(() => this.launch(), wait);
  }
}

const LEVELS: Record<string, 'debug' | 'info' | 'warn' | 'error'> = {
  DEB: 'debug',
  INF: 'info',
  WAR: 'warn',
  ERR: 'error',
};

/** `2026/01/01 10:00:00 INF [RTSP] listener opened` -> level and text. */
function stripPrefix(line: string): { level: 'debug' | 'info' | 'warn' | 'error'; text: string } {
  const match = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d (DEB|INF|WAR|ERR) (.*)$/.exec(line);
  if (!match) return { level: 'info', text: line };
  return { level: LEVELS[match[1]!] ?? 'info', text: match[2]! };
}

function logLine(logger: Logger, line: string): void {
  if (!line.trim()) return;
  const { level, text } = stripPrefix(line);
  // MediaMTX may echo a source URL; camera credentials must not reach our log.
  logger[level]({ source: 'mediamtx' }, redactSecretsInText(text));
}

function pidFileOf(configFile: string): string {
  return `${configFile}.pid`;
}

/**
 * The second line of defence (the first: parent-death.ts). A MediaMTX that could not be tied to
 * the gateway's life (no setpriv) outlives a gateway killed outright, holding the ports the new
 * one needs. The pid file names it; it is stopped only if that process is still a MediaMTX
 * started with this config file (pids are reused).
 */
function stopLeftover(configFile: string, logger: Logger): void {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFileOf(configFile), 'utf8').trim());
  } catch {
    return;
  }
  rmSync(pidFileOf(configFile), { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!commandLine.includes(configFile)) return;
    process.kill(pid, 'SIGKILL');
    logger.warn({ pid }, 'stopped a MediaMTX left running by an earlier hikbridge');
    // Its ports are free once it is gone; wait for that (briefly) before starting the new one.
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; waited < 2000 && existsSync(`/proc/${pid}/cmdline`); waited += 20) {
      Atomics.wait(pause, 0, 0, 20);
    }
  } catch {
    // Gone already, or not ours to stop (or no /proc): nothing to do.
  }
}
