/**
 * A device's entities (locks, contacts, tamper...) can be switched off by the user: a switched-off
 * entity leaves Home Assistant, and a switched-off tamper sensor reports its alarms as motion.
 * Existing entities stay on.
 */
import type { StoreMigration } from './columns.ts';

export const entityEnabled: StoreMigration = {
  async up(db, t) {
    const yes = t.bool === 'integer' ? 1 : true;
    await db.schema
      .alterTable('entities')
      .addColumn('enabled', t.bool, (c) => c.notNull().defaultTo(yes))
      .execute();
  },

  async down(db) {
    await db.schema.alterTable('entities').dropColumn('enabled').execute();
  },
};
