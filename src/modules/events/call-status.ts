/**
 * Doorbell ring from `VideoIntercom/callStatus` polling: current doorbell firmware does not push
 * the ring on the alertStream. idle -> ring starts a ring episode, anything else ends it. Each
 * poll first asks the device's supervisor (`whenUsable`): no login into a refusal.
 */
import type { Logger } from '../../core/logger.ts';
import type { IsapiClient } from '../../protocols/isapi/client.ts';
import { type CallState, readCallState } from '../../protocols/isapi/intercom.ts';

export type { CallState };

/** Asked before each poll: true to go ahead, false to back off (see AlertConnection). */
export type UsableCheck = (signal: AbortSignal) => Promise<boolean>;

export class CallStatusPoller {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private state: CallState = 'unknown';
  private failures = 0;

  constructor(
    private readonly client: IsapiClient,
    private readonly intervalMs: number,
    private readonly onChange: (next: CallState, previous: CallState) => void,
    private readonly logger: Logger,
    private readonly whenUsable?: UsableCheck,
  ) {}

  start(): void {
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    // While the device refuses our login this waits (for the user); unreachable: back off.
    if (this.whenUsable && !(await this.whenUsable(this.stopping.signal))) {
      if (!this.stopped) this.backOff(undefined);
      return;
    }
    if (this.stopped) return;
    try {
      const next = await readCallState(this.client);
      this.failures = 0;
      if (next !== this.state) {
        const previous = this.state;
        this.state = next;
        if (!this.stopped) this.onChange(next, previous);
      }
      this.schedule(this.intervalMs);
    } catch (error) {
      this.backOff(error);
    }
  }

  /** Back off while the doorbell does not answer; the supervisor reports its health. */
  private backOff(error: unknown): void {
    this.failures++;
    if (this.failures === 3) this.logger.warn({ err: error }, 'doorbell call status unavailable; retrying');
    this.schedule(Math.min(30_000, this.intervalMs * 2 ** Math.min(this.failures, 5)));
  }
}
