/** What the HikCentral Connect client returns, normalised from the API's loosely typed JSON. */

export interface HccDevice {
  id: string;
  name: string;
  serialNumber: string;
  category: string;
  type: string;
  firmwareVersion: string;
  timeZone: string;
  online: boolean;
}

export interface HccCamera {
  /** The camera's resourceId, which the live-address call wants. */
  id: string;
  name: string;
  online: boolean;
  areaId: string;
  areaName: string;
  deviceId: string;
  deviceSerial: string;
  deviceCategory: string;
  channelNo: number;
}

export interface LiveAddressRequest {
  resourceId: string;
  deviceSerial: string;
  protocol: 'rtmp' | 'hls' | 'ezopen';
  quality: 'main' | 'sub';
  /** How long the URL must stay valid, in seconds (30 s to 720 days). */
  expireSeconds: number;
  /** The device's verification code, when stream encryption is on. */
  code?: string;
}

export interface LiveAddress {
  id: string;
  url: string;
  /** When the URL stops working (epoch ms; the API answers milliseconds here). */
  expiresAt: number;
}

type Json = Record<string, unknown>;

const str = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '';
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});
/** Online flags come as 1/0, "1"/"0" or booleans. */
const flag = (value: unknown): boolean => value === true || value === 1 || value === '1' || value === 'true';

export function toDevice(row: Json): HccDevice {
  return {
    id: str(row.id),
    name: str(row.name),
    serialNumber: str(row.serialNo),
    category: str(row.category),
    type: str(row.type),
    firmwareVersion: str(row.version),
    timeZone: str(row.timeZone),
    online: flag(row.onlineStatus),
  };
}

export function toCamera(row: Json): HccCamera {
  const area = obj(row.area);
  const device = obj(row.device);
  const devInfo = obj(device.devInfo);
  const channel = obj(device.channelInfo);
  return {
    id: str(row.id),
    name: str(row.name),
    online: flag(row.online),
    areaId: str(area.id),
    areaName: str(area.name),
    deviceId: str(devInfo.id),
    deviceSerial: str(devInfo.serialNo),
    deviceCategory: str(devInfo.category),
    channelNo: Number(channel.no) || 1,
  };
}
