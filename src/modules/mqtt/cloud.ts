/**
 * Cloud cameras (HikCentral Connect) as Home Assistant sees them: one HA device per cloud device
 * (account + serial), and per camera a picture, a button to take one, the cloud's `online` and
 * the camera's status word. Built from the store's records alone; the live URL and the stream
 * code stop at publicCamera, so no config, state or attribute can carry them.
 */
import { MASK, redactSecretsInText } from '../../core/logger/redact.ts';
import type { CloudAccountRecord, CloudCameraRecord, CloudCameraStatus } from '../../core/store/types.ts';
import { type DiscoveryMessage, type Origin, roleConfig } from './discovery.ts';
import type { Component, EntityRole, EntitySpec } from './entities.ts';
import type { Topics } from './topics.ts';

/** What MQTT may know of a cloud camera: no live URL, no stream code. */
export interface CloudCamera {
  id: string;
  accountId: string;
  deviceSerial: string;
  channelNo: number;
  name: string;
  online: boolean;
  status: CloudCameraStatus;
  lastError: string | null;
  area: string | null;
  deviceName: string | null;
  deviceModel: string | null;
  deviceCategory: string | null;
}

export interface CloudCameraView {
  camera: CloudCamera;
  /** `cloud/<cameraId>`: what its topics hang under (Topics.cloudNode). */
  node: string;
  /** The HA device block: the cloud device the camera belongs to. */
  device: Record<string, unknown>;
  entities: EntitySpec[];
}

export interface CloudAccountView {
  accountId: string;
  /** Whether hikbridge serves the account's cameras (the account and `cloud.enabled` are on). */
  available: boolean;
  /** Enabled cameras the cloud still lists: removed and disabled ones get no entities. */
  cameras: CloudCameraView[];
}

export interface StateMessage {
  topic: string;
  payload: string;
}

/** The discovery node of a camera's entities: `<prefix>/<component>/hikbridge_cloud_<cameraId>/<key>/config`. */
export function cloudNodeId(cameraId: string): string {
  return `hikbridge_cloud_${cameraId}`;
}

/** The HA device of a cloud device: the serial is what the cloud and the label call it. */
export function cloudDeviceIdentifier(deviceSerial: string): string {
  return `hikbridge_cloud_${deviceSerial}`;
}

export function buildCloudAccountView(
  account: Pick<CloudAccountRecord, 'id' | 'enabled'>,
  records: CloudCameraRecord[],
  cloudEnabled: boolean,
  topics: Topics,
): CloudAccountView {
  const active = records
    .filter((record) => record.accountId === account.id && record.enabled && !record.removedAt)
    .map(publicCamera)
    .sort((a, b) => a.deviceSerial.localeCompare(b.deviceSerial) || a.channelNo - b.channelNo);
  const bySerial = new Map<string, CloudCamera[]>();
  for (const camera of active) {
    const group = bySerial.get(camera.deviceSerial);
    if (group) group.push(camera);
    else bySerial.set(camera.deviceSerial, [camera]);
  }
  const cameras: CloudCameraView[] = [];
  for (const group of bySerial.values()) {
    // The first camera speaks for the device: every config of the device carries the same block.
    const device = haDevice(group[0] as CloudCamera);
    for (const camera of group) {
      cameras.push({
        camera,
        node: topics.cloudNode(camera.id),
        device,
        entities: cameraEntities(camera, group.length > 1),
      });
    }
  }
  return { accountId: account.id, available: cloudEnabled && account.enabled, cameras };
}

/** The record without its secrets; the last error masked in case one slipped into it. */
export function publicCamera(record: CloudCameraRecord): CloudCamera {
  const text = (name: string) => {
    const value = record.attributes[name];
    return typeof value === 'string' && value ? value : null;
  };
  return {
    id: record.id,
    accountId: record.accountId,
    deviceSerial: record.deviceSerial,
    channelNo: record.channelNo,
    name: record.name,
    online: record.online,
    status: record.status,
    lastError: record.lastError === null ? null : withoutSecrets(record.lastError, record),
    area: text('area'),
    deviceName: text('deviceName'),
    deviceModel: text('deviceModel'),
    deviceCategory: text('deviceCategory'),
  };
}

