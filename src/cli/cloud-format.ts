/**
 * What `hikbridge cloud` prints, as pure functions of the API's answers: the sync progress line,
 * the summary of an outcome, relative times and the account / camera tables. No I/O here, so
 * every shape is unit-tested without a gateway.
 */
import type { CloudAccount, CloudCamera, SyncOutcome, SyncProgress } from './cloud-api.ts';

/** Inner width of the bar when the line has room for it. */
const BAR_WIDTH = 24;
/** Below this many cells a bar tells nothing: the line goes without it. */
const MIN_BAR_WIDTH = 5;
/** Phase names padded to one width so the rest of the line does not jump when the phase changes. */
const PHASE_WIDTH = 9;

export interface ProgressLineOptions {
  /** Columns available; the line is never longer. */
  width: number;
  /** Account name shown first. */
  label?: string;
}

/**
 * One line for a sync's progress, e.g.
 * `gate: addresses [########--------] 12/30 cameras · 45 calls · ETA 4s`.
 * `null` means the gateway has not started the sync yet (it waits for a renewal round to end).
 * Pieces are dropped from the least useful on when the width is short: first the bar shrinks,
 * then it goes, then the ETA, then the calls; whatever is left is cut with an ellipsis.
 */
export function renderProgressLine(progress: SyncProgress | null, options: ProgressLineOptions): string {
  const width = Math.max(1, Math.floor(options.width));
  const prefix = options.label ? `${options.label}: ` : '';
  if (!progress) return clip(`${prefix}waiting for the gateway to start the sync`, width);

  const phase = progress.phase.padEnd(PHASE_WIDTH);
  const tail = [countText(progress), callsText(progress.calls), etaText(progress)].filter(
    (part): part is string => part !== undefined,
  );
  // The tail without ETA, then without calls: the camera count is what people watch.
  for (let keep = tail.length; keep >= 1; keep--) {
    const rest = tail.slice(0, keep).join(' · ');
    const withoutBar = `${prefix}${phase} ${rest}`;
    const barRoom = width - withoutBar.length - 3; // brackets and a space
    if (barRoom >= MIN_BAR_WIDTH) {
      return `${prefix}${phase} ${bar(fraction(progress), Math.min(BAR_WIDTH, barRoom))} ${rest}`;
    }
    if (withoutBar.length <= width) return withoutBar;
  }
  return clip(`${prefix}${progress.phase} ${tail[0]}`, width);
}

function fraction(progress: SyncProgress): number {
  if (progress.phase === 'done') return 1;
  if (progress.addressesTotal <= 0) return 0;
  return Math.min(1, progress.addressesDone / progress.addressesTotal);
}

/** The total of live URLs to fetch is known from the `addresses` phase on. */
function countText(progress: SyncProgress): string {
  const known = progress.phase === 'addresses' || progress.phase === 'done' || progress.addressesTotal > 0;
  const total = known ? String(progress.addressesTotal) : '?';
  return `${progress.addressesDone}/${total} cameras`;
}

function callsText(calls: number): string {
  return calls === 1 ? '1 call' : `${calls} calls`;
}

function etaText(progress: SyncProgress): string | undefined {
  if (progress.etaSeconds === null || progress.phase !== 'addresses') return undefined;
  return `ETA ${formatDuration(progress.etaSeconds)}`;
}

function bar(done: number, cells: number): string {
  const filled = Math.round(done * cells);
  return `[${'#'.repeat(filled)}${'-'.repeat(cells - filled)}]`;
}

/** `text` cut to `width` columns, with an ellipsis when something was cut. */
export function clip(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  return `${text.slice(0, width - 1)}…`;
}

/** 4 → `4s`, 65 → `1m05s`, 3725 → `1h02m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line on what a sync did, e.g. `gate: synced 6 cameras from 2 devices (6 added, ...), 9 calls, 2.1 s`. */
export function formatOutcome(label: string, outcome: SyncOutcome): string {
  const seconds = Math.max(0, Date.parse(outcome.finishedAt) - Date.parse(outcome.startedAt)) / 1000;
  const cost = `${plural(outcome.calls, 'call')}, ${seconds.toFixed(1)} s`;
  // Failed before the lists arrived: no counts, which would read as an empty account.
  if (!outcome.ok && outcome.devices === 0 && outcome.cameras === 0) return `${label}: sync failed, ${cost}`;
  const verdict = outcome.ok ? 'synced' : 'sync failed:';
  return (
    `${label}: ${verdict} ${plural(outcome.cameras, 'camera')} from ${plural(outcome.devices, 'device')} ` +
    `(${outcome.added} added, ${outcome.updated} updated, ${outcome.removed} removed, ${outcome.failed} failed), ` +
    cost
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** `in 6 d`, `3 min ago`, `now`; `-` for no time. Units: s, min, h, d. */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '-';
  const seconds = Math.round((at - now) / 1000);
  const size = Math.abs(seconds);
  if (size < 5) return 'now';
  const amount =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 86_400 * 2
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} d`;
  return seconds > 0 ? `in ${amount}` : `${amount} ago`;
}

/** Columns padded to their widest cell; the last column is not padded (it may run long). */
export function formatTable(header: string[], rows: string[][], indent = ''): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The accounts, each followed by its cameras when they are given. */
export function formatAccounts(
  accounts: CloudAccount[],
  cameras: CloudCamera[] | undefined,
  now: number,
): string {
  if (accounts.length === 0) {
    return 'No HikCentral Connect account yet: add one with `hikbridge cloud add --name NAME --app-key KEY`.\n';
  }
  if (!cameras)
    return `${formatTable(
      ACCOUNT_HEADER,
      accounts.map((a) => accountRow(a, now)),
    ).join('\n')}\n`;
  const blocks = accounts.map((account) => {
    const own = cameras.filter((camera) => camera.accountId === account.id);
    const table = formatTable(ACCOUNT_HEADER, [accountRow(account, now)]);
    const list =
      own.length === 0
        ? ['  (no cameras)']
        : formatTable(
            CAMERA_HEADER,
            own.map((camera) => cameraRow(camera, now)),
            '  ',
          );
    return [...table, ...list].join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

const ACCOUNT_HEADER = ['NAME', 'ID', 'REGION', 'CAMERAS OK', 'LAST SYNC', 'TROUBLE'];
const CAMERA_HEADER = ['CAMERA', 'SERIAL/CH', 'STATUS', 'URL EXPIRES', 'LAST ERROR'];

function accountRow(account: CloudAccount, now: number): string[] {
  return [
    account.enabled ? account.name : `${account.name} (disabled)`,
    account.id,
    hostOf(account.baseUrl),
    `${account.cameras.ok}/${account.cameras.total}`,
    lastSyncText(account, now),
    account.trouble ?? '-',
  ];
}

function cameraRow(camera: CloudCamera, now: number): string[] {
  return [
    camera.name,
    `${camera.deviceSerial}/${camera.channelNo}`,
    camera.status,
    relativeTime(camera.urlExpiresAt, now),
    camera.lastError ?? '-',
  ];
}

function lastSyncText(account: CloudAccount, now: number): string {
  const running = account.sync && account.sync.phase !== 'done' && account.sync.phase !== 'failed';
  if (running) return `running (${account.sync!.phase})`;
  const last = account.lastSync;
  if (!last) return 'never';
  return `${relativeTime(last.finishedAt, now)}, ${last.ok ? 'ok' : 'failed'}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
