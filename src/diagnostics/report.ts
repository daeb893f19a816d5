/**
 * The doctor's report vocabulary: check ids (a stable contract, in report order), statuses and
 * the small constructors every check uses so `fix` is null exactly when a check passes.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface DoctorCheck {
  id: string;
  status: CheckStatus;
  /** What was seen. */
  detail: string;
  /** What to do, in the user's words; null on pass. */
  fix: string | null;
}

/** Every report lists each of these once, in this order (scripts may rely on both). */
export const CHECK_IDS = [
  'reachability',
  'https-certificate',
  'auth-method',
  'credentials',
  'activation',
  'lockout-policy',
  'integration',
  'permission-events',
  'permission-snapshot',
  'permission-live-view',
  'permission-playback',
  'permission-two-way-audio',
  'permission-door-control',
  'motion-detection',
  'motion-notify-center',
  'stream-codec',
  'two-way-audio-codec',
  'nvr-channels',
  'snapshot-path',
  // Added later: new ids go last, so scripts that index the list keep working.
  'device-clock',
  'doorbell-sip',
  'storage',
  'stream-tuning',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export function pass(id: CheckId, detail: string): DoctorCheck {
  return { id, status: 'pass', detail, fix: null };
}

export function warn(id: CheckId, detail: string, fix: string): DoctorCheck {
  return { id, status: 'warn', detail, fix };
}

export function fail(id: CheckId, detail: string, fix: string): DoctorCheck {
  return { id, status: 'fail', detail, fix };
}

/** Not applicable or not checkable; `fix` says how to make it checkable when that is in the user's hands. */
export function skip(id: CheckId, detail: string, fix: string | null = null): DoctorCheck {
  return { id, status: 'skip', detail, fix };
}

const SEVERITY: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, fail: 3 };

/** The status that matters most: fail over warn over pass over skip. */
export function worst(statuses: CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a), 'skip');
}

/**
 * One check over several channels: the worst channel decides the status, the detail lists the
 * channels that are not fine (and how many are), the fixes of the failing kind are merged.
 */
export interface ChannelFinding {
  channel: string;
  status: CheckStatus;
  detail: string;
  fix: string | null;
}

/** The findings of one channel: `const finding = findingOf(label); return finding('pass', 'H.264');` */
export function findingOf(channel: string) {
  return (status: CheckStatus, detail: string, fix: string | null = null): ChannelFinding => ({
    channel,
    status,
    detail,
    fix,
  });
}

export function combineChannels(id: CheckId, findings: ChannelFinding[], empty: string): DoctorCheck {
  if (findings.length === 0) return skip(id, empty);
  const status = worst(findings.map((f) => f.status));
  const fixes = [...new Set(findings.filter((f) => f.status === status && f.fix).map((f) => f.fix!))];
  const detail = summarize(status, findings);
  if (status === 'pass') return pass(id, detail);
  if (status === 'skip') return skip(id, detail, fixes[0] ?? null);
  return { id, status, detail, fix: fixes.join(' ') };
}

/** Up to this many channels are listed one by one when all is well; more are counted. */
const LISTED_WHEN_FINE = 4;

function summarize(status: CheckStatus, findings: ChannelFinding[]): string {
  const line = (f: ChannelFinding) => `${f.channel}: ${f.detail}`;
  const count = (n: number, what: string) => `${n} other channel${n === 1 ? '' : 's'} ${what}`;
  if (status === 'pass' || status === 'skip') {
    if (findings.length <= LISTED_WHEN_FINE) return findings.map(line).join('; ');
    const skipped = findings.filter((f) => f.status === 'skip').length;
    const note = skipped > 0 ? ` (${skipped} not checkable)` : '';
    return `${findings.length} channels, none with a problem${note}; first: ${line(findings[0]!)}`;
  }
  const problems = findings.filter((f) => f.status === 'warn' || f.status === 'fail');
  const fine = findings.filter((f) => f.status === 'pass').length;
  const unchecked = findings.filter((f) => f.status === 'skip');
  const parts = problems.map(line);
  if (fine > 0) parts.push(count(fine, 'fine'));
  if (unchecked.length > 0)
    parts.push(`${count(unchecked.length, 'not checkable')} (${unchecked[0]!.detail})`);
  return parts.join('; ');
}
