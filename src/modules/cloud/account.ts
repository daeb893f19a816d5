/**
 * One HikCentral Connect account at work: its own client (token, 5 calls/s budget), its syncs
 * and its renewal rounds, one at a time, so the two never spend the budget twice over.
 */
import type { Dispatcher } from 'undici';
import type { Logger } from '../../core/logger.ts';
import type { CloudAccountRecord, CloudSyncOutcome, Store } from '../../core/store/types.ts';
import { type Clock, HccClient } from '../../protocols/hcc/index.ts';
import type { LiveSources } from './live-sources.ts';
import { AccountTrouble, Renewer } from './renewal.ts';
import { syncAccount } from './sync.ts';
import type { CloudSettings, SyncProgress } from './types.ts';

export interface AccountRunnerDeps {
  store: Store;
  logger: Logger;
  settings: CloudSettings;
  clock: Clock;
  sources: LiveSources;
  dispatcher?: Dispatcher;
  /** Cameras of this account changed (list, status, URL applied). */
  onChanged(accountId: string): void;
}

const CALLS_PER_SECOND = 5;

/**
 * The one client of an account: it holds the token and the 5 calls/s budget, so every call for
 * the account (the check before saving it included) goes through it.
 */
export function accountClient(
  account: Pick<CloudAccountRecord, 'appKey' | 'appSecret' | 'baseUrl'>,
  deps: Pick<AccountRunnerDeps, 'settings' | 'clock' | 'dispatcher'>,
): HccClient {
  return new HccClient({
    appKey: account.appKey,
    secretKey: account.appSecret,
    baseUrl: account.baseUrl || deps.settings.defaultBaseUrl,
    timeoutMs: deps.settings.requestTimeoutMs,
    requestsPerSecond: CALLS_PER_SECOND,
    clock: deps.clock,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
  });
}
/** Longest sleep between renewal rounds: long timers drift, and a wake-up is cheap. */
const MAX_IDLE_MS = 60 * 60_000;
const TROUBLE_MIN_MS = 30_000;
const TROUBLE_MAX_MS = 15 * 60_000;

export interface AccountState {
  /** The running sync, or the last one's final progress. */
  sync: SyncProgress | null;
  /** Why the cloud could not be used lately (key refused, unreachable), in words. */
  trouble: string | null;
  nextRenewalAt: string | null;
}

