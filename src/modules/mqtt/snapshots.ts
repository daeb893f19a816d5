/**
 * Pictures for the snapshot topics, at most one request in flight per channel: a burst of
 * motion events or button presses must not queue a picture per event on a small device.
 */
import type { Logger } from '../../core/logger.ts';
import type { DeviceSnapshot as Snapshot } from '../devices/index.ts';

export interface SnapshotTarget {
  deviceId: string;
  channelId: string;
  channelNo: number;
}

export type SnapshotResult = 'published' | 'busy' | 'failed';

export class SnapshotPublisher {
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly take: (channelId: string) => Promise<Snapshot>,
    private readonly publish: (target: SnapshotTarget, jpeg: Buffer) => void,
    private readonly logger: Logger,
  ) {}

  /** Takes and publishes a picture; `busy` when one for the channel is already on its way. */
  async request(target: SnapshotTarget, reason: string): Promise<SnapshotResult> {
    if (this.inFlight.has(target.channelId)) return 'busy';
    this.inFlight.add(target.channelId);
    try {
      const snapshot = await this.take(target.channelId);
      this.publish(target, snapshot.jpeg);
      return 'published';
    } catch (error) {
      this.logger.warn(
        { deviceId: target.deviceId, channelNo: target.channelNo, reason, err: error },
        'snapshot for MQTT failed',
      );
      return 'failed';
    } finally {
      this.inFlight.delete(target.channelId);
    }
  }
}
