/**
 * `hikbridge cloud add|list|sync` as a user runs it: real CLI processes against a real gateway
 * that imports from the simulated HikCentral Connect cloud (2 devices, 6 cameras). Plus the
 * pure pieces: the progress line at every width, the display on a terminal and off it, the
 * summary, relative times, the hidden prompt's keys and the gateway address.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimCloud, type SimCloudDevice, startSimCloud } from '../../sim/index.ts';
import { type CloudAccount, parseGatewayUrl, Secrets, type SyncProgress } from '../../src/cli/cloud-api.ts';
import { pickAccounts } from '../../src/cli/cloud-commands.ts';
import { gatewayUrlFromConfig } from '../../src/cli/cloud-connect.ts';
import { formatOutcome, relativeTime, renderProgressLine } from '../../src/cli/cloud-format.ts';
import { applyKeys } from '../../src/cli/cloud-prompt.ts';
import { ProgressDisplay } from '../../src/cli/cloud-sync.ts';
import { ADMIN_PASSWORD, startTestGateway, type TestGateway } from '../gateway/harness.ts';
import { requireTool } from '../support/system-tools.ts';

const BIN = fileURLToPath(new URL('../../bin/hikbridge.js', import.meta.url));
const APP_KEY = 'CliTestAppKey-4f7e1b';
const SECRET = 'CliTestSecret-93c2d8a';
const WRONG_SECRET = 'CliWrongSecret-0a7b55';
/** Terminal control: carriage return, escape sequences (colours, clear line). */
const CONTROL = /[\r\u001b]/;

