/**
 * Snapshot coalescing: C concurrent requests for one channel, R rounds, against a simulated
 * camera in another process. Reports device requests and latency, with and without coalescing.
 * The camera takes `--delayMs` per picture (default: 438 ms, the one real measurement in the
 * captures); without coalescing every request costs that, so that mode runs `--directRounds`.
 */
import { performance } from 'node:perf_hooks';
import { IsapiClient, parseDeviceUrl } from '../src/protocols/isapi/client.ts';
import { SnapshotFetcher } from '../src/protocols/isapi/snapshot.ts';
import { startSimProcess } from './sim-process.ts';
import { parseOptions, percentile, round } from './stats.ts';

export async function runSnapshotBench(args: string[]): Promise<void> {
  const options = parseOptions(args, {
    concurrency: 100,
    rounds: 20,
    directRounds: 2,
    delayMs: 438,
    profile: 'camera',
  });
  const sim = await startSimProcess(['--profile', String(options.profile)], 1);
  try {
    const address = parseDeviceUrl(sim.urls[0]!);
    await setPictureDelay(address.baseUrl, Number(options.delayMs));
    for (const mode of ['coalesced', 'direct'] as const) {
      const rounds = Number(mode === 'coalesced' ? options.rounds : options.directRounds);
      const client = new IsapiClient({ ...address, maxQueued: options.concurrency });
      const fetcher = new SnapshotFetcher(client, { cacheMs: 0 });
      const before = await countPictureRequests(address.baseUrl);
      const latencies: number[] = [];
      const started = performance.now();
      for (let round = 0; round < rounds; round++) {
        await Promise.all(
          Array.from({ length: options.concurrency }, async () => {
            const t0 = performance.now();
            if (mode === 'coalesced') await fetcher.get({ streamId: '101' });
            else await client.call({ method: 'GET', path: '/ISAPI/Streaming/channels/101/picture' });
            latencies.push(performance.now() - t0);
          }),
        );
      }
      const elapsed = performance.now() - started;
      const deviceRequests = (await countPictureRequests(address.baseUrl)) - before;
      await fetcher.close();
      await client.close();
      process.stdout.write(
        `${JSON.stringify({
          bench: 'snapshot',
          mode,
          concurrency: options.concurrency,
          rounds,
          pictureDelayMs: Number(options.delayMs),
          requests: Number(options.concurrency) * rounds,
          deviceRequests,
          deviceRequestsPerRound: round(deviceRequests / rounds),
          p50Ms: round(percentile(latencies, 50)),
          p99Ms: round(percentile(latencies, 99)),
          maxMs: round(Math.max(...latencies)),
          totalMs: round(elapsed),
        })}\n`,
      );
    }
  } finally {
    await sim.stop();
  }
}

async function setPictureDelay(baseUrl: string, delayMs: number): Promise<void> {
  const response = await fetch(`${baseUrl}/__sim/snapshot-delay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ snapshotDelayMs: delayMs }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`the simulator refused the picture delay: ${await response.text()}`);
}

async function countPictureRequests(baseUrl: string): Promise<number> {
  const response = await fetch(`${baseUrl}/__sim/requests`, { signal: AbortSignal.timeout(5000) });
  const records = (await response.json()) as Array<{ path: string; status: number }>;
  // 401s are the Digest handshake, not pictures the device had to encode.
  return records.filter((r) => r.path.includes('/picture') && r.status !== 401).length;
}
