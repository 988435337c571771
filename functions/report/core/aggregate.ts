import { SumOverflowError } from '../errors';
import { BUCKET_SECONDS, type BucketWidth, type PlannedSegment, type Segment } from './plan';
import { MalformedPageError, type UsageBucket } from './usage-page';

/** Sessions per project id; the key `null` holds usage not attributed to a project. */
export type ProjectTotals = Map<string | null, number>;

/** Rows one query has counted so far, by bucket start, then project: the guard against repeats. */
type SeenRows = Map<number, Map<string | null, number>>;

/**
 * Running sums per window, fed page by page while the queries are still paging, so a report holds
 * its totals and one repeat guard per query in flight, never every bucket it fetched.
 *
 * Every bucket must be one whole bucket of the query's width, on a UTC multiple of it, inside the
 * query: anything else fails the run naming the bucket, never silently summed or dropped. A row
 * (bucket, project) that arrives again, from overlapping pages or a cursor that rewinds, is dropped
 * when it repeats the count already seen and fails the run when it contradicts it. A bucket inside
 * the query that no segment claims (a gap a query bridges) is not counted, nor guarded.
 */
export class UsageTally {
  private readonly totals: ProjectTotals[];
  /** Per width, the distinct ranges segments cover, by start, each with the windows it counts for. */
  private readonly rangesByWidth = new Map<BucketWidth, CountedRange[]>();
  private readonly seen = new Map<Segment, SeenRows>();

  /**
   * Segments of one width either coincide (one range counted for several windows, each with its
   * sign: planLocalDays) or do not overlap at all.
   */
  constructor(segments: readonly PlannedSegment[], windowCount: number) {
    this.totals = Array.from({ length: windowCount }, (): ProjectTotals => new Map());
    const byRange = new Map<string, CountedRange>();
    for (const segment of segments) {
      const key = `${segment.width} ${segment.start} ${segment.end}`;
      let range = byRange.get(key);
      if (!range) {
        range = { start: segment.start, end: segment.end, counts: [] };
        byRange.set(key, range);
        const list = this.rangesByWidth.get(segment.width) ?? [];
        list.push(range);
        this.rangesByWidth.set(segment.width, list);
      }
      range.counts.push({ window: segment.window, sign: segment.sign ?? 1 });
    }
    for (const list of this.rangesByWidth.values()) {
      list.sort((a, b) => a.start - b.start);
      list.forEach((range, i) => {
        const next = list[i + 1];
        if (next && next.start < range.end)
          throw new RangeError('planned segments overlap without coinciding');
      });
    }
  }

  /** Adds one page of `query`'s buckets. Throws a MalformedPageError naming the bucket or row at fault. */
  addPage(query: Segment, buckets: readonly UsageBucket[]): void {
    const size = BUCKET_SECONDS[query.width];
    const seen = this.seen.get(query) ?? new Map<number, Map<string | null, number>>();
    this.seen.set(query, seen);
    for (const bucket of buckets) {
      // Built only for an error: a daily run checks some 6,000 minute and hour buckets.
      const where = () => bucketName(bucket);
      if (bucket.end_time - bucket.start_time !== size)
        throw new MalformedPageError(`${where()} is not one ${query.width} bucket`);
      if (bucket.start_time % size !== 0)
        throw new MalformedPageError(`${where()} is not aligned to a UTC multiple of ${query.width}`);
      if (bucket.start_time < query.start || bucket.end_time > query.end) {
        throw new MalformedPageError(
          `${where()} lies outside the requested ${isoMinute(query.start)}–${isoMinute(query.end)}`,
        );
      }
      const counts = this.rangeOf(query.width, bucket.start_time)?.counts;
      // A bucket no window counts (between the two midnights a minute query settles) needs no guard.
      if (!counts) continue;
      const rows = seen.get(bucket.start_time) ?? new Map<string | null, number>();
      seen.set(bucket.start_time, rows);
      for (const row of bucket.results) {
        const before = rows.get(row.project_id);
        if (before !== undefined) {
          if (before === row.num_sessions) continue;
          throw new MalformedPageError(
            `${where()} repeats project ${row.project_id ?? 'unattributed'} with ${row.num_sessions} sessions after ${before}`,
          );
        }
        rows.set(row.project_id, row.num_sessions);
        for (const { window, sign } of counts) {
          const totals = this.totals[window] as ProjectTotals;
          const sum = (totals.get(row.project_id) ?? 0) + sign * row.num_sessions;
          if (!Number.isSafeInteger(sum))
            throw new MalformedPageError(`${where()} overflows the session count`);
          totals.set(row.project_id, sum);
        }
      }
    }
  }

