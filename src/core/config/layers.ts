/**
 * Config arrives in layers (file, environment, overrides) that are deep-merged in order. Each
 * layer remembers where its values came from so a problem can say "(from config.yaml:12:3)" or
 * "(from HIKBRIDGE_SERVER_PORT)".
 */
import { isPlainObject } from '../logger/redact.ts';

export interface ConfigProblem {
  /** Dotted config path (`server.port`), or the file / variable name for problems outside keys. */
  path: string;
  message: string;
}

export interface ConfigLayer {
  values: Record<string, unknown>;
  problems: ConfigProblem[];
  /** Where the value at this path came from: `HIKBRIDGE_SERVER_PORT`, `config.yaml:4:3`. */
  sourceOf(path: readonly string[]): string;
}

/** Remembers, for every path set by some layer, which layer set it last. */
export class ValueOrigins {
  private readonly sources = new Map<string, string>();

  add(layer: ConfigLayer): void {
    visitPaths(layer.values, [], (path) => this.sources.set(path.join('.'), layer.sourceOf(path)));
  }

  /** The source of the value at `path`, or of its nearest ancestor (a whole map set at once). */
  sourceOf(path: readonly (string | number)[]): string | undefined {
    for (let length = path.length; length > 0; length--) {
      const source = this.sources.get(path.slice(0, length).join('.'));
      if (source) return source;
    }
    return undefined;
  }
}

function visitPaths(value: unknown, path: string[], visit: (path: string[]) => void): void {
  if (path.length > 0) visit(path);
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) visitPaths(child, [...path, key], visit);
}

/**
 * Deep merge: maps merge key by key, anything else (scalars, lists, a string over a map) is
 * replaced. `undefined` means "not given" (an unset CLI flag) and never replaces a value.
 */
export function mergeLayers(
  base: Record<string, unknown>,
  next: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const current = merged[key];
    // Maps are always rebuilt, so the result shares no object with a layer and can be adjusted
    // without touching the caller's overrides.
    const combined = isPlainObject(value) ? mergeLayers(isPlainObject(current) ? current : {}, value) : value;
    // defineProperty keeps a `__proto__` key an ordinary key (reported as unknown), not a prototype.
    Object.defineProperty(merged, key, {
      value: combined,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return merged;
}

export function valueAt(values: unknown, path: readonly (string | number)[]): unknown {
  let current = values;
  for (const segment of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[String(segment)];
  }
  return current;
}

/** Sets a value, creating maps on the way. */
export function setValueAt(values: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = values;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (!isPlainObject(next)) current[segment] = {};
    current = current[segment] as Record<string, unknown>;
  }
  current[path[path.length - 1]!] = value;
}
