/**
 * Every topic hikbridge uses, in one place (see README.md in this folder for the layout).
 *
 * Devices are addressed by their store id, not their name: a rename in the UI must not move
 * every topic (Home Assistant automations, Node-RED flows and retained messages would break).
 */

/** The segment after the base topic that belongs to the bridge itself (device ids are UUIDs). */
const BRIDGE = 'bridge';
/** The segment under which cloud cameras hang: `<base>/cloud/<cameraId>/...` (no device id is `cloud`). */
const CLOUD = 'cloud';

/**
 * The `deviceId` parameters below take a node: a device's store id, or `cloud/<cameraId>` for a
 * cloud camera (see cloudNode), so every entity topic has one shape: `<base>/<node>/<key>/...`.
 */
export class Topics {
  constructor(
    readonly base: string,
    readonly discoveryPrefix: string,
  ) {}

  /** `online`/`offline`, retained, and the Last Will. */
  bridgeState(): string {
    return `${this.base}/${BRIDGE}/state`;
  }

  availability(deviceId: string): string {
    return `${this.base}/${deviceId}/availability`;
  }

  /** Everything under one device (used to forget cached states of a removed device). */
  devicePrefix(deviceId: string): string {
    return `${this.base}/${deviceId}/`;
  }

  state(deviceId: string, key: string): string {
    return `${this.base}/${deviceId}/${key}/state`;
  }

  attributes(deviceId: string, key: string): string {
    return `${this.base}/${deviceId}/${key}/attributes`;
  }

  command(deviceId: string, key: string): string {
    return `${this.base}/${deviceId}/${key}/set`;
  }

  /** What the command handler subscribes to: every entity's `.../set`. */
  commandFilter(): string {
    return `${this.base}/+/+/set`;
  }

  /** Frigate-style plain topic for users without Home Assistant: ON/OFF. */
  plainMotion(deviceId: string, channelNo: number): string {
    return `${this.base}/${deviceId}/${channelNo}/motion`;
  }

  /** Frigate-style raw JPEG of the channel; also the `image_topic` of the HA image entity. */
  plainSnapshot(deviceId: string, channelNo: number): string {
    return `${this.base}/${deviceId}/${channelNo}/snapshot`;
  }

  /** The node of a cloud camera: its topics are `<base>/cloud/<cameraId>/...`. */
  cloudNode(cameraId: string): string {
    return `${CLOUD}/${cameraId}`;
  }

  /** Raw JPEG of a cloud camera; also the `image_topic` of its HA image entity. */
  cloudSnapshot(cameraId: string): string {
    return `${this.base}/${CLOUD}/${cameraId}/snapshot`;
  }

  /** Commands to cloud camera entities (one level deeper than the devices' `commandFilter`). */
  cloudCommandFilter(): string {
    return `${this.base}/${CLOUD}/+/+/set`;
  }

  discoveryConfig(component: string, nodeId: string, objectId: string): string {
    return `${this.discoveryPrefix}/${component}/${nodeId}/${objectId}/config`;
  }

  /** Home Assistant's birth/will topic. */
  homeAssistantStatus(): string {
    return `${this.discoveryPrefix}/status`;
  }

  /**
   * `<base>/<deviceId>/<key>/set` or `<base>/cloud/<cameraId>/<key>/set` → the node (the
   * device id, or `cloud/<cameraId>`) and the key; undefined for anything else.
   */
  parseCommand(topic: string): { deviceId: string; key: string } | undefined {
    const prefix = `${this.base}/`;
    if (!topic.startsWith(prefix) || !topic.endsWith('/set')) return undefined;
    const parts = topic.slice(prefix.length, -'/set'.length).split('/');
    const [first, second, third] = parts;
    if (parts.length === 3 && first === CLOUD && second && third) {
      return { deviceId: this.cloudNode(second), key: third };
    }
    if (parts.length !== 2 || !first || !second || first === BRIDGE || first === CLOUD) return undefined;
    return { deviceId: first, key: second };
  }
}
