/**
 * The events module's Prometheus counters: events announced (by kind and state) and alerts
 * dropped as replays (by reason). Nothing is dropped without being counted here.
 */
import { Counter, type Registry } from 'prom-client';
import type { Bus } from '../../core/bus.ts';
import { DROP_REASONS, type DropReason } from './replays.ts';

export interface EventMetrics {
  dropped(reason: DropReason): void;
}

/** Without a registry (tests) the counters still count, unseen. */
export function registerEventMetrics(registry: Registry | undefined, bus: Bus): EventMetrics {
  const registers = registry ? [registry] : [];
  if (registry) {
    const events = new Counter({
      name: 'hikbridge_events_total',
      help: 'Device events announced, by kind and state',
      labelNames: ['kind', 'state'],
      registers,
    });
    bus.on('event', (event) => events.inc({ kind: event.kind, state: event.state }));
  }
  const dropped = new Counter({
    name: 'hikbridge_events_dropped_total',
    help:
      'Device alerts dropped as replays, by reason: retransmitted (marked so by the device), ' +
      "before-stream (device time, by the device's own clock, before the stream opened), too-old " +
      '(older than events.maxEventAgeSeconds by that clock)',
    labelNames: ['reason'],
    registers,
  });
  // Every reason's series exists from the start at 0, so rates and alerts work before the first drop.
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
  return {
    dropped: (reason) => dropped.inc({ reason }),
  };
}