function devices(): SimCloudDevice[] {
  const cameras = (prefix: string) =>
    [1, 2, 3].map((channelNo) => ({ name: `${prefix} ${channelNo}`, channelNo }));
  return [
    { serialNumber: 'Q70000001', name: 'Yard NVR', category: 'NVR', cameras: cameras('Yard') },
    { serialNumber: 'Q70000002', name: 'Shop NVR', category: 'NVR', cameras: cameras('Shop') },
  ];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let sim: SimCloud;
let gw: TestGateway;
let apiToken: string;

/** `hikbridge cloud ...` in its own process, stdin not a terminal, no HIKBRIDGE_* but `env`. */
function runCloud(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('HIKBRIDGE_')),
  );
  const child = spawn(process.execPath, [BIN, 'cloud', ...args], {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `hikbridge cloud ${args.join(' ')} still running after ${timeoutMs} ms:\n${stdout}${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const run = { code, stdout, stderr };
      gw.scan.record(`hikbridge cloud ${args[0]}`, `${stdout}\n${stderr}`);
      resolve(run);
    });
  });
}

const withToken = () => ({ HIKBRIDGE_TOKEN: apiToken });

/** What every run must honour: nothing secret printed, no terminal control off a terminal. */
function expectCleanOutput(run: Run): void {
  const all = `${run.stdout}${run.stderr}`;
  for (const secret of [APP_KEY, SECRET, WRONG_SECRET, apiToken, ADMIN_PASSWORD]) {
    expect(all).not.toContain(secret);
  }
  expect(run.stderr).not.toMatch(CONTROL);
  expect(run.stdout).not.toMatch(CONTROL);
}

beforeAll(async () => {
  sim = await startSimCloud({ appKey: APP_KEY, secretKey: SECRET, devices: devices() });
  gw = await startTestGateway({ overrides: { cloud: { defaultBaseUrl: sim.url } } });
  gw.scan.addSecret(APP_KEY);
  gw.scan.addSecret(SECRET);
  gw.scan.addSecret(WRONG_SECRET);
  const created = await gw.api('POST', '/api/v1/tokens', { body: { name: 'cloud cli test' } });
  expect(created.status).toBe(201);
  apiToken = created.json.token;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await sim?.close();
}, 60_000);

describe('hikbridge cloud with a running gateway', () => {
  it('add: checks the key, imports 6 cameras with progress on stderr and a summary on stdout', async () => {
    const run = await runCloud(['add', '--name', 'Office', '--app-key', APP_KEY, '--url', gw.url], {
      ...withToken(),
      HIKBRIDGE_CLOUD_SECRET: SECRET,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Added the HikCentral Connect account "Office" \(id [^)]+\)/);
    expect(run.stdout).toMatch(
      /^Office: synced 6 cameras from 2 devices \(6 added, 0 updated, 0 removed, 0 failed\), \d+ calls, \d+\.\d s$/m,
    );
    // Plain lines off a terminal, the last one the finished sync with all 6 live URLs.
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^Office: done\s+\[#+\] 6\/6 cameras · \d+ calls$/);
    expect(lines.length).toBeLessThan(20);
    expectCleanOutput(run);
    const cameras = await gw.api('GET', '/api/v1/cloud/cameras');
    expect(cameras.json).toHaveLength(6);
  }, 60_000);

  it('list --json: the API answers, found through the configured port and a login, no key or secret', async () => {
    const port = new URL(gw.url).port;
    const run = await runCloud(['list', '--json', '--cameras'], {
      HIKBRIDGE_SERVER_PORT: port,
      HIKBRIDGE_PASSWORD: ADMIN_PASSWORD,
    });
    expect(run.code, run.stderr).toBe(0);
    expectCleanOutput(run);
    const answer = JSON.parse(run.stdout) as { accounts: CloudAccount[]; cameras: unknown[] };
    expect(answer.accounts).toHaveLength(1);
    expect(answer.accounts[0]).toMatchObject({
      name: 'Office',
      appKeyHint: `…${APP_KEY.slice(-4)}`,
      enabled: true,
      cameras: { total: 6, ok: 6 },
      lastSync: { ok: true, cameras: 6 },
    });
    expect(answer.cameras).toHaveLength(6);
    expect(run.stdout).not.toMatch(/secret/i);
  }, 60_000);

  it('list --cameras: a table of the account and each camera with its URL expiry', async () => {
    const run = await runCloud(['list', '--cameras', '--url', gw.url], withToken());
    expect(run.code, run.stderr).toBe(0);
    expectCleanOutput(run);
    const account = (await gw.api('GET', '/api/v1/cloud/accounts')).json[0] as CloudAccount;
    expect(run.stdout).toMatch(
      new RegExp(
        `^Office\\s+${account.id}\\s+${new URL(sim.url).host}\\s+6/6\\s+(now|\\d+ s ago), ok\\s+-$`,
        'm',
      ),
    );
    for (const serial of ['Q70000001', 'Q70000002']) {
      for (const channelNo of [1, 2, 3]) {
        // The sim grants the 7 days the gateway asks for.
        expect(run.stdout).toMatch(
          new RegExp(`^  \\w+ ${channelNo}\\s+${serial}/${channelNo}\\s+ok\\s+in 7 d\\s+-$`, 'm'),
        );
      }
    }
  }, 60_000);

  it('sync (every enabled account): the summary line, exit 0', async () => {
    const run = await runCloud(['sync', '--url', gw.url], withToken());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^Office: synced 6 cameras from 2 devices \(0 added, 0 updated, 0 removed, 0 failed\), \d+ calls, \d+\.\d s$/m,
    );
    expect(run.stderr).toMatch(/^Office: done\s/m);
    expectCleanOutput(run);
  }, 60_000);

  it('on a terminal: asks the password with echo off and redraws the progress line in place', async () => {
    requireTool('script', 'bsdutils');
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('HIKBRIDGE_')),
    );
    const command = [process.execPath, BIN, 'cloud', 'sync', 'Office', '--url', gw.url].join(' ');
    const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
      env: { ...inherited, TERM: 'xterm-256color' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let typed = false;
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // Typed only once the prompt is there: before it, the terminal would still echo.
      if (!typed && output.includes('Password of the hikbridge user "admin": ')) {
        typed = true;
        child.stdin!.write(`${ADMIN_PASSWORD}\r`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const code = await exited;
    clearTimeout(timer);
    gw.scan.record('hikbridge cloud sync on a terminal', output);
    expect(code, output).toBe(0);
    expect(typed).toBe(true);
    expect(output).not.toContain(ADMIN_PASSWORD);
    expect(output).not.toContain(apiToken);
    // Redrawn: carriage return, the line, clear to the end of the line.
    expect(output).toMatch(/\rOffice: done\s+\[#+\] 0\/0 cameras · \d+ calls\u001b\[K/);
    expect(output).toMatch(/Office: synced 6 cameras from 2 devices \(0 added/);
  }, 60_000);

  it('add with a wrong secret: the cloud refusal in its own words, exit 1, nothing saved', async () => {
    const direct = await gw.api('POST', '/api/v1/cloud/accounts', {
      body: { name: 'Wrong', appKey: APP_KEY, secretKey: WRONG_SECRET, sync: false },
    });
    expect(direct.status).toBe(400);
    const words = direct.json.error.message as string;
    expect(words).toMatch(/SecretKey/);

    // From a file this time, ending with a newline as editors leave it.
    const secretFile = join(mkdtempSync(join(tmpdir(), 'hikbridge-cloud-cli-')), 'secret');
    writeFileSync(secretFile, `${WRONG_SECRET}\n`, { mode: 0o600 });
    const run = await runCloud(
      ['add', '--name', 'Wrong', '--app-key', APP_KEY, '--secret-key-file', secretFile, '--url', gw.url],
      withToken(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`cloud add: ${words}\n`);
    expect(run.stdout).toBe('');
    expectCleanOutput(run);
    expect((await gw.api('GET', '/api/v1/cloud/accounts')).json).toHaveLength(1);
  }, 60_000);

  it('sync of an account whose secret was rotated in the cloud: the error, exit 1', async () => {
    sim.setCredentials(APP_KEY, `${SECRET}-rotated`);
    sim.revokeTokens();
    try {
      const run = await runCloud(['sync', 'office', '--url', gw.url], withToken());
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toMatch(/^Office: sync failed, \d+ calls?, \d+\.\d s$/m);
      expect(run.stderr).toMatch(/^Office: .*HikCentral Connect refused the SecretKey.*Nothing was changed/m);
      expectCleanOutput(run);
    } finally {
      sim.setCredentials(APP_KEY, SECRET);
    }
  }, 60_000);

  it('refuses without credentials or secret off a terminal (exit 2, no prompt) and with a bad token (exit 1)', async () => {
    // Three independent refusals: run side by side, each process start costs seconds on a busy machine.
    const [noLogin, noSecret, badToken] = await Promise.all([
      runCloud(['list', '--url', gw.url]),
      runCloud(['add', '--name', 'X', '--app-key', APP_KEY, '--url', gw.url], withToken()),
      runCloud(['sync', '--url', gw.url], { HIKBRIDGE_TOKEN: 'hbt_not-a-real-token-123' }),
    ]);
    expect(noLogin.code).toBe(2);
    expect(noLogin.stderr).toMatch(/no credentials: set HIKBRIDGE_TOKEN .* or HIKBRIDGE_PASSWORD/);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(
      /no SecretKey: give --secret-key-file FILE or set HIKBRIDGE_CLOUD_SECRET/,
    );
    expect(badToken.code).toBe(1);
    // The API's words, and what to check; never the token itself.
    expect(badToken.stderr).toMatch(/^cloud sync: .+ \(Check HIKBRIDGE_TOKEN/);
    expect(badToken.stderr).not.toContain('hbt_not-a-real-token-123');
    for (const run of [noLogin, noSecret, badToken]) expectCleanOutput(run);
  }, 60_000);
});

function progress(change: Partial<SyncProgress>): SyncProgress {
  return {
    phase: 'addresses',
    startedAt: '2025-01-01T00:00:00.000Z',
    devices: 2,
    cameras: 30,
    addressesTotal: 30,
    addressesDone: 12,
    calls: 45,
    etaSeconds: 4,
    error: null,
    ...change,
  };
}

describe('the progress line', () => {
  it('shows phase, bar, cameras done/total, calls and ETA when there is room', () => {
    const line = renderProgressLine(progress({}), { width: 100, label: 'gate' });
    expect(line).toBe(
      `gate: addresses [${'#'.repeat(10)}${'-'.repeat(14)}] 12/30 cameras · 45 calls · ETA 4s`,
    );
  });

  it('never exceeds the width: the bar shrinks, then goes, then ETA and calls, then it is cut', () => {
    const full = renderProgressLine(progress({}), { width: 1000, label: 'gate' });
    for (let width = 1; width <= full.length + 5; width++) {
      expect(renderProgressLine(progress({}), { width, label: 'gate' }).length).toBeLessThanOrEqual(width);
    }
    const at = (width: number) => renderProgressLine(progress({}), { width, label: 'gate' });
    expect(at(70)).toBe('gate: addresses [#######-----------] 12/30 cameras · 45 calls · ETA 4s');
    expect(at(60)).toBe('gate: addresses [###-----] 12/30 cameras · 45 calls · ETA 4s');
    expect(at(55)).toBe('gate: addresses 12/30 cameras · 45 calls · ETA 4s');
    expect(at(45)).toBe('gate: addresses 12/30 cameras · 45 calls');
    expect(at(35)).toBe('gate: addresses 12/30 cameras');
    expect(at(20)).toBe('gate: addresses 12/…');
  });

  it('says what is not known yet, and a full bar when done', () => {
    const devicesPhase = progress({
      phase: 'devices',
      addressesTotal: 0,
      addressesDone: 0,
      calls: 1,
      etaSeconds: null,
    });
    expect(renderProgressLine(devicesPhase, { width: 80 })).toBe(
      `devices   [${'-'.repeat(24)}] 0/? cameras · 1 call`,
    );
    const done = progress({ phase: 'done', addressesTotal: 0, addressesDone: 0, etaSeconds: null });
    expect(renderProgressLine(done, { width: 80 })).toBe(
      `done      [${'#'.repeat(24)}] 0/0 cameras · 45 calls`,
    );
    expect(renderProgressLine(null, { width: 80, label: 'gate' })).toBe(
      'gate: waiting for the gateway to start the sync',
    );
    expect(renderProgressLine(progress({ etaSeconds: 65 }), { width: 200 })).toMatch(/ETA 1m05s$/);
  });
});

describe('the progress display', () => {
  function stream(isTTY: boolean) {
    const written: string[] = [];
    return { written, out: { isTTY, columns: 50, write: (text: string) => written.push(text) } };
  }

  it('on a terminal: redrawn in place within the columns, only when it changed, a newline at the end', () => {
    const { written, out } = stream(true);
    const display = new ProgressDisplay(out, 'gate');
    display.show(progress({ addressesDone: 1 }));
    display.show(progress({ addressesDone: 1 }));
    display.show(progress({ addressesDone: 2 }));
    display.end();
    expect(written).toHaveLength(3);
    for (const text of written.slice(0, 2)) {
      expect(text).toMatch(/^\r.*\u001b\[K$/);
      expect(text.length - '\r\u001b[K'.length).toBeLessThanOrEqual(49);
    }
    expect(written[2]).toBe('\n');
  });

  it('elsewhere: whole lines without control characters, at most one a second unless the phase changes', () => {
    const { written, out } = stream(false);
    let now = 0;
    const display = new ProgressDisplay(
      out,
      'gate',
      (text) => text,
      () => now,
    );
    display.show(null);
    display.show(progress({ phase: 'devices', addressesTotal: 0, addressesDone: 0, etaSeconds: null }));
    display.show(progress({ addressesDone: 1 }));
    now = 500;
    display.show(progress({ addressesDone: 2 }));
    now = 1100;
    display.show(progress({ addressesDone: 3 }));
    display.show(progress({ phase: 'done', addressesDone: 30, etaSeconds: null }));
    display.end();
    expect(written.map((line) => line.split(' ')[1])).toEqual([
      'waiting',
      'devices',
      'addresses',
      'addresses',
      'done',
    ]);
    // Whole lines: a log has no width to fit.
    expect(written[3]).toBe(`gate: addresses [##${'-'.repeat(22)}] 3/30 cameras · 45 calls · ETA 4s\n`);
    for (const line of written) expect(line).toMatch(/^[^\r\u001b]+\n$/);
  });

  it('masks secrets it is told about', () => {
    const { written, out } = stream(false);
    const secrets = new Secrets();
    secrets.add('s3cret-Value');
    const display = new ProgressDisplay(out, 'label s3cret-Value', (text) => secrets.clean(text));
    display.show(null);
    expect(written.join('')).not.toContain('s3cret-Value');
    expect(written.join('')).toContain('label ***');
  });
});

