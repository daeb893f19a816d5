/** MQTT with Home Assistant discovery, on when `mqtt.url` names a broker. Topics and entities: README.md here. */
import { defineModule } from '../../core/module.ts';
import { devicesModule } from '../devices/index.ts';
import { MqttModule } from './module.ts';

export * from './module.ts';

export const mqttModule = defineModule({
  name: 'mqtt',
  // cloud.enabled too: with it off, cloud cameras are shown unavailable rather than as if served.
  settings: (config) => ({ ...config.mqtt, cloudEnabled: config.cloud.enabled }),
  create: ({ modules, gateway, settings, ...context }) => {
    if (!settings.url) return undefined;
    return new MqttModule({
      ...context,
      devices: modules.get(devicesModule),
      settings: { ...settings, url: settings.url, version: gateway.version, supportUrl: gateway.publicUrl },
    });
  },
});
