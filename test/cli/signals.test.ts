/**
 * stopOnSignal in a real process: clean stop on SIGTERM/SIGINT, a failed stop, a second signal,
 * a signal delivered twice, and the parent (npm's shell) going away.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startedByPackageManager } from '../../src/cli/signals.ts';
import { until } from '../support/mediamtx.ts';
import { isAlive } from './processes.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/stop-on-signal.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Running {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  waitFor: (text: string) => Promise<void>;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!stdout.includes(text)) return;
        child.stdout!.off('data', check);
        resolve();
      };
      child.stdout!.on('data', check);
      exited.then(() => reject(new Error(`exited before printing "${text}": ${stdout}${stderr}`)));
      check();
    });
  return { child, output: () => stdout, errors: () => stderr, waitFor, exited };
}

describe('stopOnSignal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} runs the stop and exits 0`, async () => {
      const command = run({ STOP: 'ok' });
      await command.waitFor('ready');
      command.child.kill(signal);
      expect(await command.exited).toBe(0);
      expect(command.output()).toContain('stopping\nstopped\n');
    });
  }

  it('a stop that fails exits 1 and says why', async () => {
    const command = run({ STOP: 'fail' });
    await command.waitFor('ready');
    command.child.kill('SIGTERM');
    expect(await command.exited).toBe(1);
    expect(command.errors()).toContain('stopping failed: the store would not close');
  });

  it('a second signal while stopping exits at once', async () => {
    const command = run({ STOP: 'wait', REPEAT_GRACE_MS: '0' });
    await command.waitFor('ready');
    command.child.kill('SIGTERM');
    await command.waitFor('stopping');
    command.child.kill('SIGINT');
    expect(await command.exited).toBe(1);
    expect(command.errors()).toContain('SIGINT again: exiting now');
    expect(command.output()).not.toContain('stopped');
  });

  it('the same request arriving twice (a terminal and npm both send Ctrl+C) is one clean stop', async () => {
    const command = run({ STOP: 'wait', REPEAT_GRACE_MS: '60000' });
    await command.waitFor('ready');
    command.child.kill('SIGINT');
    await command.waitFor('stopping');
    command.child.kill('SIGINT');
    command.child.stdin!.write('finish\n');
    expect(await command.exited).toBe(0);
    expect(command.output().match(/stopping/g)).toHaveLength(1);
    expect(command.output()).toContain('stopped');
    expect(command.errors()).not.toContain('again');
  });

  it('run by a package manager, it stops when the shell between them dies', async () => {
    // npm runs `sh -c "hikbridge start"`; on SIGTERM the shell dies and does not pass it on.
    const shell = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${FIXTURE}"; echo shell-done`], {
      env: { ...process.env, STOP: 'ok', npm_lifecycle_event: 'start' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(shell);
    let output = '';
    shell.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const closed = new Promise((resolve) => shell.stdout!.once('close', resolve));
    await until(
      () => /ready (\d+)/.test(output),
      20_000,
      () => `not ready: ${output}`,
    );
    const pid = Number(/ready (\d+)/.exec(output)![1]);
    shell.kill('SIGKILL');
    // The command's own stdout closes when it exits: that is the end of the orphan.
    await closed;
    expect(output).toContain('stopping\nstopped\n');
    expect(isAlive(pid)).toBe(false);
  });

  it('knows a package manager started it by npm_lifecycle_event', () => {
    expect(startedByPackageManager({ npm_lifecycle_event: 'start' })).toBe(true);
    expect(startedByPackageManager({ npm_lifecycle_event: 'npx' })).toBe(true);
    expect(startedByPackageManager({ PATH: '/usr/bin' })).toBe(false);
  });
});
