import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../../src/core/store/types.ts';
import {
  CURRENT_SETTINGS_VERSION,
  migrateDeviceSettings,
  type SettingsMigration,
  SettingsVersionError,
} from '../../src/modules/devices/settings-version.ts';

const device = (settingsVersion: number) =>
  ({
    id: 'd1',
    name: 'Gate',
    settingsVersion,
    snapshotUrlOverride: 'http://10.0.0.9:81/pic',
    httpPortOverride: null,
  }) as DeviceRecord;

/** A plausible future change: a snapshot URL that only differed by port becomes a port override. */
const chain: SettingsMigration[] = [
  {
    from: 1,
    description: 'snapshot override on the same host becomes an HTTP port override',
    migrate: ({ device, channels }) => ({
      device: {
        ...device,
        httpPortOverride: Number(new URL(device.snapshotUrlOverride!).port),
        snapshotUrlOverride: null,
      },
      channels,
    }),
  },
  { from: 2, description: 'no-op step', migrate: (stored) => stored },
];

describe('device settings versions', () => {
  it('current devices are left alone', () => {
    const result = migrateDeviceSettings({ device: device(CURRENT_SETTINGS_VERSION), channels: [] });
    expect(result.applied).toEqual([]);
    expect(result.device.settingsVersion).toBe(CURRENT_SETTINGS_VERSION);
  });

  it('older devices are migrated step by step to the target version', () => {
    const result = migrateDeviceSettings({ device: device(1), channels: [] }, chain, 3);
    expect(result.device).toMatchObject({
      settingsVersion: 3,
      httpPortOverride: 81,
      snapshotUrlOverride: null,
    });
    expect(result.applied).toHaveLength(2);
  });

  it('a device saved by a newer hikbridge, or a gap in the chain, is refused clearly', () => {
    expect(() => migrateDeviceSettings({ device: device(9), channels: [] }, chain, 3)).toThrow(
      /newer hikbridge/,
    );
    expect(() => migrateDeviceSettings({ device: device(0), channels: [] }, chain, 3)).toThrow(
      SettingsVersionError,
    );
  });
});
