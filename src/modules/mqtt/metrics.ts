/**
 * The MQTT module's Prometheus metrics: whether the broker connection is up, and what was lost
 * while it was down (a ring is never sent late; pictures beyond the offline queue's bounds).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MessageKind } from './queue.ts';

export interface MqttMetrics {
  dropped(kind: MessageKind, count: number): void;
}

export function registerMqttMetrics(registry: Registry, connected: () => boolean): MqttMetrics {
  new Gauge({
    name: 'hikbridge_mqtt_connected',
    help: '1 while the MQTT broker connection is up, else 0',
    registers: [registry],
    collect() {
      this.set(connected() ? 1 : 0);
    },
  });
  const dropped = new Counter({
    name: 'hikbridge_mqtt_dropped_messages_total',
    help: 'Messages not delivered because the broker was away, by kind (event: doorbell rings; image: pictures)',
    labelNames: ['kind'],
    registers: [registry],
  });
  // Present from the start at 0, so a rate() or an alert sees the series before the first loss.
  for (const kind of ['event', 'image'] as const) dropped.inc({ kind }, 0);
  return { dropped: (kind, count) => dropped.inc({ kind }, count) };
}
