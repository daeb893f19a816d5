/** What the device routes need of the devices module, the store and the bus. */
import type { Bus, DeviceHealth } from '../../../core/bus.ts';
import type { DeviceRecord, Store } from '../../../core/store/types.ts';
import type { DoctorReport } from '../../../diagnostics/doctor.ts';
import type { CallAction, CallView } from '../calls.ts';
import type { DeviceRegistry } from '../registry.ts';
import type { TamperState } from '../tamper.ts';
import type { DeviceSnapshot, DoorCommand } from '../types.ts';
import type { ChannelViewType } from './schemas.ts';

/** What the routes need of the devices module. */
export interface DeviceOperations {
  readonly registry: DeviceRegistry;
  health(deviceId: string): DeviceHealth | undefined;
  snapshot(channelId: string, size?: { width?: number; height?: number }): Promise<DeviceSnapshot>;
  doctor(deviceId: string): Promise<DoctorReport>;
  refresh(deviceId: string): Promise<DeviceRecord>;
  retryLogin(deviceId: string): Promise<DeviceHealth>;
  doorCommand(deviceId: string, door: number, command?: DoorCommand): Promise<void>;
  callState(deviceId: string): Promise<CallView>;
  callAction(deviceId: string, action: CallAction): Promise<CallView>;
  tamperState(deviceId: string): Promise<TamperState>;
  resetTamper(deviceId: string): Promise<TamperState>;
  /** Channels of other modules (cloud cameras). */
  listExternalChannels(): Promise<ChannelViewType[]>;
  externalChannel(channelId: string): Promise<
    | {
        source: { setEnabled(channelId: string, enabled: boolean): Promise<ChannelViewType> };
        view: ChannelViewType;
      }
    | undefined
  >;
}

export interface DeviceRoutesDeps {
  devices: DeviceOperations;
  store: Store;
  bus: Bus;
  /** Time limit for one request to a device (the devices' setting), also the doctor's. */
  requestTimeoutMs: number;
}
