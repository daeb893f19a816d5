/**
 * The ring benchmark at toy size, as `npm run bench -- ring` runs it (its own gateway process,
 * simulated doorbells on 127.0.0.2.., SIPp per doorbell): it prints one result line of the
 * documented shape with every ring delivered once on both sinks. Latency is the benchmark's
 * business (docs/benchmarks.md), not a test's: a shared machine would make it flaky.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../support/system-tools.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

beforeAll(() => {
  requireTool('sipp', 'sip-tester');
  requireTool('mosquitto', 'mosquitto');
}, 15 * 60_000);

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/index.ts', 'ring', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-10_000);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('ring benchmark', () => {
  it('rings every doorbell, each ring once on SSE and MQTT, and prints one result line', async () => {
    const run = await runBench([
      '--doorbells',
      '3',
      '--rings',
      '9',
      '--pauseMinMs',
      '100',
      '--pauseMaxMs',
      '400',
    ]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines, run.stderr).toHaveLength(1);
    const result = JSON.parse(lines[0]!);
    expect(result).toMatchObject({
      bench: 'ring',
      doorbells: 3,
      rings: 9,
      lost: 0,
      duplicates: 0,
      sse: { delivered: 9, lost: 0, duplicates: 0 },
      mqtt: { delivered: 9, lost: 0, duplicates: 0 },
      mqttRingEvent: { delivered: 9, missing: 0 },
    });
    expect(result.ringP50Ms).toBeGreaterThan(0);
    expect(result.ringP99Ms).toBeGreaterThanOrEqual(result.ringP50Ms);
  }, 180_000);
});
