/**
 * `hikbridge doctor URL --fix` against a simulated camera set up badly (H.265 streams, sub stream
 * key frames 25 s apart and 8 Mbps peaks, motion off, two-way audio in G.726): `--yes` in a real
 * process fixes everything and saves the undo file in its working directory, `--undo FILE` puts
 * every resource back exactly; without a terminal and without --yes nothing changes; on a
 * terminal only the fixes answered "y" are made.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveProfile, type SimDevice, type SimProfile, startSimDevice } from '../../sim/index.ts';
import { doctorCommand } from '../../src/cli/doctor.ts';
import { IsapiClient } from '../../src/protocols/isapi/client.ts';
import { normalizeXml, readConfig } from '../../src/protocols/isapi/streaming-config.ts';
import type { CliResult } from '../support/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/hikbridge.js', import.meta.url));
const PASSWORD = 'Fix:Cli@pass#5';
const RESOURCES = [
  '/ISAPI/Streaming/channels/101',
  '/ISAPI/Streaming/channels/102',
  '/ISAPI/System/Video/inputs/channels/1/motionDetection',
  '/ISAPI/System/TwoWayAudio/channels/1',
];

let sim: SimDevice;
let client: IsapiClient;
let dir: string;

function badCamera(): SimProfile {
  const profile = structuredClone(resolveProfile('camera'));
  const root = (path: string, name: string) =>
    (profile.isapi[path] as { response: Record<string, Record<string, unknown>> }).response[name]!;
  const sub = root('Streaming/channels/102', 'StreamingChannel').Video as Record<string, string>;
  Object.assign(sub, { videoCodecType: 'H.265', GovLength: '250', vbrUpperCap: '8192' });
  root('System/Video/inputs/channels/1/motionDetection', 'MotionDetection').enabled = 'false';
  return profile;
}

const url = () => sim.url.replace('://', `://admin:${encodeURIComponent(PASSWORD)}@`);
const puts = () => sim.requests.filter((r) => r.method === 'PUT' && r.authorized).map((r) => r.path);

async function snapshot(): Promise<string[]> {
  return Promise.all(RESOURCES.map(async (path) => normalizeXml((await readConfig(client, path)).xml)));
}

/** The real command in a child process, in `dir` (where --fix writes its undo file), stdin not a terminal. */
function run(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, 'doctor', ...args],
      { cwd: dir, timeout: 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeEach(async () => {
  sim = await startSimDevice({
    profile: badCamera(),
    password: PASSWORD,
    twoWayAudioCodec: 'G.726',
    heartbeatMs: 0,
    snapshotDelayMs: 0,
  });
  client = new IsapiClient({ baseUrl: sim.url, username: 'admin', password: PASSWORD });
  dir = mkdtempSync(join(tmpdir(), 'hikbridge-fix-'));
});

afterEach(async () => {
  await client.close();
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hikbridge doctor --fix', () => {
  it('--yes fixes everything, saves the undo file, and --undo puts it all back exactly', async () => {
    const original = await snapshot();
    const fixed = await run([url(), '--fix', '--yes']);
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^✖ two-way-audio-codec/m); // the report, from before the fixes
    expect(fixed.stdout).toMatch(/6 fixes offered/);
    for (const id of ['stream-101-codec', 'stream-102-codec', 'stream-102-keyframe', 'stream-102-bitrate']) {
      expect(fixed.stdout).toContain(`changed ${id}:`);
    }
    expect(fixed.stdout).toContain('changed talk-1-codec: audioCompressionType G.726 -> G.711ulaw');
    expect(fixed.stdout).toMatch(/after the fixes: \d+ passed, 0 warnings, 0 failed/);
    expect(fixed.stdout).not.toContain(PASSWORD);
    expect(fixed.stdout).not.toContain(encodeURIComponent(PASSWORD));

    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^hikbridge-undo-127\.0\.0\.1_\d+-\d{8}T\d{6}\.json$/);
    const file = join(dir, files[0]!);
    expect(fixed.stdout).toContain(`--undo ${file}`);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.undo.map((entry: { path: string }) => entry.path).sort()).toEqual([...RESOURCES].sort());
    expect(await snapshot()).not.toEqual(original);

    const undone = await run([url(), '--undo', file]);
    expect(undone.code, undone.stdout + undone.stderr).toBe(0);
    expect(undone.stdout.match(/^restored /gm)).toHaveLength(4);
    expect(await snapshot()).toEqual(original);
  }, 90_000);

  it('without a terminal and without --yes, it lists the fixes and changes nothing', async () => {
    const result = await run([url(), '--fix', '--json']);
    expect(result.code).toBe(1); // the report has a failed check
    expect(JSON.parse(result.stdout).checks.length).toBeGreaterThan(0); // stdout stays one JSON document
    expect(result.stderr).toMatch(/stream-101-codec: Video\/videoCodecType H\.265 -> H\.264/);
    expect(result.stderr).toMatch(/not a terminal.*nothing changed.*--yes/);
    expect(puts()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  }, 60_000);

  it('on a terminal, asks before each change and makes only those answered "y"', async () => {
    const asked: string[] = [];
    let output = '';
    const code = await doctorCommand(
      url(),
      { fix: true },
      {
        stdout: (text) => {
          output += text;
        },
        stderr: (text) => {
          output += text;
        },
        ask: async (question) => {
          asked.push(question);
          return question.includes('talk-1-codec');
        },
        cwd: dir,
      },
    );
    expect(asked).toHaveLength(6);
    expect(puts()).toEqual(['/ISAPI/System/TwoWayAudio/channels/1']);
    expect(output).toContain('changed talk-1-codec');
    expect(output).not.toContain('changed stream-101-codec');
    expect(code).toBe(0); // after the fix: only warnings left
    expect(readdirSync(dir)).toHaveLength(1);
  }, 60_000);
});
