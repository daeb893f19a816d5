/** Prometheus metrics served at /metrics. */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { DeviceHealth } from '../../core/bus.ts';

export interface MetricsSources {
  /** Current health of every device. */
  health(): DeviceHealth[];
  /** The media engine, when live video is on. */
  media?(): { state: string; restarts: number; paths: number };
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly deviceErrors: Counter<'code'>;
  readonly events: Counter<'kind' | 'state'>;

  constructor(sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'hikbridge_' });
    new Gauge({
      name: 'hikbridge_devices',
      help: 'Devices by connection state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const health of sources.health()) this.inc({ state: health.state });
      },
    });
    const media = sources.media;
    if (media) {
      new Gauge({
        name: 'hikbridge_media_up',
        help: '1 while MediaMTX runs and answers (supervised or external), else 0',
        registers: [this.registry],
        collect() {
          this.set(['running', 'external', 'file'].includes(media().state) ? 1 : 0);
        },
      });
      new Gauge({
        name: 'hikbridge_media_restarts',
        help: 'Times the supervised MediaMTX died and was restarted since start',
        registers: [this.registry],
        collect() {
          this.set(media().restarts);
        },
      });
      new Gauge({
        name: 'hikbridge_media_paths',
        help: 'MediaMTX paths hikbridge keeps (camera streams and talk sessions)',
        registers: [this.registry],
        collect() {
          this.set(media().paths);
        },
      });
    }
    this.httpRequests = new Counter({
      name: 'hikbridge_http_requests_total',
      help: 'HTTP API requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.events = new Counter({
      name: 'hikbridge_events_total',
      help: 'Device events announced, by kind and state',
      labelNames: ['kind', 'state'],
      registers: [this.registry],
    });
    this.deviceErrors = new Counter({
      name: 'hikbridge_device_errors_total',
      help: 'Device problems seen by the supervisor, by error code',
      labelNames: ['code'],
      registers: [this.registry],
    });
  }
}
