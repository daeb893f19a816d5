/** MQTT with Home Assistant discovery. Topic layout and entities: README.md in this folder. */
export { MqttModule, type MqttModuleDeps, type MqttSettings } from './module.ts';
