/**
 * Versioned device settings. When a release changes how device settings are stored, it adds a
 * migration here and bumps CURRENT_SETTINGS_VERSION; stored devices are upgraded at start-up
 * instead of users having to remove and re-add them (the doorbell plugin's 1.x -> 2.x pain).
 */
import type { ChannelRecord, DeviceRecord } from '../../core/store/types.ts';

export const CURRENT_SETTINGS_VERSION = 1;

export interface StoredDevice {
  device: DeviceRecord;
  channels: ChannelRecord[];
}

export interface SettingsMigration {
  /** Version this step upgrades from; it produces `from + 1`. */
  from: number;
  description: string;
  migrate(stored: StoredDevice): StoredDevice;
}

/** The real migration chain. Version 1 is the first stored layout, so there is nothing to migrate yet. */
export const SETTINGS_MIGRATIONS: SettingsMigration[] = [];

export class SettingsVersionError extends Error {}

export interface MigrationResult extends StoredDevice {
  applied: string[];
}

/** Upgrades one stored device to `target`, step by step. Unchanged input when it is current. */
export function migrateDeviceSettings(
  stored: StoredDevice,
  migrations: SettingsMigration[] = SETTINGS_MIGRATIONS,
  target: number = CURRENT_SETTINGS_VERSION,
): MigrationResult {
  const version = stored.device.settingsVersion;
  if (version > target) {
    throw new SettingsVersionError(
      `device "${stored.device.name}" was saved by a newer hikbridge (settings version ${version}, this one knows ${target}); upgrade hikbridge`,
    );
  }
  let current = stored;
  const applied: string[] = [];
  for (let from = version; from < target; from++) {
    const step = migrations.find((m) => m.from === from);
    if (!step) throw new SettingsVersionError(`no migration from device settings version ${from}`);
    const next = step.migrate(current);
    current = { device: { ...next.device, settingsVersion: from + 1 }, channels: next.channels };
    applied.push(`${from}->${from + 1}: ${step.description}`);
  }
  return { ...current, applied };
}
