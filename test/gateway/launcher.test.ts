/**
 * The launcher (bin/hikbridge.js, bin/compile.js) in a copy of the project: it runs compiled
 * JavaScript, builds it once per version of the sources, rebuilds after an edit, survives
 * starts racing each other, maps stack traces to the TypeScript lines, reports a compile error
 * with file and line, and runs the sources through tsx on request or when dist/ is not writable.
 */
import { execFile } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let copy: string;

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function hikbridge(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(copy, 'bin', 'hikbridge.js'), ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const builds = () => readdirSync(join(copy, 'dist')).filter((name) => !name.endsWith('.tmp'));

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'hikbridge-launcher-'));
  for (const entry of ['bin', 'src', 'sim', 'package.json'])
    cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
});

afterAll(() => {
  rmSync(copy, { recursive: true, force: true });
});

describe('the launcher', () => {
  it('compiles once, even when three starts race, and reuses the build', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => hikbridge(['--help'])));
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('Usage: hikbridge');
    }
    expect(builds()).toHaveLength(1);
    expect((await hikbridge(['--help'])).code).toBe(0);
    expect(builds()).toHaveLength(1);
  });

  it('rebuilds after a source file changes', async () => {
    const before = builds();
    appendFileSync(join(copy, 'src', 'cli', 'probe.ts'), '\n// edited\n');
    expect((await hikbridge(['--help'])).code).toBe(0);
    const after = builds();
    expect(after).toHaveLength(2);
    expect(after).toEqual(expect.arrayContaining(before));
  });

  it('stack traces name the TypeScript source and line', async () => {
    writeFileSync(
      join(copy, 'src', 'cli', 'boom.ts'),
      "export function boom(): never {\n  throw new Error('boom');\n}\n",
    );
    const main = readFileSync(join(copy, 'src', 'cli', 'main.ts'), 'utf8');
    writeFileSync(
      join(copy, 'src', 'cli', 'main.ts'),
      `if (process.env.HIKBRIDGE_TEST_BOOM) (await import('./boom.ts')).boom();\n${main}`,
    );
    const thrown = await hikbridge(['--help'], { HIKBRIDGE_TEST_BOOM: '1' });
    writeFileSync(join(copy, 'src', 'cli', 'main.ts'), main);
    expect(thrown.code).not.toBe(0);
    expect(thrown.stderr).toMatch(/src\/cli\/boom\.ts:2/);
  });

  it('a compile error names the file and line and exits non-zero', async () => {
    writeFileSync(join(copy, 'src', 'cli', 'boom.ts'), 'export const boom = ;\n');
    const main = readFileSync(join(copy, 'src', 'cli', 'main.ts'), 'utf8');
    writeFileSync(join(copy, 'src', 'cli', 'main.ts'), `${main}\nimport './boom.ts';\n`);
    const run = await hikbridge(['--help']);
    writeFileSync(join(copy, 'src', 'cli', 'main.ts'), main);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/src\/cli\/boom\.ts:1/);
  });

  it('HIKBRIDGE_FROM_SOURCE=1 runs the TypeScript through tsx, without building', async () => {
    appendFileSync(join(copy, 'src', 'cli', 'probe.ts'), '\n// edited again\n');
    const before = builds();
    const run = await hikbridge(['--help'], { HIKBRIDGE_FROM_SOURCE: '1' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: hikbridge');
    expect(builds()).toEqual(before);
  });

  it('falls back to tsx, saying so, when dist/ cannot be written', async () => {
    renameSync(join(copy, 'dist'), join(copy, 'dist.saved'));
    writeFileSync(join(copy, 'dist'), 'not a directory'); // root may write anywhere: block it this way
    const run = await hikbridge(['--help']);
    rmSync(join(copy, 'dist'));
    renameSync(join(copy, 'dist.saved'), join(copy, 'dist'));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: hikbridge');
    expect(run.stderr).toContain('running the sources through tsx');
  });
});
