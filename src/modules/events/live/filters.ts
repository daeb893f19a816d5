/** What a live-stream client asked for (`?deviceId=a,b&kind=...`), and whether a message matches it. */
import { InputError } from '../../../core/errors.ts';
import { EVENT_KINDS, type GatewayEvent } from '../../../core/events.ts';
import type { SnapshotNotice } from './messages.ts';
import type { FilterQuery } from './schemas.ts';

const MAX_FILTER_VALUES = 100;

export interface StreamFilter {
  deviceIds: string[];
  channelIds: string[];
  kinds: string[];
}

export function parseFilter(query: FilterQuery): StreamFilter {
  const filter = {
    deviceIds: commaList(query.deviceId, 'deviceId'),
    channelIds: commaList(query.channelId, 'channelId'),
    kinds: commaList(query.kind, 'kind'),
  };
  for (const kind of filter.kinds) assertKnownKind(kind);
  return filter;
}

export function assertKnownKind(kind: string): void {
  if ((EVENT_KINDS as readonly string[]).includes(kind)) return;
  throw new InputError(`Unknown event kind "${kind}"; known: ${EVENT_KINDS.join(', ')}.`, 'kind');
}

function commaList(text: string | undefined, field: string): string[] {
  const values = (text ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  if (values.length > MAX_FILTER_VALUES) throw new InputError(`At most ${MAX_FILTER_VALUES} values.`, field);
  return values;
}

export function matches(filter: StreamFilter, event: GatewayEvent): boolean {
  const within = (list: string[], value: string | null) =>
    list.length === 0 || (value !== null && list.includes(value));
  return (
    within(filter.deviceIds, event.deviceId) &&
    within(filter.channelIds, event.channelId) &&
    within(filter.kinds, event.kind)
  );
}

/** Pictures follow their event's filter; unknown events only reach clients filtering by device at most. */
export function wantsSnapshot(
  filter: StreamFilter,
  notice: SnapshotNotice,
  event: GatewayEvent | undefined,
): boolean {
  if (event) return matches(filter, event);
  return (
    filter.channelIds.length === 0 &&
    filter.kinds.length === 0 &&
    (filter.deviceIds.length === 0 || filter.deviceIds.includes(notice.deviceId))
  );
}
