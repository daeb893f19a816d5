/** The events module's Prometheus counter: events announced, by kind and state. */
import { Counter, type Registry } from 'prom-client';
import type { Bus } from '../../core/bus.ts';

export function registerEventMetrics(registry: Registry, bus: Bus): void {
  const events = new Counter({
    name: 'hikbridge_events_total',
    help: 'Device events announced, by kind and state',
    labelNames: ['kind', 'state'],
    registers: [registry],
  });
  bus.on('event', (event) => events.inc({ kind: event.kind, state: event.state }));
}
