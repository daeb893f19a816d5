/**
 * Assembles repositories over one database handle. The same assembly serves the root store
 * and transaction-bound stores; every repository call is wrapped so driver errors come out as
 * StoreErrors.
 */
import type { Kysely } from 'kysely';
import type { Codec } from './codec.ts';
import { translateError } from './errors.ts';
import { channelRepository } from './repositories/channels.ts';
import { cloudRepository } from './repositories/cloud.ts';
import type { RepoContext } from './repositories/context.ts';
import { deviceRepository } from './repositories/devices.ts';
import { doorbellSipRepository } from './repositories/doorbell-sip.ts';
import { entityRepository } from './repositories/entities.ts';
import { eventRepository } from './repositories/events.ts';
import { settingsRepository } from './repositories/settings.ts';
import { tokenRepository } from './repositories/tokens.ts';
import { userRepository } from './repositories/users.ts';
import { webhookQueueRepository } from './repositories/webhooks.ts';
import type { Database } from './schema.ts';
import type { Store } from './types.ts';

export interface StoreInternals {
  codec: Codec;
  /** PostgreSQL `host:port`, named in connection errors. */
  server?: string;
  /** Closes the root connection(s); absent on transaction-bound stores. */
  close?: () => Promise<void>;
}

export function buildStore(db: Kysely<Database>, internals: StoreInternals): Store {
  const context: RepoContext = { db, codec: internals.codec };
  const guard = <T extends object>(repo: T): T => guardRepository(repo, internals.server);
  const store: Store = {
    dialect: internals.codec.dialect,
    devices: guard(deviceRepository(context)),
    channels: guard(channelRepository(context)),
    entities: guard(entityRepository(context)),
    settings: guard(settingsRepository(context)),
    users: guard(userRepository(context)),
    tokens: guard(tokenRepository(context)),
    cloud: guard(cloudRepository(context)),
    events: guard(eventRepository(context)),
    webhooks: guard(webhookQueueRepository(context)),
    doorbellSip: guard(doorbellSipRepository(context)),

    /**
     * `work` must use the store it is given. The outer store waits for the transaction (SQLite:
     * the one connection is taken; PostgreSQL: row locks), so awaiting it inside can deadlock.
     * Nested calls join the enclosing transaction (no savepoints): all or nothing as a whole.
     */
    async transaction(work) {
      if (db.isTransaction) return work(store);
      try {
        return await db
          .transaction()
          .execute((trx) => work(buildStore(trx, { ...internals, close: undefined })));
      } catch (error) {
        throw translateError(error, internals.server);
      }
    },

    async close() {
      if (!internals.close) throw new Error('close() the root store, not a transaction-bound one');
      await internals.close();
    },
  };
  return store;
}

/** Wraps each method so driver errors are translated; the methods keep their signatures. */
function guardRepository<T extends object>(repo: T, server?: string): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repo)) {
    if (typeof member !== 'function') {
      guarded[name] = member;
      continue;
    }
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await member.apply(repo, args);
      } catch (error) {
        throw translateError(error, server);
      }
    };
  }
  return guarded as T;
}
