/**
 * `hikbridge doctor URL`: runs the troubleshooting checks against one device and prints them as
 * the stable JSON contract (`--json`, see DESIGN.md) or as a readable list.
 * Exit code: 0 when no check failed, 1 when one did, 2 on usage errors.
 */
import type { Command } from 'commander';
import { type CheckStatus, type DoctorReport, runDoctor } from '../diagnostics/doctor.ts';
import { parseDeviceUrl } from '../protocols/isapi/client.ts';
import { withoutPassword, withoutUrlPassword } from './credentials.ts';
import { runFixes, runUndo, terminalAsk } from './doctor-fix.ts';
import { parseChannelList, parseFingerprint, parseTimeoutMs } from './options.ts';

export const DOCTOR_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface DoctorCommandOptions {
  json?: boolean;
  insecure?: boolean;
  fingerprint?: string;
  timeout?: number;
  channels?: number[];
  /** Offer the stream/audio/motion fixes after the report, asking before each (src/cli/doctor-fix.ts). */
  fix?: boolean;
  /** With --fix: apply every fix without asking. */
  yes?: boolean;
  /** Put back the settings saved by an earlier --fix (its undo file); no report. */
  undo?: string;
}

const MARKERS: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✖', skip: '–' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check one device for the classic problems: reachability, certificate, login, permissions, motion, codecs',
    )
    .argument('<url>', 'http[s]://user:password@host[:port] (URL-encode special characters in the password)')
    .option('--json', 'print {checks:[{id, status, detail, fix}]} (the stable contract)')
    .option('--insecure', 'go on when the HTTPS certificate is not trusted (the doctor still reports it)')
    .option(
      '--fingerprint <sha256>',
      'accept only the HTTPS certificate with this SHA-256 fingerprint',
      parseFingerprint,
    )
    .option('--timeout <ms>', 'per-request timeout in milliseconds (default 5000)', parseTimeoutMs)
    .option('--channels <list>', 'only these channel numbers, e.g. 1,2,5', parseChannelList)
    .option(
      '--fix',
      'after the report, offer the stream, two-way audio and motion fixes, asking before each (y/N); ' +
        'the previous settings are saved to an undo file in the current directory',
    )
    .option('--yes', 'with --fix: apply every fix without asking (for scripts)')
    .option('--undo <file>', 'put back exactly the settings an earlier --fix saved in <file>')
    // Usage errors (bad option values, missing URL) exit with 2, like the rest of the CLI.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? DOCTOR_EXIT.ok : DOCTOR_EXIT.usage))
    .action(async (url: string, options: DoctorCommandOptions) => {
      process.exitCode = await doctorCommand(url, options);
    });
}

/** Runs the doctor for the CLI; returns the exit code. Output goes to stdout, usage errors to stderr. */
export async function doctorCommand(
  url: string,
  options: DoctorCommandOptions,
  out: {
    stdout: (text: string) => void;
    stderr: (text: string) => void;
    /** Asks y/N for --fix (default: on the terminal, when stdin is one). */
    ask?: (question: string) => Promise<boolean>;
    /** Where --fix saves its undo file (default: the current directory). */
    cwd?: string;
  } = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
): Promise<number> {
  let address: ReturnType<typeof parseDeviceUrl>;
  let report: DoctorReport;
  try {
    address = parseDeviceUrl(url);
    if (options.undo) {
      const print = (text: string) => out.stdout(withoutPassword(text, address.password, url));
      return await runUndo(url, options.undo, options, { print });
    }
    report = await runDoctor(doctorOptions(address, options));
  } catch (error) {
    // runDoctor turns every device problem into a check; what reaches here is a usage error.
    if (!(error instanceof TypeError)) throw error;
    out.stderr(`doctor: ${withoutUrlPassword(error.message, url)}\n`);
    return DOCTOR_EXIT.usage;
  }
  const text = options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorText(report);
  out.stdout(withoutPassword(text, address.password, url));
  const exitCode = doctorExitCode(report);
  if (!options.fix && !options.yes) return exitCode;
  // Fixes need the login the report found working: never spend login attempts on a bad password.
  const print = (text: string) =>
    (options.json ? out.stderr : out.stdout)(withoutPassword(text, address.password, url));
  if (report.checks.find((check) => check.id === 'credentials')?.status !== 'pass') {
    print('\nfix: the doctor could not log in, so no fix was looked for; nothing changed.\n');
    return exitCode;
  }
  const ask = options.yes ? undefined : (out.ask ?? terminalAsk());
  const fixed = await runFixes(url, options, {
    print,
    ...(ask ? { ask } : {}),
    ...(out.cwd ? { cwd: out.cwd } : {}),
  });
  if (fixed.applied === 0) return Math.max(exitCode, fixed.code);
  // The report above is from before the fixes: the exit code says how the device is now.
  const after = await runDoctor(doctorOptions(address, options));
  print(`after the fixes: ${countLine(after)}\n`);
  return Math.max(doctorExitCode(after), fixed.code);
}

function doctorOptions(address: ReturnType<typeof parseDeviceUrl>, options: DoctorCommandOptions) {
  return {
    ...address,
    tls: {
      insecure: options.insecure ?? false,
      ...(options.fingerprint ? { pinnedFingerprint: options.fingerprint } : {}),
    },
    ...(options.timeout ? { timeoutMs: options.timeout } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
  };
}

function countLine(report: DoctorReport): string {
  const count = (status: CheckStatus) => report.checks.filter((check) => check.status === status).length;
  return `${count('pass')} passed, ${count('warn')} warnings, ${count('fail')} failed, ${count('skip')} skipped`;
}

export function doctorExitCode(report: DoctorReport): number {
  return report.checks.some((check) => check.status === 'fail') ? DOCTOR_EXIT.failed : DOCTOR_EXIT.ok;
}

export function formatDoctorText(report: DoctorReport): string {
  const { model, kind, host } = report.device;
  const what = model ? `${model}${kind ? ` (${kind})` : ''} at ${host}` : host;
  const width = Math.max(...report.checks.map((check) => check.id.length));
  const lines = [`hikbridge doctor: ${what}`, ''];
  for (const check of report.checks) {
    lines.push(`${MARKERS[check.status]} ${check.id.padEnd(width)}  ${check.detail}`);
    if (check.fix) lines.push(`  ${' '.repeat(width)}  fix: ${check.fix}`);
  }
  lines.push('', countLine(report));
  return `${lines.join('\n')}\n`;
}