const LIVE_URL = /\brtmps?:\/\/\S+/gi;

/** The cloud module words its errors without secrets; a slip must still not reach the broker. */
function withoutSecrets(text: string, record: Pick<CloudCameraRecord, 'url' | 'streamCode'>): string {
  let clean = text;
  for (const secret of [record.url, record.streamCode]) {
    if (secret) clean = clean.split(secret).join(MASK);
  }
  return redactSecretsInText(clean).replace(LIVE_URL, MASK);
}

function haDevice(camera: CloudCamera): Record<string, unknown> {
  return {
    identifiers: [cloudDeviceIdentifier(camera.deviceSerial)],
    name: camera.deviceName ?? camera.deviceSerial,
    manufacturer: 'Hikvision',
    model: camera.deviceModel ?? camera.deviceCategory ?? 'Cloud camera',
    serial_number: camera.deviceSerial,
    ...(camera.area ? { suggested_area: camera.area } : {}),
  };
}

/** `shared`: several cameras on one cloud device (an NVR) need the camera in the entity name. */
function cameraEntities(camera: CloudCamera, shared: boolean): EntitySpec[] {
  const prefix = shared ? `${camera.name} ` : '';
  const channel = { channelNo: camera.channelNo, channelId: camera.id };
  const entity = (key: string, component: Component, name: string, role: EntityRole): EntitySpec => ({
    key,
    component,
    name: `${prefix}${name}`,
    channelDevice: null,
    role,
  });
  return [
    entity('snapshot', 'image', 'Snapshot', { type: 'snapshot', ...channel }),
    entity('take_snapshot', 'button', 'Take snapshot', { type: 'take-snapshot', ...channel }),
    entity('online', 'binary_sensor', 'Online', { type: 'connectivity' }),
    entity('status', 'sensor', 'Cloud status', { type: 'cloud-status' }),
  ];
}

export function cloudDiscoveryMessages(
  view: CloudCameraView,
  topics: Topics,
  origin: Origin,
): DiscoveryMessage[] {
  const node = cloudNodeId(view.camera.id);
  return view.entities.map((entity) => ({
    topic: topics.discoveryConfig(entity.component, node, entity.key),
    payload: {
      name: entity.name,
      unique_id: `${node}_${entity.key}`,
      device: view.device,
      origin,
      availability: [{ topic: topics.bridgeState() }, { topic: topics.availability(view.node) }],
      availability_mode: 'all',
      payload_available: 'online',
      payload_not_available: 'offline',
      qos: 1,
      ...cloudRoleConfig(view, entity, topics),
    },
  }));
}

function cloudRoleConfig(view: CloudCameraView, entity: EntitySpec, topics: Topics): Record<string, unknown> {
  // A cloud camera is one channel: its picture topic needs no channel number.
  if (entity.role.type === 'snapshot') {
    return { image_topic: topics.cloudSnapshot(view.camera.id), content_type: 'image/jpeg' };
  }
  return roleConfig(view.node, entity, topics);
}

/** The camera's states: `online` ON/OFF, the status word, its last error as an attribute. */
export function cloudStates(view: CloudCameraView, topics: Topics): StateMessage[] {
  const { camera, node } = view;
  const attributes = {
    last_error: camera.lastError,
    device_serial: camera.deviceSerial,
    channel_no: camera.channelNo,
    area: camera.area,
  };
  return [
    { topic: topics.state(node, 'online'), payload: camera.online ? 'ON' : 'OFF' },
    { topic: topics.state(node, 'status'), payload: camera.status },
    { topic: topics.attributes(node, 'status'), payload: JSON.stringify(attributes) },
  ];
}

/** Every topic of a cloud camera that may hold a retained message (cleared when it goes). */
export function cloudRetainedTopics(view: CloudCameraView, topics: Topics): string[] {
  return [
    topics.availability(view.node),
    ...cloudStates(view, topics).map((state) => state.topic),
    topics.cloudSnapshot(view.camera.id),
  ];
}
