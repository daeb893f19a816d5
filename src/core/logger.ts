/**
 * Structured logging on pino: JSON lines for collectors or one coloured line per record for
 * people at a terminal (logger/pretty.ts), per-module levels, and credentials masked on the way
 * out — by key name (pino redact paths), and inside messages, error messages, error stacks and
 * string fields (redactSecretsInText). Both formats print the same masked record.
 */
import { type LogFn, type Logger as PinoLogger, pino, stdSerializers } from 'pino';
import { createPrettyStream } from './logger/pretty.ts';
import { MASK, redactDeep, redactSecretsInText, secretKeyRedactPaths } from './logger/redact.ts';

export { MASK, redactSecretsInText } from './logger/redact.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  level: LogLevel;
  /** Level per module name; a module not listed uses `level`. */
  modules?: Record<string, LogLevel>;
  /** `auto` picks `pretty` when the destination is a terminal, `json` otherwise; default `json`. */
  format?: LogFormat;
  /** Colours in the pretty format; default: when the destination is a terminal (NO_COLOR, FORCE_COLOR honoured). */
  color?: boolean;
  /** Where lines go; default stdout. Tests pass a stream to capture output. */
  destination?: NodeJS.WritableStream;
}

export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: LogLevel): boolean;
}

export interface RootLogger extends Logger {
  /** A child bound to `{ module: name }` at the module's own level (see LoggerOptions.modules). */
  forModule(name: string): Logger;
  /** Resolves once buffered lines have been handed to the destination. */
  flush(): Promise<void>;
}

export function createLogger(options: LoggerOptions): RootLogger {
  const base = redactChildBindings(pino(pinoOptions(options.level), destinationFor(options)));
  const modules = options.modules ?? {};
  return {
    fatal: base.fatal.bind(base),
    error: base.error.bind(base),
    warn: base.warn.bind(base),
    info: base.info.bind(base),
    debug: base.debug.bind(base),
    trace: base.trace.bind(base),
    child: (bindings) => base.child(bindings),
    isLevelEnabled: (level) => base.isLevelEnabled(level),
    forModule: (name) => base.child({ module: name }, { level: moduleLevel(name, modules, options.level) }),
    flush: () => flushLogger(base),
  };
}

/**
 * `devices.supervisor` falls back to the level of `devices`, then to the root level, so one
 * entry can quieten or open up a whole family of modules.
 */
function moduleLevel(name: string, modules: Record<string, LogLevel>, fallback: LogLevel): LogLevel {
  for (let prefix = name; prefix; prefix = prefix.slice(0, Math.max(0, prefix.lastIndexOf('.')))) {
    const level = modules[prefix];
    if (level) return level;
  }
  return fallback;
}

function pinoOptions(level: LogLevel): pino.LoggerOptions {
  return {
    level,
    // pid and hostname add nothing for a single-process gateway; the container runtime knows them.
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (record) => redactDeep(record),
      bindings: (bindings) => redactDeep(bindings),
    },
    serializers: { err: serializeError, error: serializeError },
    redact: { paths: secretKeyRedactPaths(), censor: MASK },
    hooks: { logMethod: redactedLogMethod },
  };
}

/**
 * pino applies `formatters.bindings` to the root's own bindings only; children get a reset
 * formatter. Children are created with Object.create(parent), so an own `child` on the root is
 * inherited by every descendant and masks their bindings too.
 */
function redactChildBindings(logger: PinoLogger): PinoLogger {
  const pinoChild = logger.child;
  logger.child = function redactingChild(this: PinoLogger, bindings, childOptions) {
    return pinoChild.call(this, redactDeep(bindings), childOptions);
  } as PinoLogger['child'];
  return logger;
}

/** Masks credentials in the message and its format arguments before pino formats them. */
function redactedLogMethod(this: PinoLogger, args: Parameters<LogFn>, method: LogFn): void {
  const redacted = args.map((arg) => (typeof arg === 'string' ? redactSecretsInText(arg) : arg));
  // Without an explicit message pino uses the error's own message, unmasked: supply it here.
  const implicitError = errorWithoutMessage(redacted);
  if (implicitError) redacted.push(redactSecretsInText(implicitError.message));
  (method as (...values: unknown[]) => void).apply(this, redacted);
}

function errorWithoutMessage(args: unknown[]): Error | undefined {
  if (args.length !== 1) return undefined;
  const [first] = args;
  if (first instanceof Error) return first;
  if (first !== null && typeof first === 'object') {
    const { err, msg } = first as { err?: unknown; msg?: unknown };
    if (err instanceof Error && msg === undefined) return err;
  }
  return undefined;
}

/** pino's error serializer, with credentials masked in message, stack and extra fields. */
function serializeError(value: unknown): unknown {
  const serialized = stdSerializers.err(value as Error) as unknown;
  if (serialized === null || typeof serialized !== 'object') return redactDeep(serialized);
  const plain: Record<string, unknown> = {};
  // Enumerable fields only: the serializer's `raw` back-reference to the Error is not one.
  for (const key in serialized as Record<string, unknown>) {
    const field = (serialized as Record<string, unknown>)[key];
    plain[key] = key === 'aggregateErrors' && Array.isArray(field) ? field.map(serializeError) : field;
  }
  return redactDeep(plain);
}

function destinationFor(options: LoggerOptions): pino.DestinationStream | undefined {
  const sink = options.destination ?? process.stdout;
  if (resolveLogFormat(options.format ?? 'json', sink) === 'json') return options.destination;
  return createPrettyStream(sink, { color: options.color ?? wantsColor(sink) });
}

/** What `auto` means for this destination: people read terminals, programs read pipes and files. */
export function resolveLogFormat(format: LogFormat, destination: NodeJS.WritableStream): 'json' | 'pretty' {
  if (format !== 'auto') return format;
  return isTerminal(destination) ? 'pretty' : 'json';
}

/** The NO_COLOR and FORCE_COLOR conventions (no-color.org, force-color.org), then the terminal. */
function wantsColor(destination: NodeJS.WritableStream, env = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return isTerminal(destination);
}

function isTerminal(destination: NodeJS.WritableStream): boolean {
  return (destination as { isTTY?: boolean }).isTTY === true;
}

function flushLogger(logger: PinoLogger): Promise<void> {
  return new Promise((resolve, reject) => {
    logger.flush((error) => (error ? reject(error) : resolve()));
  });
}
