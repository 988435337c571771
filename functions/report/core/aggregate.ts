import type { Window } from './local-time';
import type { UsageBucket } from './usage-page';

/** Sessions per project id; the key `null` holds usage not attributed to a project. */
export type ProjectTotals = Map<string | null, number>;

/**
 * Adds every row of every bucket to the window that holds the bucket's start. The query plan
 * guarantees that each bucket lies inside exactly one window; a bucket split across pages simply
 * contributes its rows from each page once. Returns one map per window, plus what fell outside.
 */
export function tallyByWindow(
  buckets: Iterable<UsageBucket>,
  windows: readonly Window[],
): { totals: ProjectTotals[]; outside: number } {
  const sorted = windows
    .map((window, index) => ({ window, index }))
    .sort((a, b) => a.window.start - b.window.start);
  const totals = windows.map((): ProjectTotals => new Map());
  let outside = 0;
  for (const bucket of buckets) {
    const target = findWindow(sorted, bucket.start_time);
    for (const row of bucket.results) {
      if (target === undefined) {
        outside += row.num_sessions;
        continue;
      }
      const map = totals[target] as ProjectTotals;
      map.set(row.project_id, (map.get(row.project_id) ?? 0) + row.num_sessions);
    }
  }
  return { totals, outside };
}

function findWindow(sorted: readonly { window: Window; index: number }[], time: number): number | undefined {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const { window, index } = sorted[mid] as { window: Window; index: number };
    if (time < window.start) high = mid - 1;
    else if (time >= window.end) low = mid + 1;
    else return index;
  }
  return undefined;
}

export function sumTotals(totals: ProjectTotals): number {
  let sum = 0;
  for (const count of totals.values()) sum += count;
  return sum;
}
