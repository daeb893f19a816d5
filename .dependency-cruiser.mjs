/*
 * The layer rules of hikbridge, checked by dependency-cruiser inside `npm test`
 * (test/architecture/dependency-rules.test.ts; `npm run check:deps` prints the same
 * findings with the tool's own reporter).
 *
 * Layers, bottom up: src/protocols (talks to devices and services; knows nothing above it)
 * -> src/core (bus, store, config, logger; may use protocol types) -> src/diagnostics (a
 * library that reads a device) and src/modules (the features) -> src/cli and src/app.ts
 * (the composition root). sim/ is the device simulator: a separate program that knows
 * nothing of src/; only the `hikbridge sim` command and `--demo` start it.
 *
 * - protocols import nothing from core, modules, diagnostics, cli, app.ts, sim or test;
 * - core imports nothing from modules, diagnostics, cli or app.ts;
 * - diagnostics imports, of our own code, only protocols and itself;
 * - modules import nothing from cli or app.ts, and another module only through its index.ts;
 * - sim imports nothing from src;
 * - src imports nothing outside src, except that src/cli/sim.ts and src/cli/demo.ts start
 *   the simulator through sim/index.ts and sim/video.ts;
 * - no import cycles in src or sim; type-only imports count (tsPreCompilationDeps).
 *
 * Paths are regular expressions on paths relative to the base folder (the repo root).
 */

const cli = '^src/cli/';
const app = '^src/app\\.ts$';
const simLaunchers = '^src/cli/(sim|demo)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'protocols-are-the-bottom-layer',
      comment: 'src/protocols talks to devices and services; it must not know who uses it.',
      severity: 'error',
      from: { path: '^src/protocols/' },
      to: { path: ['^src/(core|modules|diagnostics|cli)/', app, '^sim/', '^test/'] },
    },
    {
      name: 'core-knows-no-feature',
      comment: 'src/core may use protocol types, but no module, diagnostics, the CLI or app.ts.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: ['^src/(modules|diagnostics)/', cli, app] },
    },
    {
      name: 'diagnostics-uses-only-protocols',
      comment: 'src/diagnostics is a library that reads a device: of our code it uses only protocols.',
      severity: 'error',
      from: { path: '^src/diagnostics/' },
      to: { dependencyTypes: ['local'], pathNot: '^src/(protocols|diagnostics)/' },
    },
    {
      name: 'modules-know-no-cli-or-app',
      comment: 'Modules are built by the composition root (app.ts, cli); they never reach back into it.',
      severity: 'error',
      from: { path: '^src/modules/' },
      to: { path: [cli, app] },
    },
    {
      name: 'modules-meet-through-index',
      comment: "A module uses another module only through that module's index.ts.",
      severity: 'error',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'sim-knows-no-src',
      comment: 'The simulator plays a device; it must not borrow the gateway code it is meant to test.',
      severity: 'error',
      from: { path: '^sim/' },
      to: { path: '^src/' },
    },
    {
      name: 'src-stays-in-src',
      comment: 'The product imports no tests, benchmarks, scripts or simulator (see the next rule).',
      severity: 'error',
      from: { path: '^src/', pathNot: simLaunchers },
      to: { dependencyTypes: ['local'], pathNot: '^src/' },
    },
    {
      name: 'sim-launchers-use-sim-entry-points',
      comment: '`hikbridge sim` and `--demo` start the simulator, through its entry points only.',
      severity: 'error',
      from: { path: simLaunchers },
      to: { dependencyTypes: ['local'], pathNot: ['^src/', '^sim/(index|video)\\.ts$'] },
    },
    {
      name: 'no-cycles',
      comment: 'Import cycles (type-only ones too) tie layers and modules into one knot.',
      severity: 'error',
      from: { path: '^(src|sim)/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import the check cannot resolve would escape every rule above.',
      severity: 'error',
      from: { path: '^(src|sim)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Count `import type` edges: a type-only import still ties two layers together.
    tsPreCompilationDeps: true,
    moduleSystems: ['es6', 'cjs'],
    // Resolve packages as Node's ESM loader does: some (typebox) have only an exports map.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
