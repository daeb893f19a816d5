/**
 * What is kept for the broker while the connection is down: the newest message per topic,
 * up to a count and a byte size, oldest dropped first.
 *
 * Only pictures land here: states, configs and availability are sent again in full by the
 * module at every connect, so nothing of theirs needs keeping. Commands are never queued: an
 * incoming command is carried out at once or refused, because a door opening minutes after the
 * button was pressed is worse than not opening at all.
 */

/**
 * `state`: entity states and attributes; `image`: JPEGs; `event`: the doorbell ring (never
 * retained); `config`: discovery configs and deletions of retained messages; `availability`:
 * bridge and device online/offline.
 */
export type MessageKind = 'state' | 'image' | 'event' | 'config' | 'availability';

export interface Outgoing {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  kind: MessageKind;
}

export class OfflineQueue {
  private readonly items = new Map<string, Outgoing>();
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.items.size;
  }

  /** Keeps `message` (replacing an older one of its topic); returns how many were dropped for space. */
  push(message: Outgoing): number {
    // Only the newest value of a topic matters once the broker is back: replace, move to the end.
    this.remove(message.topic);
    this.items.set(message.topic, message);
    this.bytes += sizeOf(message);
    let dropped = 0;
    while (this.items.size > this.maxMessages || this.bytes > this.maxBytes) {
      const oldest = this.items.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
      dropped++;
    }
    return dropped;
  }

  /** Everything queued, oldest first; the queue is empty afterwards. */
  drain(): Outgoing[] {
    const all = [...this.items.values()];
    this.items.clear();
    this.bytes = 0;
    return all;
  }

  private remove(topic: string): void {
    const existing = this.items.get(topic);
    if (!existing) return;
    this.items.delete(topic);
    this.bytes -= sizeOf(existing);
  }
}

function sizeOf(message: Outgoing): number {
  return message.topic.length + Buffer.byteLength(message.payload);
}
