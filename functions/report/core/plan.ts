import type { Window } from './local-time';

export type BucketWidth = '1d' | '1h' | '1m';

export const BUCKET_SECONDS: Readonly<Record<BucketWidth, number>> = { '1d': 86_400, '1h': 3_600, '1m': 60 };

/** The API's maximum `limit` (buckets per page) for each width. */
export const MAX_BUCKETS_PER_PAGE: Readonly<Record<BucketWidth, number>> = {
  '1d': 31,
  '1h': 168,
  '1m': 1_440,
};

const WIDTHS_COARSE_TO_FINE: readonly BucketWidth[] = ['1d', '1h', '1m'];

/** A stretch of time covered by whole buckets of one width, both ends on UTC multiples of it. */
export interface Segment extends Window {
  readonly width: BucketWidth;
}

/** One request to the usage API (plus whatever pages it continues on). */
export interface UsageQuery extends Segment {
  /** Buckets this query covers, sent as `limit` so one page can hold them all. */
  readonly limit: number;
  readonly projectIds?: readonly string[];
}

/**
 * Covers `window` with the fewest, coarsest aligned buckets: whole UTC days as `1d`, whole hours at
 * the edges as `1h`, the rest as `1m`. Because every query starts and ends on a UTC multiple of its
 * width, the totals are exact whether the API aligns buckets to UTC or to the query's start.
 */
export function alignedSegments(window: Window): Segment[] {
  if (window.start % 60 !== 0 || window.end % 60 !== 0) {
    throw new RangeError('window ends must fall on whole minutes, the finest bucket the API has');
  }
  const segments: Segment[] = [];
  const cover = (start: number, end: number, level: number): void => {
    if (start >= end) return;
    const width = WIDTHS_COARSE_TO_FINE[level] as BucketWidth;
    const size = BUCKET_SECONDS[width];
    const alignedStart = Math.ceil(start / size) * size;
    const alignedEnd = Math.floor(end / size) * size;
    if (alignedStart >= alignedEnd) {
      cover(start, end, level + 1);
      return;
    }
    cover(start, alignedStart, level + 1);
    segments.push({ width, start: alignedStart, end: alignedEnd });
    cover(alignedEnd, end, level + 1);
  };
  // Left part, middle, right part: pushed in time order.
  cover(window.start, window.end, 0);
  return segments;
}

/** A segment of one window's decomposition: the buckets of `width` inside it count for that window. */
export interface PlannedSegment extends Segment {
  /** Index into the planned windows. */
  readonly window: number;
}

export interface UsagePlan {
  readonly queries: readonly UsageQuery[];
  /** What each returned bucket counts for; buckets outside every segment of their width are ignored. */
  readonly segments: readonly PlannedSegment[];
}

/**
 * Plans the requests for one or more windows. Each window is decomposed on its own, so every
 * counted bucket lies inside exactly one window. Segments of one width are then covered with
 * queries of at most one page each: a query may run across a short gap between segments
 * (the hour a :30 zone's midnight splits, covered by minute buckets), and the gap's buckets,
 * which no segment claims, are ignored. That keeps a daily run with trend days in one batch.
 */
export function planQueries(windows: readonly Window[], projectIds?: readonly string[]): UsagePlan {
  const segments = windows.flatMap((window, index) =>
    alignedSegments(window).map((segment): PlannedSegment => ({ ...segment, window: index })),
  );
  const queries = WIDTHS_COARSE_TO_FINE.flatMap((width) =>
    coverWithQueries(
      segments.filter((s) => s.width === width).sort((a, b) => a.start - b.start),
      width,
      projectIds,
    ),
  );
  return { queries, segments };
}

/**
 * Joins segments into runs, bridging a gap when it is no longer than the segments on either side
 * (so the ignored buckets never outnumber the useful ones), then cuts runs into one-page queries.
 */
function coverWithQueries(
  segments: readonly Segment[],
  width: BucketWidth,
  projectIds?: readonly string[],
): UsageQuery[] {
  // Stryker disable next-line ArrayDeclaration: a bogus first run has no end, so nothing joins it and it plans no query
  const runs: { start: number; end: number }[] = [];
  let previousLength = 0;
  for (const segment of segments) {
    const run = runs.at(-1);
    const length = segment.end - segment.start;
    if (run && segment.start - run.end <= Math.min(previousLength, length)) run.end = segment.end;
    else runs.push({ start: segment.start, end: segment.end });
    previousLength = length;
  }
  const size = BUCKET_SECONDS[width];
  const step = MAX_BUCKETS_PER_PAGE[width] * size;
  return runs.flatMap((run) => {
    const queries: UsageQuery[] = [];
    for (let start = run.start; start < run.end; start += step) {
      const end = Math.min(start + step, run.end);
      queries.push({
        width,
        start,
        end,
        limit: (end - start) / size,
        ...(projectIds?.length ? { projectIds } : {}),
      });
    }
    return queries;
  });
}
