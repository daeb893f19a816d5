/**
 * Makes MediaMTX's path config equal to what the store says. Runs after every (re)start of
 * MediaMTX and after every device/channel change; requests that arrive while a pass runs are
 * folded into one more pass, so a burst of changes costs two passes, not N.
 */
import type { Logger } from '../../core/logger.ts';
import type { MediamtxApi } from '../../protocols/mediamtx/api.ts';
import { type PathConfig, pathMatches } from '../../protocols/mediamtx/config.ts';

export interface ReconcileResult {
  added: number;
  replaced: number;
  deleted: number;
  unchanged: number;
}

export interface ReconcilerOptions {
  api: MediamtxApi;
  logger: Logger;
  desired: () => Promise<Map<string, PathConfig>>;
  /**
   * Whether hikbridge may delete a path it does not want. A MediaMTX of its own: every path. A
   * MediaMTX the user runs: only paths hikbridge itself made, so the user's own paths survive.
   */
  mayDelete: (name: string) => boolean;
  /** Told about every path hikbridge wrote. */
  onApplied?: (name: string) => void;
  /** Told about every path hikbridge deleted. */
  onDeleted?: (name: string) => void;
}

export class PathReconciler {
  private running: Promise<void> | undefined;
  private again = false;
  private lastResult: ReconcileResult | undefined;
  private lastError: string | undefined;
  private passes = 0;

  constructor(private readonly options: ReconcilerOptions) {}

  status(): { passes: number; last: ReconcileResult | null; lastError: string | null } {
    return { passes: this.passes, last: this.lastResult ?? null, lastError: this.lastError ?? null };
  }

  /** Asks for a pass; resolves when a pass that started after this call has finished. */
  request(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running.then(() => this.running ?? Promise.resolve());
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        this.lastResult = await this.pass();
        this.lastError = undefined;
      } catch (error) {
        this.lastError = (error as Error).message;
        this.options.logger.warn(
          { err: error },
          'could not update MediaMTX paths; will retry on the next change',
        );
      }
      this.passes += 1;
    } while (this.again);
  }

  private async pass(): Promise<ReconcileResult> {
    const { api, logger } = this.options;
    const [desired, actualList] = await Promise.all([this.options.desired(), api.listPathConfigs()]);
    const actual = new Map(actualList.map((path) => [path.name, path as unknown as Record<string, unknown>]));
    const result: ReconcileResult = { added: 0, replaced: 0, deleted: 0, unchanged: 0 };
    for (const [name, config] of desired) {
      const current = actual.get(name);
      if (pathMatches(current, config)) {
        result.unchanged += 1;
        continue;
      }
      await api.replacePath(name, config);
      this.options.onApplied?.(name);
      if (current) result.replaced += 1;
      else result.added += 1;
    }
    for (const name of actual.keys()) {
      if (desired.has(name) || !this.options.mayDelete(name)) continue;
      await api.deletePath(name);
      this.options.onDeleted?.(name);
      result.deleted += 1;
    }
    if (result.added || result.replaced || result.deleted) logger.info(result, 'MediaMTX paths updated');
    return result;
  }
}
