/** Which events a subscription wants. */
import type { GatewayEvent } from '../../core/events.ts';
import type { EventSelection } from './settings.ts';

/** Every list given must contain the event's value; absent or empty lists match everything. */
export function selects(selection: EventSelection, event: GatewayEvent): boolean {
  return (
    within(selection.kinds, event.kind) &&
    within(selection.deviceIds, event.deviceId) &&
    within(selection.channelIds, event.channelId) &&
    within(selection.states, event.state)
  );
}

function within(list: readonly string[] | undefined, value: string | null): boolean {
  if (!list || list.length === 0) return true;
  return value !== null && list.includes(value);
}
