/** The devices module's Prometheus metrics: devices by connection state, and device problems. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Bus, DeviceHealth } from '../../core/bus.ts';

export function registerDeviceMetrics(registry: Registry, bus: Bus, allHealth: () => DeviceHealth[]): void {
  new Gauge({
    name: 'hikbridge_devices',
    help: 'Devices by connection state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const health of allHealth()) this.inc({ state: health.state });
    },
  });
  const errors = new Counter({
    name: 'hikbridge_device_errors_total',
    help: 'Device problems seen by the supervisor, by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  bus.on('device.health', (health) => {
    if (health.lastErrorCode) errors.inc({ code: health.lastErrorCode });
  });
}
