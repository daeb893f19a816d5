/** One live client: a bounded outbox, and live messages held back while its replay is sent. */
import type { GatewayEvent } from '../../../core/events.ts';
import type { StreamFilter } from './filters.ts';
import { encode, type Message, type Transport } from './messages.ts';
import type { StreamSettings } from './types.ts';

/** A resuming client that reads nothing for this long is dropped. */
const REPLAY_STALL_MS = 10_000;

/** Where a client's bytes go: an SSE response or a WebSocket. */
export interface Sink {
  write(text: string, done: () => void): void;
  /** Bytes accepted but not yet handed to the kernel. */
  bufferedBytes(): number;
  /** Ends the connection at once (the client is not reading, a graceful end would wait). */
  destroy(): void;
  /** Ends the connection politely (shutdown). */
  end(): void;
  heartbeat(): void;
}

export type Limits = Pick<StreamSettings, 'maxQueuedMessages' | 'maxQueuedBytes'>;

export class StreamClient {
  private inFlight = 0;
  private held: Message[] | undefined;
  /** Ids the replay sent (at most maxReplay): the same event arriving live later is not sent twice. */
  private replayed: ReadonlySet<string> = new Set();
  closed = false;

  constructor(
    readonly filter: StreamFilter,
    readonly transport: Transport,
    private readonly sink: Sink,
    private readonly limits: Limits,
    private readonly onDropped: (client: StreamClient) => void,
    /** The session or API token the stream was opened with: revoking it closes the stream. */
    readonly tokenId?: string,
  ) {}

  deliver(message: Message): void {
    if (this.closed) return;
    if (message.type === 'event' && this.replayed.has(message.data.id)) return;
    if (!this.held) {
      this.send(message);
      return;
    }
    this.held.push(message);
    if (this.held.length > this.limits.maxQueuedMessages) this.drop();
  }

  /** Live messages wait while the missed ones are looked up. */
  hold(): void {
    this.held ??= [];
  }

  /**
   * Sends the replay, then what was held back, minus what the replay already carried. The
   * replay is paced by the client's reading: sent at once, a long one would overflow the
   * outbox of a perfectly healthy client.
   */
  async release(replay: GatewayEvent[]): Promise<void> {
    this.replayed = new Set(replay.map((event) => event.id));
    for (const event of replay) {
      await this.roomToSend();
      this.send({ type: 'event', data: event });
    }
    const held = this.held ?? [];
    this.held = undefined;
    for (const message of held) this.deliver(message);
  }

  heartbeat(): void {
    if (!this.closed && !this.held) this.sink.heartbeat();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.end();
  }

  /** Waits until the outbox is at most half full; a client that reads nothing for long is dropped. */
  private async roomToSend(): Promise<void> {
    const deadline = Date.now() + REPLAY_STALL_MS;
    while (!this.closed && this.overHalfFull()) {
      if (Date.now() > deadline) return this.drop();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private overHalfFull(): boolean {
    return (
      this.inFlight > this.limits.maxQueuedMessages / 2 ||
      this.sink.bufferedBytes() > this.limits.maxQueuedBytes / 2
    );
  }

  private send(message: Message): void {
    if (this.closed) return;
    const text = encode(message)[this.transport];
    if (this.wouldOverflow(text)) {
      this.drop();
      return;
    }
    this.inFlight++;
    this.sink.write(text, () => {
      this.inFlight--;
    });
  }

  private wouldOverflow(text: string): boolean {
    return (
      this.inFlight >= this.limits.maxQueuedMessages ||
      this.sink.bufferedBytes() + text.length > this.limits.maxQueuedBytes
    );
  }

  private drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.destroy();
    this.onDropped(this);
  }

  get queued(): { messages: number; bytes: number } {
    return { messages: this.inFlight + (this.held?.length ?? 0), bytes: this.sink.bufferedBytes() };
  }
}