  /** Releases a finished query's repeat guard. */
  finishQuery(query: Segment): void {
    this.seen.delete(query);
  }

  /**
   * One map per planned window, in the order the windows were planned. Throws a MalformedPageError
   * when a window holds fewer than no sessions of a project: a piece of an hour, read in minutes,
   * that the hour's own bucket did not hold (the API contradicting itself).
   */
  windowTotals(): ProjectTotals[] {
    for (const totals of this.totals) {
      for (const [id, count] of totals) {
        if (count < 0) {
          throw new MalformedPageError(
            `project ${id ?? 'unattributed'} has more sessions in the minute buckets of an hour than in the hour's bucket`,
          );
        }
      }
    }
    return this.totals;
  }

  /** Ranges start and end on multiples of their width, so an aligned bucket is inside one or none. */
  private rangeOf(width: BucketWidth, start: number): CountedRange | undefined {
    // Stryker disable next-line ArrayDeclaration: a non-range found here counts for no window, like none
    const sorted = this.rangesByWidth.get(width) ?? [];
    let low = 0;
    let high = sorted.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const range = sorted[mid] as CountedRange;
      if (start < range.start) high = mid - 1;
      else if (start >= range.end) low = mid + 1;
      else return range;
    }
    return undefined;
  }
}

/** A range of buckets and the windows its sessions count for (sign -1: taken off). */
interface CountedRange {
  readonly start: number;
  readonly end: number;
  readonly counts: { readonly window: number; readonly sign: 1 | -1 }[];
}

/**
 * The sessions of a run of days, `days[from]` through `days[to - 1]`, per project: a window of the
 * report made of the days it was fetched by. Throws a SumOverflowError naming `field` past
 * Number.MAX_SAFE_INTEGER.
 */
export function sumDays(
  days: readonly ProjectTotals[],
  range: { readonly from: number; readonly to: number },
  field = 'total_sessions',
): ProjectTotals {
  const sum: ProjectTotals = new Map();
  for (const day of days.slice(range.from, range.to)) {
    for (const [id, count] of day) {
      const after = (sum.get(id) ?? 0) + count;
      if (!Number.isSafeInteger(after)) {
        throw new SumOverflowError(
          field,
          `the sessions of project ${id ?? 'unattributed'} sum past ${Number.MAX_SAFE_INTEGER}`,
        );
      }
      sum.set(id, after);
    }
  }
  return sum;
}

/**
 * Sessions over every project, unattributed included. Throws a SumOverflowError naming `field`
 * past Number.MAX_SAFE_INTEGER, where a sum of counts is no longer exact (or is Infinity).
 */
export function sumTotals(totals: ProjectTotals, field = 'total_sessions'): number {
  let sum = 0;
  for (const count of totals.values()) sum += count;
  if (!(sum <= Number.MAX_SAFE_INTEGER)) {
    throw new SumOverflowError(
      field,
      `the projects' sessions sum past ${Number.MAX_SAFE_INTEGER}, beyond which a count is not exact`,
    );
  }
  return sum;
}

function bucketName(bucket: UsageBucket): string {
  return `bucket ${isoMinute(bucket.start_time)}–${isoMinute(bucket.end_time)}`;
}

/** `2026-11-22T00:00Z`, or the raw number when it is no date at all. */
function isoMinute(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return Number.isNaN(date.getTime()) ? String(epochSeconds) : `${date.toISOString().slice(0, 16)}Z`;
}
