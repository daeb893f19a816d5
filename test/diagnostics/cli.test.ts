/** `hikbridge doctor` as a user runs it: output, exit codes, no password in sight. */
import { afterEach, describe, expect, it } from 'vitest';
import { type SimDevice, startSimDevice } from '../../sim/index.ts';
import { CHECK_IDS } from '../../src/diagnostics/doctor.ts';
import { runCli } from '../support/cli.ts';

const PASSWORD = 'S3cret:pa@ss#1';
const devices: SimDevice[] = [];

afterEach(async () => {
  await Promise.all(devices.splice(0).map((device) => device.close()));
});

async function camera(): Promise<SimDevice> {
  const device = await startSimDevice({
    profile: 'camera',
    password: PASSWORD,
    heartbeatMs: 0,
    snapshotDelayMs: 0,
  });
  devices.push(device);
  return device;
}

function urlWith(device: SimDevice, password: string): string {
  return device.url.replace('://', `://admin:${encodeURIComponent(password)}@`);
}

/** Runs the real `hikbridge doctor ...args` command in a child process. */
function runDoctorCli(args: string[]) {
  return runCli(['doctor', ...args]);
}

describe('hikbridge doctor', () => {
  it('--json prints {device, checks:[{id, status, detail, fix}]}, exit 0 without failures, no password', async () => {
    const device = await camera();
    const { code, stdout } = await runDoctorCli([urlWith(device, PASSWORD), '--json']);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { device: unknown; checks: Array<Record<string, unknown>> };
    expect(Object.keys(parsed).sort()).toEqual(['checks', 'device']);
    expect(parsed.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const c of parsed.checks) expect(Object.keys(c)).toEqual(['id', 'status', 'detail', 'fix']);
    expect(parsed.checks.find((c) => c.id === 'stream-codec')?.status).toBe('warn');
    expect(stdout).not.toContain(PASSWORD);
    expect(stdout).not.toContain(encodeURIComponent(PASSWORD));
  });

  it('text mode marks each check; a failed check makes exit code 1; the password stays hidden', async () => {
    const device = await camera();
    const wrong = 'Wr0ng-Passw0rd!';
    const { code, stdout } = await runDoctorCli([urlWith(device, wrong)]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^hikbridge doctor: /);
    expect(stdout).toMatch(/^✔ reachability {2,}HTTP 401 from/m);
    expect(stdout).toMatch(/^✖ credentials {2,}.*rejected the user "admin"/m);
    expect(stdout).toMatch(/^\s+fix: Check the user name and password/m);
    expect(stdout).toMatch(/^– motion-detection {2,}credentials not accepted$/m);
    expect(stdout).toMatch(/2 passed, 0 warnings, 1 failed, 20 skipped\n$/);
    expect(stdout).not.toContain(wrong);
  });

  it('warnings are marked with "!"', async () => {
    const device = await camera();
    const { stdout } = await runDoctorCli([urlWith(device, PASSWORD), '--channels', '1']);
    expect(stdout).toMatch(/^! stream-codec {2,}channel 1 \(yard\): main stream 101 is H\.265/m);
  });

  it('usage errors exit with 2: a bad URL, bad option values, an empty channel list, a missing URL', async () => {
    const badUrl = await runDoctorCli(['ftp://admin:x@host']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/^doctor: unsupported scheme "ftp:"/);
    expect((await runDoctorCli(['http://admin:x@127.0.0.1:1', '--timeout', 'soon'])).code).toBe(2);
    expect((await runDoctorCli(['http://admin:x@127.0.0.1:1', '--fingerprint', 'abc'])).code).toBe(2);
    expect((await runDoctorCli(['http://admin:x@127.0.0.1:1', '--channels', ''])).code).toBe(2);
    expect((await runDoctorCli([])).code).toBe(2);
  });
});
