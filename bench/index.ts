/**
 * `npm run bench -- <name> [options]`: runs one benchmark and prints one JSON object per
 * result line on stdout (progress goes to stderr). Each benchmark is loaded only when asked for.
 */
type Bench = (args: string[]) => Promise<void>;

const benches: Record<string, () => Promise<Bench>> = {
  snapshot: async () => (await import('./snapshot.ts')).runSnapshotBench,
  parse: async () => (await import('./parse.ts')).runParseBench,
  events: async () => (await import('./events.ts')).runEventsBench,
  live: async () => (await import('./live.ts')).runLiveBench,
  cloud: async () => (await import('./cloud.ts')).runCloudBench,
  ring: async () => (await import('./ring.ts')).runRingBench,
  'ui-wall': async () => (await import('./ui-wall.ts')).runUiWallBench,
};

const [name, ...args] = process.argv.slice(2);
const load = name ? benches[name] : undefined;
if (!load) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]\n`);
  process.exit(2);
}
await (await load())(args);
