/**
 * The migrations, in code (no directory scanning, so bundling and tsx both work). Names sort in
 * the order they apply; never rename or reorder an existing entry, only append.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../codec.ts';
import { devices } from './0001_devices.ts';
import { auth } from './0002_auth.ts';
import { cloud } from './0003_cloud.ts';
import { events } from './0004_events.ts';
import { webhooks } from './0005_webhooks.ts';
import { cloudImport } from './0006_cloud_import.ts';
import { entityEnabled } from './0007_entity_enabled.ts';
import { doorbellSip } from './0008_doorbell_sip.ts';
import { channelKeepWarm } from './0009_channel_keep_warm.ts';
import { columnTypes, type StoreMigration } from './columns.ts';

const MIGRATIONS: Record<string, StoreMigration> = {
  '0001_devices': devices,
  '0002_auth': auth,
  '0003_cloud': cloud,
  '0004_events': events,
  '0005_webhooks': webhooks,
  '0006_cloud_import': cloudImport,
  '0007_entity_enabled': entityEnabled,
  '0008_doorbell_sip': doorbellSip,
  '0009_channel_keep_warm': channelKeepWarm,
};

export const MIGRATION_NAMES = Object.keys(MIGRATIONS);

export class InCodeMigrationProvider implements MigrationProvider {
  readonly #dialect: Dialect;

  constructor(dialect: Dialect) {
    this.#dialect = dialect;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const types = columnTypes(this.#dialect);
    const entries = Object.entries(MIGRATIONS).map(([name, migration]): [string, Migration] => [
      name,
      { up: (db) => migration.up(db, types), down: (db) => migration.down(db) },
    ]);
    return Object.fromEntries(entries);
  }
}
