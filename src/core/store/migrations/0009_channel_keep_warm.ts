/**
 * A channel can be kept warm: MediaMTX pulls the stream the live wall shows all the time instead
 * of on demand, so a viewer's first frame comes at once (a camera stream more, always running).
 * Off for every existing channel.
 */
import type { StoreMigration } from './columns.ts';

export const channelKeepWarm: StoreMigration = {
  async up(db, t) {
    const no = t.bool === 'integer' ? 0 : false;
    await db.schema
      .alterTable('channels')
      .addColumn('keep_warm', t.bool, (c) => c.notNull().defaultTo(no))
      .execute();
  },

  async down(db) {
    await db.schema.alterTable('channels').dropColumn('keep_warm').execute();
  },
};
