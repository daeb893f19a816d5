/**
 * The events module's Prometheus counters: events announced (by kind and state), alerts dropped
 * as replays (by reason) and device pictures refused (by reason). Nothing is dropped without
 * being counted here.
 */
import { Counter, type Registry } from 'prom-client';
import type { Bus } from '../../core/bus.ts';
import { DROP_REASONS, type DropReason } from './replays.ts';

export const PICTURE_REFUSALS = ['not-jpeg'] as const;
export type PictureRefusal = (typeof PICTURE_REFUSALS)[number];

export interface EventMetrics {
  dropped(reason: DropReason): void;
  pictureRefused(reason: PictureRefusal): void;
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
  const refused = new Counter({
    name: 'hikbridge_event_pictures_refused_total',
    help: 'Picture parts sent with device events and not saved, by reason (not-jpeg: the bytes are not a JPEG)',
    labelNames: ['reason'],
    registers,
  });
  // Every reason's series exists from the start at 0, so rates and alerts work before the first drop.
  for (const reason of DROP_REASONS) dropped.inc({ reason }, 0);
  for (const reason of PICTURE_REFUSALS) refused.inc({ reason }, 0);
  return {
    dropped: (reason) => dropped.inc({ reason }),
    pictureRefused: (reason) => refused.inc({ reason }),
  };
}
