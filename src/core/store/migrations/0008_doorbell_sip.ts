/**
 * How each doorbell takes its calls over SIP: off (ring from polling only), as a phone on the
 * user's PBX, or with hikbridge as the doorbell's SIP server. The PBX password (or the digest
 * password doorbells must give us) is encrypted like device passwords; the rest is settings.
 */
import type { StoreMigration } from './columns.ts';

export const doorbellSip: StoreMigration = {
  async up(db, t) {
    await db.schema
      .createTable('doorbell_sip')
      .addColumn('device_id', 'text', (c) => c.primaryKey().references('devices.id').onDelete('cascade'))
      .addColumn('mode', 'text', (c) => c.notNull())
      .addColumn('emulate', t.json, (c) => c.notNull())
      .addColumn('client', t.json)
      .addColumn('password_enc', 'text')
      .addColumn('updated_at', t.time, (c) => c.notNull())
      .execute();
  },

  async down(db) {
    await db.schema.dropTable('doorbell_sip').execute();
  },
};
