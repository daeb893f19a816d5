/** The live hub: bus events to every connected client, and replay of what a resuming client missed. */
import type { Bus } from '../../../core/bus.ts';
import { AppError } from '../../../core/errors.ts';
import type { GatewayEvent } from '../../../core/events.ts';
import type { Logger } from '../../../core/logger.ts';
import type { EventCursor, EventListFilter, Store } from '../../../core/store/types.ts';
import { type Limits, type Sink, StreamClient } from './client.ts';
import { matches, type StreamFilter, wantsSnapshot } from './filters.ts';
import type { Message, SnapshotNotice, Transport } from './messages.ts';
import { compareEvents, eventOfRecord } from './records.ts';
import type { StreamSettings } from './types.ts';

/** Events kept in memory: the resume window for events not stored yet, and snapshot filtering. */
const RECENT_EVENTS = 1000;

export class EventHub {
  private readonly clients = new Set<StreamClient>();
  private readonly recent = new Map<string, GatewayEvent>();
  private readonly unsubscribe: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly store: Store,
    private readonly logger: Logger,
    readonly settings: StreamSettings,
  ) {}

  start(): void {
    this.unsubscribe.push(
      this.bus.on('event', (event) => this.onEvent(event)),
      this.bus.on('event.snapshot', (notice) => this.onSnapshot(notice)),
      this.bus.on('auth.revoked', ({ tokenIds }) => this.onRevoked(tokenIds)),
    );
    this.heartbeat = setInterval(() => this.beatAll(), this.settings.heartbeatSeconds * 1000);
    this.heartbeat.unref();
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off();
    clearInterval(this.heartbeat);
    this.closeAll();
  }

  closeAll(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  /** Refuses before the connection is taken over, so the client gets a plain 503. */
  assertRoom(): void {
    if (this.clients.size >= this.settings.maxClients) {
      throw new AppError('too_many_clients', 503, 'Too many event-stream clients; try again later.');
    }
  }

  newClient(
    filter: StreamFilter,
    transport: Transport,
    sink: Sink,
    remote: string,
    tokenId?: string,
  ): StreamClient {
    return new StreamClient(
      filter,
      transport,
      sink,
      this.settings,
      (client) => {
        this.clients.delete(client);
        this.logger.warn(
          { transport, remote, limits: limitsOf(this.settings), queued: client.queued },
          'dropped an event-stream client that stopped reading',
        );
      },
      tokenId,
    );
  }

  /** Streams opened with a token that is no longer valid are closed at once. */
  private onRevoked(tokenIds: string[]): void {
    const revoked = new Set(tokenIds);
    for (const client of [...this.clients]) {
      if (client.tokenId === undefined || !revoked.has(client.tokenId)) continue;
      this.clients.delete(client);
      client.end();
      this.logger.info({ transport: client.transport }, 'closed an event stream whose login was revoked');
    }
  }

  /** Registers the client, replaying what it missed since `lastEventId` first. */
  async attach(client: StreamClient, lastEventId: string | undefined): Promise<void> {
    this.clients.add(client);
    if (!lastEventId) return;
    client.hold();
    let replay: GatewayEvent[] = [];
    try {
      replay = await this.missedSince(lastEventId, client.filter);
    } catch (error) {
      this.logger.error({ err: error }, 'could not replay missed events; continuing live');
    }
    await client.release(replay);
  }

  detach(client: StreamClient): void {
    this.clients.delete(client);
    client.closed = true;
  }

  recentEvent(id: string): GatewayEvent | undefined {
    return this.recent.get(id);
  }

  private beatAll(): void {
    for (const client of this.clients) client.heartbeat();
  }

  private async missedSince(lastEventId: string, filter: StreamFilter): Promise<GatewayEvent[]> {
    const cursor = this.recent.get(lastEventId) ?? (await this.store.events.get(lastEventId));
    if (!cursor) {
      this.logger.debug({ lastEventId }, 'resume from an unknown event id; continuing live');
      return [];
    }
    const max = this.settings.maxReplay;
    if (max === 0) return [];
    return this.storedAndRecentAfter(cursor, filter, max);
  }

  /** The store may lag behind (events are stored in batches): the in-memory window fills the gap. */
  private async storedAndRecentAfter(
    cursor: EventCursor,
    filter: StreamFilter,
    max: number,
  ): Promise<GatewayEvent[]> {
    const lists: EventListFilter = filter;
    const stored = (await this.store.events.after(cursor, lists, max)).map(eventOfRecord);
    const byId = new Map(stored.map((event) => [event.id, event]));
    for (const event of this.recent.values()) {
      if (compareEvents(event, cursor) > 0 && matches(filter, event)) byId.set(event.id, event);
    }
    return [...byId.values()].sort(compareEvents).slice(0, max);
  }

  private onEvent(event: GatewayEvent): void {
    this.remember(event);
    const message: Message = { type: 'event', data: event };
    for (const client of this.clients) {
      if (matches(client.filter, event)) client.deliver(message);
    }
  }

  private remember(event: GatewayEvent): void {
    this.recent.set(event.id, event);
    if (this.recent.size > RECENT_EVENTS) this.recent.delete(this.recent.keys().next().value as string);
  }

  private onSnapshot(notice: SnapshotNotice): void {
    const event = this.recent.get(notice.eventId);
    const message: Message = { type: 'snapshot', data: notice };
    for (const client of this.clients) {
      if (wantsSnapshot(client.filter, notice, event)) client.deliver(message);
    }
  }
}

function limitsOf(settings: StreamSettings): Limits {
  return { maxQueuedMessages: settings.maxQueuedMessages, maxQueuedBytes: settings.maxQueuedBytes };
}
