/**
 * A small human-readable rendering of pino's JSON lines, so `log.format: pretty` needs no extra
 * dependency: `2024-05-01T10:00:00.000Z INFO  [devices] device online deviceId=cam1`.
 * Redaction has already happened when a line gets here (it is applied while pino serializes).
 */

interface LineSink {
  write(chunk: string): unknown;
  writableNeedDrain?: boolean;
  once?(event: 'drain', listener: () => void): unknown;
}

/** Fields shown in the line's fixed columns, or dropped as noise. */
const FIXED_FIELDS = new Set(['time', 'level', 'module', 'msg', 'err', 'pid', 'hostname']);

export function createPrettyStream(sink: LineSink): {
  write(line: string): void;
  flush(cb: () => void): void;
} {
  return {
    write(line: string) {
      sink.write(formatPrettyLine(line));
    },
    flush(cb: () => void) {
      if (sink.writableNeedDrain && sink.once) sink.once('drain', cb);
      else cb();
    },
  };
}

export function formatPrettyLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine.endsWith('\n') ? jsonLine : `${jsonLine}\n`;
  }
  const head = [
    String(record.time ?? ''),
    String(record.level ?? '')
      .toUpperCase()
      .padEnd(5),
    record.module === undefined ? undefined : `[${String(record.module)}]`,
    record.msg === undefined ? undefined : String(record.msg),
  ].filter((part) => part !== undefined && part !== '');
  const fields = Object.entries(record)
    .filter(([key]) => !FIXED_FIELDS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const stack = errorStack(record.err);
  return `${[...head, ...fields].join(' ')}${stack ? `\n${stack}` : ''}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

function errorStack(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const { stack, message } = err as { stack?: unknown; message?: unknown };
  if (typeof stack === 'string') return indent(stack);
  return typeof message === 'string' ? indent(message) : undefined;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
