/**
 * Running SIPp (Debian sip-tester) as a SIP peer in tests and benchmarks: each run gets a fresh
 * directory for its message and error logs, a budget after which it is killed, and a result
 * with both logs for the assertion message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FIXTURES } from './fixtures.ts';

/** The SIPp scenarios (test/fixtures/sipp). */
export const SIPP_SCENARIOS = fileURLToPath(new URL('sipp/', FIXTURES));

export interface SippResult {
  code: number | null;
  output: string;
  messages: string;
  errors: string;
}

export interface SippRun {
  child: ChildProcess;
  result: Promise<SippResult>;
  /** Kills the run (if still going) and waits for it. */
  stop(): Promise<SippResult>;
}

export interface SippOptions {
  /** The sipp binary (from requireTool). */
  binary: string;
  /** Killed after this long (default 25 s; SIPp's own -timeout is 20 s). */
  budgetMs?: number;
  /** Calls to make (-m; default 1). */
  calls?: number;
  /** SIPp's overall -timeout in seconds (default 20). */
  timeoutSeconds?: number;
}

/** Starts SIPp with a message log and an error log in a fresh directory. */
export function startSipp(args: string[], options: SippOptions): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'hikbridge-sipp-'));
  const messageFile = join(dir, 'messages.log');
  const errorFile = join(dir, 'errors.log');
  const timeout = options.timeoutSeconds ?? 20;
  const child = spawn(
    options.binary,
    [
      ...args,
      '-m',
      String(options.calls ?? 1),
      '-nostdin',
      '-timeout',
      `${timeout}s`,
      '-timeout_error',
      '-trace_msg',
      '-message_file',
      messageFile,
      '-trace_err',
      '-error_file',
      errorFile,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const killer = setTimeout(() => child.kill('SIGKILL'), options.budgetMs ?? (timeout + 5) * 1000);
  const result = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(killer);
      const read = (file: string) => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          return '';
        }
      };
      resolve({ code, output, messages: read(messageFile), errors: read(errorFile) });
      rmSync(dir, { recursive: true, force: true });
    });
  });
  return {
    child,
    result,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return result;
    },
  };
}

/** What SIPp wrote about a run, for an assertion message. */
export function describeSippRun(run: SippResult): string {
  return `sipp exited ${run.code}\n--- errors ---\n${run.errors.slice(-4_000)}\n--- messages ---\n${run.messages.slice(-6_000)}\n--- output ---\n${run.output.slice(-3_000)}`;
}

/** The message blocks of SIPp's log that it sent (`sent`) or received. */
export function sippBlocks(messages: string, direction: 'sent' | 'received'): string[] {
  const blocks = messages.split(/^-{10,}.*$/m);
  const marker = direction === 'sent' ? /message sent/i : /message received/i;
  return blocks.filter((block) => marker.test(block));
}

/** How many times SIPp sent a request with this method. */
export function sentRequests(messages: string, method: string): number {
  return sippBlocks(messages, 'sent').filter((block) => new RegExp(`^\\s*${method} sip:`, 'm').test(block))
    .length;
}

/** A port free on both UDP and TCP on `host` (SIPp binds the pair with -t t1). */
export async function freeSipPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
    const port = (server.address() as { port: number }).port;
    const udp = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => {
      try {
        udp.close(() => resolve());
      } catch {
        resolve();
      }
    });
    if (free) return port;
  }
  throw new Error('no port free on both UDP and TCP');
}
