/** Percentiles over a list of samples (nearest-rank). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Reads `--name value` options with defaults; unknown options are an error. `--gateway-dir` and
 * `--gatewayDir` are the same option.
 */
export function parseOptions<T extends Record<string, number | string>>(args: string[], defaults: T): T {
  const result: Record<string, number | string> = { ...defaults };
  for (let i = 0; i < args.length; i += 2) {
    const key = (args[i] ?? '')
      .replace(/^--/, '')
      .replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (!(key in defaults))
      throw new Error(`unknown option ${args[i]}; known: ${Object.keys(defaults).join(', ')}`);
    const raw = args[i + 1] ?? '';
    result[key] = typeof defaults[key] === 'number' ? Number(raw) : raw;
    if (typeof defaults[key] === 'number' && !Number.isFinite(result[key]))
      throw new Error(`--${key} needs a number`);
  }
  return result as T;
}
