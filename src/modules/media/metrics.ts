/** The media module's Prometheus gauges: engine up, restarts, paths kept. */
import { Gauge, type Registry } from 'prom-client';

export function registerMediaMetrics(
  registry: Registry,
  status: () => { state: string; restarts: number; paths: number },
): void {
  new Gauge({
    name: 'hikbridge_media_up',
    help: '1 while MediaMTX runs and answers (supervised or external), else 0',
    registers: [registry],
    collect() {
      this.set(['running', 'external', 'file'].includes(status().state) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'hikbridge_media_restarts',
    help: 'Times the supervised MediaMTX died and was restarted since start',
    registers: [registry],
    collect() {
      this.set(status().restarts);
    },
  });
  new Gauge({
    name: 'hikbridge_media_paths',
    help: 'MediaMTX paths hikbridge keeps (camera streams and talk sessions)',
    registers: [registry],
    collect() {
      this.set(status().paths);
    },
  });
}
