/** "Did you mean" for misspelt keys and variable names. */

/** Case, `_` and `-` do not distinguish keys for a human: `body_limit_bytes` means `bodyLimitBytes`. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/** The candidate the input most likely meant, or undefined when none is close. */
export function closestMatch(input: string, candidates: readonly string[]): string | undefined {
  const wanted = normalise(input);
  const exact = candidates.find((candidate) => normalise(candidate) === wanted);
  if (exact) return exact;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalise(candidate));
    if (distance <= allowedDistance(wanted) && (!best || distance < best.distance))
      best = { candidate, distance };
  }
  return best?.candidate ?? prefixMatch(wanted, candidates);
}

/** Short names tolerate one typo, longer ones a few. */
function allowedDistance(name: string): number {
  return Math.min(3, Math.max(1, Math.floor(name.length / 4)));
}

/** A truncated or over-long key (`bodyLimit` for `bodyLimitBytes`). */
function prefixMatch(wanted: string, candidates: readonly string[]): string | undefined {
  if (wanted.length < 4) return undefined;
  return candidates.find((candidate) => {
    const normalised = normalise(candidate);
    return normalised.startsWith(wanted) || wanted.startsWith(normalised);
  });
}

/** Levenshtein distance where swapping two neighbours counts as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]![j] = distance;
    }
  }
  return rows[a.length]![b.length]!;
}

export function didYouMean(suggestion: string | undefined): string {
  return suggestion ? `; did you mean "${suggestion}"?` : '';
}