export class AccountRunner {
  readonly client: HccClient;
  readonly renewer: Renewer;
  private record: CloudAccountRecord;
  private work: Promise<unknown> = Promise.resolve();
  private running: Promise<CloudSyncOutcome> | undefined;
  private progress: SyncProgress | null = null;
  private trouble: { message: string; count: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private nextDue: number | undefined;
  private stopped = true;

  /** `client`: one that already has the account's token (the check before saving it). */
  constructor(
    account: CloudAccountRecord,
    private readonly deps: AccountRunnerDeps,
    client?: HccClient,
  ) {
    this.record = account;
    this.client = client ?? accountClient(account, deps);
    this.renewer = new Renewer(() => this.record, {
      store: deps.store,
      logger: deps.logger,
      settings: deps.settings,
      clock: deps.clock,
      client: this.client,
      sources: deps.sources,
      onChanged: () => deps.onChanged(this.record.id),
    });
  }

  get account(): CloudAccountRecord {
    return this.record;
  }

  /** Settings that do not need a new client (name, quality). */
  setRecord(account: CloudAccountRecord): void {
    this.record = account;
  }

  state(): AccountState {
    return {
      sync: this.progress,
      trouble: this.trouble?.message ?? null,
      nextRenewalAt: this.nextDue === undefined ? null : new Date(this.nextDue).toISOString(),
    };
  }

  /** Starts renewal rounds, and a first sync when the account never had one (unless told not to). */
  start(options: { firstSync?: boolean } = {}): void {
    this.stopped = false;
    this.schedule(0);
    const every = this.deps.settings.resyncMinutes * 60_000;
    const last = this.record.lastSync ? Date.parse(this.record.lastSync.finishedAt) : undefined;
    if (last === undefined) {
      if (options.firstSync !== false) this.syncInBackground();
    } else if (every > 0) {
      this.scheduleResync(Math.max(0, last + every - this.deps.clock.now()));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.resyncTimer);
    await this.work.catch(() => {});
  }

  /** Runs a sync, or joins the one running. */
  sync(): Promise<CloudSyncOutcome> {
    this.running ??= this.exclusive(() => this.syncNow()).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** A sync nobody waits for: its outcome is logged and kept; only a bug would throw here. */
  private syncInBackground(): void {
    this.sync().catch((error) =>
      this.deps.logger.error({ err: error, accountId: this.record.id }, 'cloud sync failed unexpectedly'),
    );
  }

  /** A renewal round soon (a camera's settings changed, a viewer needs a URL). */
  wake(): void {
    if (!this.stopped) this.schedule(0);
  }

  private async syncNow(): Promise<CloudSyncOutcome> {
    const { logger, store } = this.deps;
    logger.info({ accountId: this.record.id }, 'syncing HikCentral Connect account');
    const outcome = await syncAccount(this.record, {
      store,
      clock: this.deps.clock,
      client: this.client,
      renewer: this.renewer,
      sources: this.deps.sources,
      callsPerSecond: this.client.callsPerSecond,
      onProgress: (progress) => {
        this.progress = progress;
      },
      stopped: () => this.stopped,
    });
    this.noteOutcome(outcome);
    const saved = await store.cloud.updateAccount(this.record.id, { lastSync: outcome });
    if (saved) this.record = saved;
    this.deps.onChanged(this.record.id);
    const log = outcome.ok ? logger.info.bind(logger) : logger.warn.bind(logger);
    const { error: _words, ...counts } = outcome;
    log(
      { accountId: this.record.id, ...counts },
      outcome.ok ? 'cloud sync done' : `cloud sync failed: ${outcome.error}`,
    );
    if (!this.stopped) {
      this.schedule(0);
      if (this.deps.settings.resyncMinutes > 0)
        this.scheduleResync(this.deps.settings.resyncMinutes * 60_000);
    }
    return outcome;
  }

  private noteOutcome(outcome: CloudSyncOutcome): void {
    if (outcome.ok) this.trouble = undefined;
    else this.trouble = { message: outcome.error ?? 'sync failed', count: (this.trouble?.count ?? 0) + 1 };
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    const { clock, logger } = this.deps;
    let delay: number;
    try {
      this.nextDue = await this.exclusive(() => this.renewer.runDue(undefined, () => this.stopped));
      this.trouble = undefined;
      delay = this.nextDue === undefined ? MAX_IDLE_MS : this.nextDue - clock.now();
    } catch (error) {
      if (!(error instanceof AccountTrouble)) {
        logger.error({ err: error, accountId: this.record.id }, 'cloud renewal round failed');
        delay = TROUBLE_MIN_MS;
      } else {
        const count = (this.trouble?.count ?? 0) + 1;
        this.trouble = { message: error.message, count };
        delay = Math.min(TROUBLE_MAX_MS, TROUBLE_MIN_MS * 2 ** (count - 1));
        logger.warn(
          { accountId: this.record.id, code: error.failure.code, retryInSeconds: Math.round(delay / 1000) },
          `cloud renewals paused: ${error.message}`,
        );
      }
    }
    this.schedule(delay);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), Math.min(Math.max(0, delayMs), MAX_IDLE_MS));
    this.timer.unref();
  }

  private scheduleResync(delayMs: number): void {
    clearTimeout(this.resyncTimer);
    this.resyncTimer = setTimeout(
      () => {
        if (!this.stopped) this.syncInBackground();
      },
      Math.min(delayMs, 2 ** 31 - 1),
    );
    this.resyncTimer.unref();
  }

  /** Syncs and renewal rounds take turns. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.work.then(work, work);
    this.work = next.catch(() => {});
    return next;
  }
}
