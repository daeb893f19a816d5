/** Types other modules use when they ask the devices module for something. */
import type { Snapshot } from '../../protocols/isapi/snapshot.ts';

/** A picture and where it came from: the device (ISAPI, NVR proxy, override) or the live stream. */
export type DeviceSnapshot = Omit<Snapshot, 'source'> & { source: Snapshot['source'] | 'stream' };

/** ISAPI RemoteControl/door commands. */
export type DoorCommand = 'open' | 'close' | 'alwaysOpen' | 'alwaysClose' | 'resume';
