import { nowIso } from '../codec.ts';
import type { SettingsRepository } from '../types.ts';
import type { RepoContext } from './context.ts';

export function settingsRepository({ db, codec }: RepoContext): SettingsRepository {
  return {
    async get<T = unknown>(key: string) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row ? (codec.read('json', row.value) as T) : undefined;
    },

    async set(key, value) {
      // JSON has no undefined: setting undefined removes the key, so get() says undefined again.
      if (value === undefined) {
        await db.deleteFrom('settings').where('key', '=', key).execute();
        return;
      }
      const row = { key, value: JSON.stringify(value), updated_at: codec.write('time', nowIso()) as string };
      await db
        .insertInto('settings')
        .values(row)
        .onConflict((conflict) =>
          conflict.column('key').doUpdateSet({ value: row.value, updated_at: row.updated_at }),
        )
        .execute();
    },
  };
}
