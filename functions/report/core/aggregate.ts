import { BUCKET_SECONDS, type BucketWidth, type PlannedSegment } from './plan';
import type { UsageBucket } from './usage-page';

/** Sessions per project id; the key `null` holds usage not attributed to a project. */
export type ProjectTotals = Map<string | null, number>;

/** The buckets one query returned, all pages together, with the width it asked for. */
export interface FetchedBuckets {
  readonly width: BucketWidth;
  readonly buckets: readonly UsageBucket[];
}

/**
 * Adds every row of every bucket to the window whose planned segment of that width holds the
 * bucket. A bucket split across pages contributes its rows from each page once; a bucket no
 * segment claims (a gap a query ran across) is ignored. Returns one map per window.
 */
export function tallyBySegment(
  fetched: Iterable<FetchedBuckets>,
  segments: readonly PlannedSegment[],
  windowCount: number,
): ProjectTotals[] {
  const totals = Array.from({ length: windowCount }, (): ProjectTotals => new Map());
  const byWidth = new Map<BucketWidth, PlannedSegment[]>();
  for (const segment of [...segments].sort((a, b) => a.start - b.start)) {
    const list = byWidth.get(segment.width) ?? [];
    list.push(segment);
    byWidth.set(segment.width, list);
  }
  for (const { width, buckets } of fetched) {
    const candidates = byWidth.get(width) ?? [];
    for (const bucket of buckets) {
      const segment = findSegment(candidates, bucket.start_time, BUCKET_SECONDS[width]);
      if (!segment) continue;
      const map = totals[segment.window] as ProjectTotals;
      for (const row of bucket.results)
        map.set(row.project_id, (map.get(row.project_id) ?? 0) + row.num_sessions);
    }
  }
  return totals;
}

function findSegment(
  sorted: readonly PlannedSegment[],
  start: number,
  size: number,
): PlannedSegment | undefined {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const segment = sorted[mid] as PlannedSegment;
    if (start < segment.start) high = mid - 1;
    else if (start >= segment.end) low = mid + 1;
    else return start + size <= segment.end ? segment : undefined;
  }
  return undefined;
}

export function sumTotals(totals: ProjectTotals): number {
  let sum = 0;
  for (const count of totals.values()) sum += count;
  return sum;
}
