/**
 * Following a sync that runs in the gateway: poll the account until its outcome is there, and
 * show the progress on stderr. On a terminal the line is redrawn in place; elsewhere (a log, a
 * pipe) one plain line is written when something changed, at most about once a second, with
 * no control characters.
 */
import {
  CliError,
  type CloudAccount,
  type GatewayClient,
  type SyncOutcome,
  type SyncProgress,
} from './cloud-api.ts';
import { renderProgressLine } from './cloud-format.ts';

/** How often the gateway is asked; a sync fetches at most 5 live URLs a second. */
const POLL_MS = 250;
/** A non-terminal gets a new line at most this often (plus one per phase change). */
const PLAIN_LINE_MS = 1000;
/**
 * A sync waits for a renewal round of the account to end, which takes minutes with thousands of
 * cameras; this long without any change means something else is wrong.
 */
const STALL_MS = 30 * 60_000;

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export class ProgressDisplay {
  private drawn = '';
  private plainAt = 0;
  private plainPhase: string | undefined;

  constructor(
    private readonly out: ProgressStream,
    private readonly label: string,
    private readonly clean: (text: string) => string = (text) => text,
    private readonly now: () => number = Date.now,
  ) {}

  show(progress: SyncProgress | null): void {
    if (this.out.isTTY) this.redraw(progress);
    else this.appendLine(progress);
  }

  /** Leaves the last line on screen and moves below it (stdout may share the terminal). */
  end(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
    this.drawn = '';
  }

  private redraw(progress: SyncProgress | null): void {
    // One column short: a line that fills the terminal wraps on some of them. A terminal that
    // does not know its size says 0 columns.
    const width = Math.max(20, (this.out.columns || 80) - 1);
    const line = this.clean(renderProgressLine(progress, { width, label: this.label }));
    if (line === this.drawn) return;
    this.drawn = line;
    this.out.write(`\r${line}\u001b[K`);
  }

  private appendLine(progress: SyncProgress | null): void {
    const line = this.clean(
      renderProgressLine(progress, { width: Number.POSITIVE_INFINITY, label: this.label }),
    );
    if (line === this.drawn) return;
    const phase = progress?.phase ?? 'waiting';
    const final = phase === 'done' || phase === 'failed';
    if (phase === this.plainPhase && !final && this.now() - this.plainAt < PLAIN_LINE_MS) return;
    this.drawn = line;
    this.plainAt = this.now();
    this.plainPhase = phase;
    this.out.write(`${line}\n`);
  }
}

export interface FollowOptions {
  /** `startedAt` of the outcome the account had before this sync was asked for (null: none). */
  previousStartedAt: string | null;
  pollMs?: number;
  stallMs?: number;
}

/** Polls the account until the sync started after `previousStartedAt` has an outcome. */
export async function followSync(
  client: GatewayClient,
  accountId: string,
  display: ProgressDisplay,
  options: FollowOptions,
): Promise<SyncOutcome> {
  const path = `/api/v1/cloud/accounts/${encodeURIComponent(accountId)}`;
  const isOurs = (startedAt: string | undefined) =>
    startedAt !== undefined && startedAt !== options.previousStartedAt;
  let seenRunning = false;
  let lastChange = Date.now();
  let lastSeen = '';
  for (;;) {
    const account = await client.get<CloudAccount>(path);
    const progress = isOurs(account.sync?.startedAt) ? account.sync : null;
    if (account.lastSync && isOurs(account.lastSync.startedAt)) {
      // The runner keeps its final progress; a gateway that restarted since has none to show.
      if (progress) display.show(progress);
      return account.lastSync;
    }
    display.show(progress);
    if (progress) seenRunning = true;
    else if (seenRunning) {
      throw new CliError(
        'the sync is no longer running in the gateway and left no outcome (did the gateway restart?).',
      );
    }
    const seen = JSON.stringify(progress);
    if (seen !== lastSeen) {
      lastSeen = seen;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > (options.stallMs ?? STALL_MS)) {
      throw new CliError(
        'the sync has not moved for a long time; `hikbridge cloud list` shows its outcome when it ends.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? POLL_MS));
  }
}
