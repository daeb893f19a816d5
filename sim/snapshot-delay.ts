/**
 * How long the device takes to answer a snapshot. The default is the one real measurement in
 * the captures: a DS-KV6124-E1 answered `Streaming/channels/101/picture` in 438 ms
 * (test/fixtures/doorbell/ds_kv6124_e1_fw_3_9_0/snapshot.json, measured end to end by the
 * capture tool). Set per profile (`SimProfile.snapshotDelayMs`), per device (the option) or at
 * run time (`setSnapshotDelay`, `POST /__sim/snapshot-delay`); tests that only need a picture,
 * not a realistic wait, ask for a short delay explicitly.
 */
import { SimInputError } from './validate.ts';

/** A fixed delay or a [min, max] range drawn per request, in ms. */
export type SnapshotDelaySetting = number | [number, number];

/** Measured on a real device (see above). */
export const CAPTURED_SNAPSHOT_MS = 438;

/** Longer than any client would wait for a picture; keeps a typo from hanging a test for hours. */
const MAX_SNAPSHOT_DELAY_MS = 120_000;

function delayMs(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_SNAPSHOT_DELAY_MS) {
    throw new SimInputError(`${name} must be a number of ms between 0 and ${MAX_SNAPSHOT_DELAY_MS}`);
  }
  return value;
}

export function validateSnapshotDelay(value: unknown): SnapshotDelaySetting {
  if (Array.isArray(value)) {
    if (value.length !== 2) throw new SimInputError('snapshotDelayMs as a range must be [min, max]');
    const min = delayMs(value[0], 'snapshotDelayMs[0]');
    const max = delayMs(value[1], 'snapshotDelayMs[1]');
    if (max < min) throw new SimInputError('snapshotDelayMs range must be [min, max] with min <= max');
    return [min, max];
  }
  return delayMs(value, 'snapshotDelayMs');
}

export class SnapshotDelay {
  private current: SnapshotDelaySetting;

  constructor(setting: unknown = CAPTURED_SNAPSHOT_MS) {
    this.current = validateSnapshotDelay(setting);
  }

  get setting(): SnapshotDelaySetting {
    return Array.isArray(this.current) ? [...this.current] : this.current;
  }

  set(setting: unknown): void {
    this.current = validateSnapshotDelay(setting);
  }

  /** The latency of one snapshot, drawn per request for a range. */
  pick(): number {
    const [min, max] = Array.isArray(this.current) ? this.current : [this.current, this.current];
    return min + Math.random() * (max - min);
  }
}
