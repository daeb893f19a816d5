/**
 * `hikbridge doctor URL --fix`: after the report, the stream/audio/motion fixes the device needs
 * (src/diagnostics/fixes.ts), each asked about on the terminal (y/N; `--yes` applies them all
 * without asking, for scripts). What was changed is printed with the way back: the previous XML
 * of every changed resource is saved to `hikbridge-undo-<host>-<time>.json` in the current
 * directory, and `hikbridge doctor URL --undo FILE` puts it back exactly.
 *
 * Messages go to stderr when the report is JSON (stdout stays one JSON document).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  applyFixes,
  type Fix,
  FixApplyError,
  previewFixes,
  type UndoEntry,
  UndoMismatchError,
  undoFixes,
} from '../diagnostics/fixes.ts';
import { DeviceError } from '../protocols/http/errors.ts';
import { IsapiClient, parseDeviceUrl } from '../protocols/isapi/client.ts';

export interface FixCommandOptions {
  yes?: boolean;
  insecure?: boolean;
  fingerprint?: string;
  timeout?: number;
  channels?: number[];
}

export interface FixIo {
  /** Where messages go. */
  print: (text: string) => void;
  /** Asks a y/N question; undefined when there is no terminal to ask on. */
  ask?: (question: string) => Promise<boolean>;
  /** Where the undo file is written (default: the current directory). */
  cwd?: string;
}

/** What an undo file holds: no credentials, only the device's previous settings. */
export interface UndoFile {
  kind: 'hikbridge-fix-undo';
  host: string;
  appliedAt: string;
  fixes: string[];
  undo: UndoEntry[];
}

function clientFor(url: string, options: FixCommandOptions): IsapiClient {
  const address = parseDeviceUrl(url);
  return new IsapiClient({
    ...address,
    tls: {
      insecure: options.insecure ?? false,
      ...(options.fingerprint ? { pinnedFingerprint: options.fingerprint } : {}),
    },
    ...(options.timeout ? { requestTimeoutMs: options.timeout, connectTimeoutMs: options.timeout } : {}),
    maxConcurrent: 2,
  });
}

function describeFix(fix: Fix): string {
  return `${fix.id}: ${fix.element} ${fix.current ?? '(none)'} -> ${fix.proposed} on ${fix.resource}\n    why: ${fix.why}`;
}

/** Asks y/N on the terminal (stdin/stderr); undefined when stdin is not a terminal. */
export function terminalAsk(): FixIo['ask'] {
  if (!process.stdin.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
      rl.close();
    }
  };
}

export interface FixOutcome {
  /** 0 done or nothing to do, 1 a fix failed or the device could not be asked. */
  code: number;
  /** How many fixes were applied. */
  applied: number;
}

/** Offers and applies the fixes. */
export async function runFixes(url: string, options: FixCommandOptions, io: FixIo): Promise<FixOutcome> {
  const client = clientFor(url, options);
  try {
    const offered = await previewFixes(client, options.channels ? { channels: options.channels } : {});
    if (offered.length === 0) {
      io.print('\nfix: nothing to fix in the stream, two-way audio and motion detection settings.\n');
      return { code: 0, applied: 0 };
    }
    const chosen = await choose(offered, options, io);
    if (chosen === undefined) return { code: 0, applied: 0 };
    if (chosen.length === 0) {
      io.print('fix: nothing chosen, nothing changed.\n');
      return { code: 0, applied: 0 };
    }
    return await apply(client, url, chosen, io);
  } catch (error) {
    if (!(error instanceof DeviceError)) throw error;
    io.print(`fix: ${error.message}\n`);
    return { code: 1, applied: 0 };
  } finally {
    await client.close();
  }
}

async function choose(offered: Fix[], options: FixCommandOptions, io: FixIo): Promise<Fix[] | undefined> {
  io.print(`\n${offered.length} fix${offered.length === 1 ? '' : 'es'} offered:\n`);
  if (options.yes) {
    for (const fix of offered) io.print(`  ${describeFix(fix)}\n`);
    return offered;
  }
  if (!io.ask) {
    for (const fix of offered) io.print(`  ${describeFix(fix)}\n`);
    io.print(
      'fix: the input is not a terminal, so nothing was asked and nothing changed; add --yes to apply all.\n',
    );
    return undefined;
  }
  const chosen: Fix[] = [];
  for (const fix of offered) {
    io.print(`  ${describeFix(fix)}\n`);
    if (await io.ask(`  apply ${fix.id}?`)) chosen.push(fix);
  }
  return chosen;
}

async function apply(client: IsapiClient, url: string, chosen: Fix[], io: FixIo): Promise<FixOutcome> {
  const ids = chosen.map((fix) => fix.id);
  let applied: Fix[];
  let undo: UndoEntry[];
  let failure: string | undefined;
  try {
    ({ applied, undo } = await applyFixes(client, ids));
  } catch (error) {
    if (!(error instanceof FixApplyError)) throw error;
    ({ applied, undo } = error);
    failure = error.message;
  }
  for (const fix of applied)
    io.print(`changed ${fix.id}: ${fix.element} ${fix.current ?? '(none)'} -> ${fix.proposed}\n`);
  if (failure) io.print(`fix: ${failure}\n`);
  if (undo.length > 0) {
    const file = await saveUndo(client.host, applied, undo, io.cwd ?? process.cwd());
    io.print(
      `The previous settings are in ${file}. To put them back exactly:\n` +
        `  npx hikbridge doctor ${safeUrl(url)} --undo ${file}\n`,
    );
  }
  return { code: failure ? 1 : 0, applied: applied.length };
}

/** The URL as the user would type it again, without the password. */
function safeUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:PASSWORD@');
}

async function saveUndo(host: string, applied: Fix[], undo: UndoEntry[], dir: string): Promise<string> {
  const appliedAt = new Date().toISOString();
  const stamp = appliedAt.replace(/[-:]/g, '').replace(/\..*$/, '');
  const file = resolve(dir, `hikbridge-undo-${host.replace(/[^\w.-]+/g, '_')}-${stamp}.json`);
  const content: UndoFile = {
    kind: 'hikbridge-fix-undo',
    host,
    appliedAt,
    fixes: applied.map((fix) => fix.id),
    undo,
  };
  await writeFile(file, `${JSON.stringify(content, null, 2)}\n`, { flag: 'wx' });
  return file;
}

/** `--undo FILE`: puts back every resource of an undo file; returns the exit code. */
export async function runUndo(
  url: string,
  file: string,
  options: FixCommandOptions,
  io: FixIo,
): Promise<number> {
  let content: UndoFile;
  try {
    content = JSON.parse(await readFile(file, 'utf8')) as UndoFile;
  } catch (error) {
    io.print(`undo: cannot read ${file}: ${(error as Error).message}\n`);
    return 2;
  }
  if (content?.kind !== 'hikbridge-fix-undo' || !Array.isArray(content.undo)) {
    io.print(`undo: ${file} is not a hikbridge undo file\n`);
    return 2;
  }
  const client = clientFor(url, options);
  try {
    if (content.host !== client.host) {
      io.print(`undo: ${file} was saved for ${content.host}, not ${client.host}; nothing changed\n`);
      return 2;
    }
    const { restored } = await undoFixes(client, content.undo);
    for (const path of restored) io.print(`restored ${path}\n`);
    return 0;
  } catch (error) {
    if (error instanceof UndoMismatchError || error instanceof DeviceError) {
      io.print(`undo: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await client.close();
  }
}
