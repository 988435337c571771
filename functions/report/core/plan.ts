import type { Window } from './local-time';

export type BucketWidth = '1d' | '1h' | '1m';

export const BUCKET_SECONDS: Readonly<Record<BucketWidth, number>> = { '1d': 86_400, '1h': 3_600, '1m': 60 };

/** The API's maximum `limit` (buckets per page) for each width. */
export const MAX_BUCKETS_PER_PAGE: Readonly<Record<BucketWidth, number>> = {
  '1d': 31,
  '1h': 168,
  '1m': 1_440,
};

/** The API's default `limit`, which is what a naive client gets. */
export const DEFAULT_BUCKETS_PER_PAGE: Readonly<Record<BucketWidth, number>> = {
  '1d': 7,
  '1h': 24,
  '1m': 60,
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
  cover(window.start, window.end, 0);
  return segments.sort((a, b) => a.start - b.start);
}

/**
 * Plans the requests for one or more windows. Each window is decomposed on its own, so every
 * bucket lies inside exactly one window and can be attributed to it; touching segments of the same
 * width are then merged and cut into chunks of at most the API's page size.
 */
export function planQueries(windows: readonly Window[], projectIds?: readonly string[]): UsageQuery[] {
  const segments = windows.flatMap(alignedSegments).sort((a, b) => a.start - b.start);
  const merged: Segment[] = [];
  for (const segment of segments) {
    const last = merged.at(-1);
    if (last && last.width === segment.width && last.end === segment.start) {
      merged[merged.length - 1] = { ...last, end: segment.end };
    } else {
      merged.push(segment);
    }
  }
  return merged.flatMap((segment) => chunkSegment(segment, projectIds));
}

function chunkSegment(segment: Segment, projectIds?: readonly string[]): UsageQuery[] {
  const size = BUCKET_SECONDS[segment.width];
  const step = MAX_BUCKETS_PER_PAGE[segment.width] * size;
  const queries: UsageQuery[] = [];
  for (let start = segment.start; start < segment.end; start += step) {
    const end = Math.min(start + step, segment.end);
    queries.push({
      width: segment.width,
      start,
      end,
      limit: (end - start) / size,
      ...(projectIds?.length ? { projectIds } : {}),
    });
  }
  return queries;
}
