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
  /** -1: its buckets are taken off the window (a piece of an hour the window holds, see planLocalDays). */
  readonly sign?: 1 | -1;
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

const MINUTE = 60;
const HOUR = 3_600;

/**
 * Plans consecutive local days (`days[k].end` is `days[k + 1].start`), each day a window, so that
 * every day whose two midnights are in `exactMidnights` (midnight k starts day k; midnight
 * `days.length` ends the last) is counted to the session, and the rest at most part of an hour off.
 *
 * A midnight on a UTC hour costs nothing: hour (or day) buckets meet there. One off the hour (Kolkata
 * 18:30Z, Kathmandu 18:15Z) splits an hour. When that midnight is not exact, the whole hour goes to
 * the day it mostly belongs to (a tie to the day it starts). When it is exact, the hour goes to one
 * side and one piece of it, read in minutes, moves to the other: `[midnight, next hour)` taken off the
 * day before and added to the day after, or `[hour, midnight)` the other way round. Reading that piece
 * after one midnight and before the next lets one minute query of at most 1,440 buckets (one local
 * day) settle two midnights, its buckets between them ignored: a daily digest's 9 exact midnights
 * (its 7 trend days and the report day) take 5 minute queries instead of 9, which keeps Kolkata's
 * and Kathmandu's 31 days, with the cost, names and limit requests, within the 16 in flight: 15.
 */
export function planLocalDays(
  days: readonly Window[],
  exactMidnights: ReadonlySet<number>,
  projectIds?: readonly string[],
): UsagePlan {
  days.forEach((day, k) => {
    const next = days[k + 1];
    if (next && next.start !== day.end) throw new RangeError('the days must follow one another');
    if (day.start % MINUTE !== 0 || day.end % MINUTE !== 0) {
      throw new RangeError('days must start on whole minutes, the finest bucket the API has');
    }
  });
  const count = days.length;
  if (count === 0) return { queries: [], segments: [] };
  const midnight = (k: number) => (k < count ? (days[k] as Window).start : (days[count - 1] as Window).end);
  const bounds: number[] = [];
  const corrections: PlannedSegment[] = [];
  const minuteQueries: Segment[] = [];
  // A piece after an exact midnight, read alone unless the next exact midnight is within one page.
  let open: Segment | undefined;
  const closeOpen = () => {
    if (open) minuteQueries.push(open);
    open = undefined;
  };
  const move = (piece: Segment, from: number, to: number) => {
    if (from >= 0 && from < count) corrections.push({ ...piece, window: from, sign: -1 });
    if (to >= 0 && to < count) corrections.push({ ...piece, window: to });
  };
  for (let k = 0; k <= count; k++) {
    const at = midnight(k);
    const hour = Math.floor(at / HOUR) * HOUR;
    if (at === hour) {
      bounds.push(at);
      continue;
    }
    const next = hour + HOUR;
    if (!exactMidnights.has(k)) {
      bounds.push(at - hour <= next - at ? hour : next);
      continue;
    }
    if (open && at - open.start <= MAX_BUCKETS_PER_PAGE['1m'] * MINUTE) {
      // [hour, midnight) belongs to the day before; the hour goes to the day after.
      const piece: Segment = { width: '1m', start: hour, end: at };
      move(piece, k, k - 1);
      minuteQueries.push({ width: '1m', start: open.start, end: at });
      open = undefined;
      bounds.push(hour);
      continue;
    }
    closeOpen();
    // [midnight, next hour) belongs to the day after; the hour goes to the day before.
    const piece: Segment = { width: '1m', start: at, end: next };
    move(piece, k - 1, k);
    open = piece;
    bounds.push(next);
  }
  closeOpen();
  const segments: PlannedSegment[] = [];
  for (let k = 0; k < count; k++) {
    const window = { start: bounds[k] as number, end: bounds[k + 1] as number };
    for (const segment of alignedSegments(window)) segments.push({ ...segment, window: k });
  }
  const queries = [
    ...(['1d', '1h'] as const).flatMap((width) =>
      coverWithQueries(
        segments.filter((s) => s.width === width).sort((a, b) => a.start - b.start),
        width,
        projectIds,
      ),
    ),
    ...minuteQueries.map(
      (query): UsageQuery => ({
        ...query,
        limit: (query.end - query.start) / MINUTE,
        ...(projectIds?.length ? { projectIds } : {}),
      }),
    ),
  ];
  return { queries, segments: [...segments, ...corrections] };
}
