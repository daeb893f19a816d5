/**
 * `hikbridge start` log lines as people and programs get them: JSON through a pipe, pretty and
 * coloured on a real terminal (a pty from util-linux `script`), and `--log-format` overriding both.
 * MediaMTX is off: these tests are about the log lines, not live video.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../support/system-tools.ts';
import {
  commandLineOf,
  killAllMentioning,
  processesMentioning,
  type StartedCommand,
  startCommand,
} from './processes.ts';

const BIN = fileURLToPath(new URL('../../bin/hikbridge.js', import.meta.url));
const ENV = {
  HIKBRIDGE_MEDIA_ENABLED: 'false',
  HIKBRIDGE_SERVER_HOST: '127.0.0.1',
  HIKBRIDGE_AUTH_ADMIN_PASSWORD: 'Log-Format-Pass-1',
};
const ANSI_ESCAPE = /\u001b\[[0-9;]*m/;
const dataDirs: string[] = [];

afterEach(() => {
  for (const dir of dataDirs.splice(0)) {
    killAllMentioning(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-logs-'));
  dataDirs.push(dir);
  return dir;
}

/** The log lines: everything but the console messages the start command prints for people. */
function logLines(output: string): string[] {
  return output
    .replace(/\r/g, '')
    .split('\n')
    .filter((line) => /(INFO|WARN|"level")/.test(line));
}

/** Stops the gateway of `dir` with SIGTERM: the node process, which may sit below a shell and a pty. */
async function stop(started: StartedCommand, dir: string): Promise<void> {
  const gateway = processesMentioning(dir).filter((pid) =>
    commandLineOf(pid).startsWith(`${process.execPath} ${BIN}`),
  );
  expect(gateway).toHaveLength(1);
  process.kill(gateway[0]!, 'SIGTERM');
  expect(await started.exited, started.output()).toBe(0);
}

/** `hikbridge start` inside a pseudo-terminal, so stdout.isTTY is true as in a person's shell. */
function startOnTerminal(args: string[], dir: string): Promise<StartedCommand> {
  requireTool('script', 'bsdutils');
  const command = [process.execPath, BIN, 'start', '--data', dir, '--port', '0', ...args].join(' ');
  return startCommand('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    env: { ...ENV, TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined },
  });
}

describe('hikbridge start log format', () => {
  it('writes JSON lines when piped, pretty lines with --log-format pretty', async () => {
    const piped = dataDir();
    const json = await startCommand(process.execPath, [BIN, 'start', '--data', piped, '--port', '0'], {
      env: ENV,
    });
    await stop(json, piped);
    const jsonLines = logLines(json.output());
    expect(jsonLines.length).toBeGreaterThan(2);
    for (const line of jsonLines) expect(JSON.parse(line)).toHaveProperty('msg');

    const asked = dataDir();
    const pretty = await startCommand(
      process.execPath,
      [BIN, 'start', '--data', asked, '--port', '0', '--log-format', 'pretty'],
      { env: { ...ENV, NO_COLOR: '1' } },
    );
    await stop(pretty, asked);
    const prettyLines = logLines(pretty.output());
    expect(prettyLines).toContainEqual(
      expect.stringMatching(
        /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}\[api\] HTTP API listening host=127\.0\.0\.1 port=\d+$/,
      ),
    );
    expect(pretty.output()).not.toMatch(ANSI_ESCAPE);
    expect(pretty.output()).not.toContain('"level"');
  }, 60_000);

  it('writes coloured one-line records on a terminal, JSON there with --log-format json', async () => {
    const auto = dataDir();
    const onTerminal = await startOnTerminal([], auto);
    await stop(onTerminal, auto);
    const lines = logLines(onTerminal.output());
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line).toMatch(ANSI_ESCAPE);
    expect(lines.map((line) => line.replace(/\u001b\[[0-9;]*m/g, ''))).toContainEqual(
      expect.stringMatching(
        /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}\[gateway\] hikbridge started host=127\.0\.0\.1 port=\d+$/,
      ),
    );

    const asked = dataDir();
    const json = await startOnTerminal(['--log-format', 'json'], asked);
    await stop(json, asked);
    const jsonLines = logLines(json.output());
    expect(jsonLines.length).toBeGreaterThan(2);
    for (const line of jsonLines) expect(JSON.parse(line)).toHaveProperty('msg');
  }, 60_000);

  it('refuses an unknown format as a usage error', async () => {
    const dir = dataDir();
    const refused = startCommand(process.execPath, [BIN, 'start', '--data', dir, '--log-format', 'xml'], {
      env: ENV,
    });
    await expect(refused).rejects.toThrow(/exited with 2 before running:[\s\S]*argument 'xml' is invalid/);
  });
});
