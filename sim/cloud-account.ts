/**
 * The simulated cloud account's devices and cameras, and the changes tests make to them while
 * a client runs (offline, removed, added, renamed). Each camera keeps its resource id for as long
 * as it exists; a camera removed and added again is a new resource with a new id, as a camera
 * re-added to a real account would be.
 */
import { randomBytes } from 'node:crypto';
import { SimInputError } from './validate.ts';

export interface SimCloudCamera {
  name: string;
  channelNo: number;
  online?: boolean;
}

export interface SimCloudDevice {
  serialNumber: string;
  name: string;
  category?: string;
  online?: boolean;
  /** Stream encryption on: live addresses need this verification code. */
  verificationCode?: string;
  cameras: SimCloudCamera[];
}

export interface Resource {
  id: string;
  device: SimCloudDevice;
  deviceId: string;
  camera: SimCloudCamera;
}

export class CloudAccount {
  /** Our own copies: the caller's objects are never changed, and changing them changes nothing. */
  readonly devices: SimCloudDevice[];
  private readonly deviceIds = new Map<SimCloudDevice, string>();
  private readonly resourceIds = new Map<SimCloudCamera, string>();

  constructor(devices: SimCloudDevice[]) {
    this.devices = devices.map((device) => ({
      ...device,
      cameras: device.cameras.map((camera) => ({ ...camera })),
    }));
    for (const device of this.devices) {
      if (this.devices.filter((d) => d.serialNumber === device.serialNumber).length > 1)
        throw new SimInputError(`serial number ${device.serialNumber} is used twice`);
      this.deviceIds.set(device, randomBytes(8).toString('hex'));
      for (const camera of device.cameras) this.checkNewCamera(device, camera, device.cameras);
    }
  }

  deviceId(device: SimCloudDevice): string {
    return this.deviceIds.get(device)!;
  }

  /** Every camera as a resource, in device order then camera order (the order lists come in). */
  resources(serialNumber?: string): Resource[] {
    const devices = serialNumber ? this.devices.filter((d) => d.serialNumber === serialNumber) : this.devices;
    return devices.flatMap((device) => device.cameras.map((camera) => this.resourceOf(device, camera)));
  }

  findResource(id: unknown): Resource | undefined {
    return this.resources().find((resource) => resource.id === id);
  }

  /** The camera behind a stream name `SERIAL_<channel>_<quality>`, if it still exists. */
  findStream(serialNumber: string, channelNo: number): Resource | undefined {
    const device = this.devices.find((d) => d.serialNumber === serialNumber);
    const camera = device?.cameras.find((c) => c.channelNo === channelNo);
    return device && camera ? this.resourceOf(device, camera) : undefined;
  }

  setDeviceOnline(serialNumber: string, online: boolean): void {
    this.device(serialNumber).online = online;
  }

  setCameraOnline(serialNumber: string, channelNo: number, online: boolean): void {
    this.camera(serialNumber, channelNo).online = online;
  }

  renameCamera(serialNumber: string, channelNo: number, name: string): void {
    if (typeof name !== 'string' || name === '') throw new SimInputError('name must be a non-empty string');
    this.camera(serialNumber, channelNo).name = name;
  }

  removeCamera(serialNumber: string, channelNo: number): void {
    const device = this.device(serialNumber);
    const camera = this.camera(serialNumber, channelNo);
    device.cameras.splice(device.cameras.indexOf(camera), 1);
    this.resourceIds.delete(camera);
  }

  addCamera(serialNumber: string, camera: SimCloudCamera): void {
    const device = this.device(serialNumber);
    const copy = { ...camera };
    this.checkNewCamera(device, copy, [...device.cameras, copy]);
    device.cameras.push(copy);
  }

  private resourceOf(device: SimCloudDevice, camera: SimCloudCamera): Resource {
    let id = this.resourceIds.get(camera);
    if (!id) {
      id = randomBytes(16).toString('hex');
      this.resourceIds.set(camera, id);
    }
    return { id, device, deviceId: this.deviceId(device), camera };
  }

  private device(serialNumber: string): SimCloudDevice {
    const device = this.devices.find((d) => d.serialNumber === serialNumber);
    if (!device) throw new SimInputError(`no device with serial number ${String(serialNumber)}`);
    return device;
  }

  private camera(serialNumber: string, channelNo: number): SimCloudCamera {
    const camera = this.device(serialNumber).cameras.find((c) => c.channelNo === channelNo);
    if (!camera)
      throw new SimInputError(`device ${serialNumber} has no camera on channel ${String(channelNo)}`);
    return camera;
  }

  private checkNewCamera(device: SimCloudDevice, camera: SimCloudCamera, cameras: SimCloudCamera[]): void {
    if (!Number.isInteger(camera.channelNo) || camera.channelNo < 1)
      throw new SimInputError('channelNo must be a whole number from 1');
    if (typeof camera.name !== 'string' || camera.name === '')
      throw new SimInputError('camera name must be a non-empty string');
    if (cameras.filter((c) => c.channelNo === camera.channelNo).length > 1)
      throw new SimInputError(
        `device ${device.serialNumber} already has a camera on channel ${camera.channelNo}`,
      );
  }
}
