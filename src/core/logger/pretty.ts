/**
 * Log records for people at a terminal: one line per record, coloured when the terminal shows
 * colour. `12:00:03.120 WARN  [devices] device offline deviceId=cam1 reason="timed out"`
 *
 * Why hand-written and not pino-pretty: pino-pretty's usual form is a worker-thread transport,
 * which the esbuild bundle the CLI runs (bin/compile.js) cannot load without shipping the
 * worker file beside it; its synchronous stream form works, but brings a dozen packages for
 * what is a hundred lines here, and prints objects over several lines unless told otherwise.
 * This formatter runs in the logging call itself, so nothing is lost when the process exits.
 *
 * Redaction has already happened when a line gets here: pino masks while it serializes, and
 * this only re-reads the JSON it produced. Text from devices is untrusted, so control
 * characters (a terminal escape sequence in a camera name) are printed escaped, never raw.
 */

interface LineSink {
  write(chunk: string): unknown;
  writableNeedDrain?: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface PrettyOptions {
  /** ANSI colours; the caller decides (a terminal, NO_COLOR, FORCE_COLOR). */
  color: boolean;
}

/** Fields shown in the line's fixed columns, or dropped as noise. */
const FIXED_FIELDS = new Set(['time', 'level', 'module', 'msg', 'pid', 'hostname']);
const ERROR_FIELDS = new Set(['err', 'error']);

const ANSI = {
  reset: '\u001b[0m',
  bold: '\u001b[1m',
  dim: '\u001b[2m',
  red: '\u001b[31m',
  green: '\u001b[32m',
  yellow: '\u001b[33m',
  blue: '\u001b[34m',
  cyan: '\u001b[36m',
  gray: '\u001b[90m',
  inverse: '\u001b[7m',
} as const;
type Style = keyof typeof ANSI;

const LEVEL_STYLES: Record<string, Style[]> = {
  fatal: ['red', 'inverse', 'bold'],
  error: ['red', 'bold'],
  warn: ['yellow'],
  info: ['green'],
  debug: ['blue'],
  trace: ['gray'],
};
/** Width of the widest level label, so messages start in one column. */
const LEVEL_WIDTH = 5;

export function createPrettyStream(
  sink: LineSink,
  options: PrettyOptions,
): { write(line: string): void; flush(cb: () => void): void } {
  return {
    write(line: string) {
      sink.write(formatPrettyLine(line, options));
    },
    flush(cb: () => void) {
      if (sink.writableNeedDrain && sink.once) sink.once('drain', cb);
      else cb();
    },
  };
}

export function formatPrettyLine(jsonLine: string, options: PrettyOptions): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return `${escapeControl(jsonLine.replace(/\n$/, ''))}\n`;
  }
  const paint = painter(options.color);
  const level = String(record.level ?? '');
  const message = record.msg === undefined ? '' : escapeControl(String(record.msg));
  const parts = [
    paint(clockTime(record.time), 'dim'),
    paint(level.toUpperCase().padEnd(LEVEL_WIDTH), ...(LEVEL_STYLES[level] ?? [])),
    record.module === undefined ? '' : paint(`[${escapeControl(String(record.module))}]`, 'cyan'),
    level === 'error' || level === 'fatal' ? paint(message, 'bold') : message,
    ...Object.entries(record)
      .filter(([key]) => !FIXED_FIELDS.has(key))
      .map(([key, value]) => `${paint(`${escapeControl(key)}=`, 'gray')}${fieldValue(key, value, message)}`),
  ];
  return `${parts.filter((part) => part !== '').join(' ')}\n`;
}

function painter(color: boolean): (text: string, ...styles: Style[]) => string {
  if (!color) return (text) => text;
  return (text, ...styles) =>
    styles.length === 0 || text === ''
      ? text
      : `${styles.map((style) => ANSI[style]).join('')}${text}${ANSI.reset}`;
}

/** Local wall-clock time with milliseconds: a person at a terminal reads their own clock. */
function clockTime(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Number.NaN);
  if (Number.isNaN(date.getTime())) return String(time ?? '');
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(
    date.getMilliseconds(),
  ).padStart(3, '0')}`;
}

function fieldValue(key: string, value: unknown, message: string): string {
  if (ERROR_FIELDS.has(key) && isSerializedError(value)) return quoteIfNeeded(describeError(value, message));
  if (typeof value === 'string') return quoteIfNeeded(escapeControl(value));
  return escapeControl(JSON.stringify(value) ?? String(value));
}

interface SerializedError {
  type?: unknown;
  message?: unknown;
  stack?: unknown;
  code?: unknown;
}

function isSerializedError(value: unknown): value is SerializedError {
  return value !== null && typeof value === 'object' && ('message' in value || 'stack' in value);
}

/**
 * `TypeError: what happened (code ECONNREFUSED) at src/x.ts:12:3`: the error on the record's one
 * line, with where it was thrown; the full stack is in the JSON format. The message is left out
 * when the record's own message already says it.
 */
function describeError(error: SerializedError, recordMessage: string): string {
  const type = typeof error.type === 'string' ? error.type : 'Error';
  const message = typeof error.message === 'string' ? escapeControl(error.message) : '';
  const code =
    typeof error.code === 'string' || typeof error.code === 'number' ? ` (code ${error.code})` : '';
  const where = typeof error.stack === 'string' ? firstFrame(error.stack) : undefined;
  const said = message && message !== recordMessage ? `${type}: ${message}` : type;
  return `${said}${code}${where ? ` at ${escapeControl(where)}` : ''}`;
}

function firstFrame(stack: string): string | undefined {
  const frame = /^\s+at .*$/m.exec(stack)?.[0].trim();
  if (!frame) return undefined;
  // "at fn (file:///x/src/a.ts:1:2)" and "at file:///x/src/a.ts:1:2" → "src/a.ts:1:2" style.
  const location = /\(([^()]+)\)$/.exec(frame)?.[1] ?? frame.slice(3);
  return location.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
}

function quoteIfNeeded(text: string): string {
  return /^[^\s"=]+$/.test(text) ? text : `"${text.replace(/"/g, '\\"')}"`;
}

/** Control characters (C0, DEL, C1) written as escapes, so a record stays one inert line. */
function escapeControl(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    if (char === '\t') return '\\t';
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
