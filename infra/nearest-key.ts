/**
 * The valid key a mistyped one most likely meant, for "did you mean …?" in settings errors.
 * Keys are compared without case, `-` or `_` (`schedule-hour`, `sesSandBox`, `project_ids` all find
 * their key), by the optimal string alignment distance (Levenshtein plus adjacent transpositions,
 * the usual typo model); a key further than a third of its length from every candidate has none.
 */
export function nearestKey(key: string, candidates: readonly string[]): string | undefined {
  const typed = comparable(key);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const wanted = comparable(candidate);
    const distance = editDistance(typed, wanted);
    const allowed = Math.max(1, Math.floor(Math.max(typed.length, wanted.length) / 3));
    if (distance <= allowed && (best === undefined || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate;
}

function comparable(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance between the first i characters of a and the first j of b.
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      let distance = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = distance;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}
