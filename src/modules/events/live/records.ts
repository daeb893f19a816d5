/** Stored events as the event model, and the order the store keeps them in. */
import type { GatewayEvent } from '../../../core/events.ts';
import type { EventCursor, EventRecord } from '../../../core/store/types.ts';

/** The stored form keeps the model's extra fields in `data` (see the events module). */
export function eventOfRecord(record: EventRecord): GatewayEvent {
  const data = record.data as Partial<GatewayEvent>;
  return {
    id: record.id,
    deviceId: record.deviceId,
    channelId: record.channelId,
    channelNo: data.channelNo ?? null,
    kind: record.kind as GatewayEvent['kind'],
    state: record.state,
    at: record.at,
    receivedAt: record.receivedAt,
    targets: data.targets ?? [],
    region: data.region ?? null,
    attributes: data.attributes ?? {},
    snapshotRef: data.snapshotRef ?? null,
  };
}

/** (receivedAt, id): the order of the store's history. */
export function compareEvents(a: EventCursor, b: EventCursor): number {
  const at = Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
  if (at !== 0) return at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
