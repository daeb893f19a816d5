import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The layer rules live in .dependency-cruiser.mjs (each rule says why); this file runs them on
// the real tree and proves, on a throwaway tree, that each rule can fail.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// Cruising src/ and sim/ takes about 2 s alone; leave room for a busy two-core machine.
const CRUISE_BUDGET_MS = 60_000;

let rules: ICruiseOptions;

beforeAll(async () => {
  rules = await extractDepcruiseOptions(join(repoRoot, '.dependency-cruiser.mjs'));
});

/**
 * Every rule broken in `baseDir`, one line each: "rule: from → to", or for a cycle
 * "rule: a → b → c → a" in import order. The tool reports each cycle once, starting at
 * whichever file it met first, so the loop is turned to start at its first file by name.
 */
async function violations(baseDir: string): Promise<string[]> {
  const result = await cruise(['src', 'sim'], { ...rules, baseDir });
  if (typeof result.output === 'string') throw new Error('expected a cruise result, got a report');
  const found = result.output.summary.violations.map(({ rule, from, to, cycle }) => {
    if (!cycle) return `${rule.name}: ${from} → ${to}`;
    return `${rule.name}: ${loopFromFirstName([from, ...cycle.slice(0, -1).map((step) => step.name)])}`;
  });
  return found.sort();
}

/** ['b', 'c', 'a'] (b imports c imports a imports b) -> 'a → b → c → a'. */
function loopFromFirstName(files: string[]): string {
  const first = files.indexOf([...files].sort()[0]!);
  const turned = [...files.slice(first), ...files.slice(0, first)];
  return [...turned, turned[0]].join(' → ');
}

describe('layer rules', () => {
  it(
    'hold for src/ and sim/',
    async () => {
      expect(await violations(repoRoot)).toEqual([]);
    },
    CRUISE_BUDGET_MS,
  );
});

/**
 * A small tree shaped like the repo. Each file lists what it imports; a specifier starting
 * with "type " is a type-only import. Allowed arrows sit beside forbidden ones so a rule
 * that caught too much would fail the exact comparison below as surely as one that caught
 * too little.
 */
const throwawayTree: Record<string, string[]> = {
  'src/app.ts': ['./core/bus.ts'],
  'src/protocols/isapi/discovery.ts': [],
  'src/protocols/isapi/client.ts': ['./discovery.ts', '../../core/bus.ts'],
  'src/core/bus.ts': ['node:events', './missing.ts'],
  'src/core/store/types.ts': ['type ../../protocols/isapi/discovery.ts'],
  'src/core/config.ts': ['../modules/mqtt/index.ts'],
  'src/diagnostics/doctor.ts': [
    'node:fs',
    './report.ts',
    '../protocols/isapi/discovery.ts',
    '../core/bus.ts',
  ],
  'src/diagnostics/report.ts': [],
  'src/modules/mqtt/index.ts': ['./publisher.ts'],
  'src/modules/mqtt/publisher.ts': ['../../core/bus.ts', '../../app.ts', '../../../test/helpers.ts'],
  'src/modules/api/server.ts': ['../mqtt/index.ts', '../mqtt/publisher.ts'],
  'src/modules/talk/session.ts': ['./link.ts'],
  'src/modules/talk/link.ts': ['type ./session.ts'],
  'src/cli/start.ts': ['../../sim/index.ts'],
  'src/cli/sim.ts': ['../../sim/index.ts'],
  'src/cli/demo.ts': ['../../sim/video.ts', '../../sim/device.ts'],
  'sim/index.ts': ['./device.ts'],
  'sim/video.ts': [],
  'sim/device.ts': ['../src/protocols/isapi/discovery.ts'],
  'test/helpers.ts': [],
};

function importLine(specifier: string): string {
  if (specifier.startsWith('type ')) return `import type { Marker } from '${specifier.slice(5)}';`;
  return `import '${specifier}';`;
}

function writeTree(root: string, tree: Record<string, string[]>): void {
  for (const [file, imports] of Object.entries(tree)) {
    const path = join(root, file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, [...imports.map(importLine), 'export type Marker = string;', ''].join('\n'));
  }
}

describe('layer rules on a throwaway tree', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'hikbridge-layers-'));
    writeTree(root, throwawayTree);
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'catch each forbidden import and a type-only cycle, and let the allowed ones pass',
    async () => {
      expect(await violations(root)).toEqual(
        [
          'protocols-are-the-bottom-layer: src/protocols/isapi/client.ts → src/core/bus.ts',
          'core-knows-no-feature: src/core/config.ts → src/modules/mqtt/index.ts',
          'diagnostics-uses-only-protocols: src/diagnostics/doctor.ts → src/core/bus.ts',
          'modules-know-no-cli-or-app: src/modules/mqtt/publisher.ts → src/app.ts',
          'modules-meet-through-index: src/modules/api/server.ts → src/modules/mqtt/publisher.ts',
          'src-stays-in-src: src/modules/mqtt/publisher.ts → test/helpers.ts',
          'src-stays-in-src: src/cli/start.ts → sim/index.ts',
          'sim-launchers-use-sim-entry-points: src/cli/demo.ts → sim/device.ts',
          'sim-knows-no-src: sim/device.ts → src/protocols/isapi/discovery.ts',
          'no-cycles: src/modules/talk/link.ts → src/modules/talk/session.ts → src/modules/talk/link.ts',
          'no-unresolvable: src/core/bus.ts → ./missing.ts',
        ].sort(),
      );
    },
    CRUISE_BUDGET_MS,
  );
});
