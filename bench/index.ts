/**
 * `npm run bench -- <name> [options]`: runs one benchmark and prints one JSON object per
 * result line on stdout (progress goes to stderr).
 */
import { runEventsBench } from './events.ts';
import { runLiveBench } from './live.ts';
import { runParseBench } from './parse.ts';
import { runSnapshotBench } from './snapshot.ts';

type Bench = (args: string[]) => Promise<void>;

const benches: Record<string, Bench> = {
  snapshot: runSnapshotBench,
  parse: runParseBench,
  events: runEventsBench,
  live: runLiveBench,
};

const [name, ...args] = process.argv.slice(2);
const bench = name ? benches[name] : undefined;
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}> [options]\n`);
  process.exit(2);
}
await bench(args);