describe('summary, times, prompt keys and the gateway address', () => {
  it('summarises an outcome in one line', () => {
    const outcome = {
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:02.140Z',
      ok: true,
      error: null,
      devices: 1,
      cameras: 6,
      added: 6,
      updated: 0,
      removed: 0,
      failed: 1,
      calls: 9,
    };
    expect(formatOutcome('gate', outcome)).toBe(
      'gate: synced 6 cameras from 1 device (6 added, 0 updated, 0 removed, 1 failed), 9 calls, 2.1 s',
    );
    expect(formatOutcome('gate', { ...outcome, ok: false, error: 'x', calls: 1 })).toMatch(
      /^gate: sync failed: 6 cameras .*, 1 call, 2\.1 s$/,
    );
    // Failed before the lists came: counts of 0 would read as an empty account.
    expect(formatOutcome('gate', { ...outcome, ok: false, error: 'x', devices: 0, cameras: 0 })).toBe(
      'gate: sync failed, 9 calls, 2.1 s',
    );
  });

  it('gives times relative to now', () => {
    const now = Date.parse('2025-01-10T12:00:00Z');
    expect(relativeTime('2025-01-17T12:00:00Z', now)).toBe('in 7 d');
    expect(relativeTime('2025-01-10T11:57:00Z', now)).toBe('3 min ago');
    expect(relativeTime('2025-01-10T15:00:00Z', now)).toBe('in 3 h');
    expect(relativeTime('2025-01-10T12:00:02Z', now)).toBe('now');
    expect(relativeTime('2025-01-10T12:00:30Z', now)).toBe('in 30 s');
    expect(relativeTime(null, now)).toBe('-');
  });

  it('reads hidden input key by key: Enter ends, backspace and Ctrl+U edit, Ctrl+C cancels, arrows are ignored', () => {
    expect(applyKeys('', 'abc\r')).toEqual({ value: 'abc', done: true, cancelled: false });
    expect(applyKeys('ab', 'c')).toEqual({ value: 'abc', done: false, cancelled: false });
    expect(applyKeys('abc', '\u007fd\n')).toEqual({ value: 'abd', done: true, cancelled: false });
    expect(applyKeys('abc', '\u0015xy')).toMatchObject({ value: 'xy', done: false });
    expect(applyKeys('abc', '\u001b[D\u001b[Cd')).toMatchObject({ value: 'abcd', done: false });
    expect(applyKeys('abc', '\u0003')).toEqual({ value: '', done: false, cancelled: true });
    expect(applyKeys('', '\u0004')).toMatchObject({ cancelled: true });
    expect(applyKeys('pw', '\u0004')).toEqual({ value: 'pw', done: true, cancelled: false });
  });

  it('picks the accounts to sync by id, by name in any case, or every enabled one', () => {
    const account = (id: string, name: string, enabled = true) => ({ id, name, enabled }) as CloudAccount;
    const accounts = [account('a1', 'Office'), account('a2', 'office'), account('a3', 'Shop', false)];
    expect(pickAccounts(accounts, 'a3').map((a) => a.id)).toEqual(['a3']);
    expect(pickAccounts(accounts, 'office').map((a) => a.id)).toEqual(['a2']);
    expect(pickAccounts(accounts, 'SHOP').map((a) => a.id)).toEqual(['a3']);
    expect(() => pickAccounts(accounts, 'OFFICE')).toThrow(/several cloud accounts .* a1, a2/);
    expect(() => pickAccounts(accounts, 'Yard')).toThrow(/no cloud account is named "Yard"/);
    expect(pickAccounts(accounts, undefined).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(() => pickAccounts([account('a3', 'Shop', false)], undefined)).toThrow(
      /every cloud account is disabled/,
    );
    expect(() => pickAccounts([], undefined)).toThrow(/no cloud account yet/);
  });

  it('finds the gateway at the configured port on loopback; --url must be a plain address', () => {
    expect(gatewayUrlFromConfig(undefined, {})).toBe('http://127.0.0.1:8080');
    // The cloud commands' own variables are not configuration keys, so they are no problem.
    const env = { HIKBRIDGE_SERVER_PORT: '9090', HIKBRIDGE_TOKEN: 't', HIKBRIDGE_CLOUD_SECRET: 's' };
    expect(gatewayUrlFromConfig(undefined, env)).toBe('http://127.0.0.1:9090');
    expect(gatewayUrlFromConfig(undefined, { HIKBRIDGE_SERVER_HOST: '10.1.2.3' })).toBe(
      'http://10.1.2.3:8080',
    );
    expect(() => gatewayUrlFromConfig(undefined, { HIKBRIDGE_SERVER_PORT: '0' })).toThrow(/give --url/);
    expect(() => gatewayUrlFromConfig(undefined, { HIKBRIDGE_SERVER_PORT: 'x' })).toThrow(/server\.port/);
    expect(parseGatewayUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(parseGatewayUrl('https://cams.example.com/hik/')).toBe('https://cams.example.com/hik');
    expect(() => parseGatewayUrl('http://admin:pw@127.0.0.1:8080')).toThrow(/no user or password/);
    expect(() => parseGatewayUrl('ftp://x')).toThrow(/http/);
  });
});
