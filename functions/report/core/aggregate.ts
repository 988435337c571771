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
 * the query that no segment claims (a gap a query bridges) is not counted.
 */
export class UsageTally {
  private readonly totals: ProjectTotals[];
  private readonly segmentsByWidth = new Map<BucketWidth, PlannedSegment[]>();
  private readonly seen = new Map<Segment, SeenRows>();

  constructor(segments: readonly PlannedSegment[], windowCount: number) {
    this.totals = Array.from({ length: windowCount }, (): ProjectTotals => new Map());
    for (const segment of [...segments].sort((a, b) => a.start - b.start)) {
      const list = this.segmentsByWidth.get(segment.width) ?? [];
      list.push(segment);
      this.segmentsByWidth.set(segment.width, list);
    }
  }

  /** Adds one page of `query`'s buckets. Throws a MalformedPageError naming the bucket or row at fault. */
  addPage(query: Segment, buckets: readonly UsageBucket[]): void {
    const size = BUCKET_SECONDS[query.width];
    const seen = this.seen.get(query) ?? new Map<number, Map<string | null, number>>();
    this.seen.set(query, seen);
    for (const bucket of buckets) {
      const where = `bucket ${isoMinute(bucket.start_time)}–${isoMinute(bucket.end_time)}`;
      if (bucket.end_time - bucket.start_time !== size)
        throw new MalformedPageError(`${where} is not one ${query.width} bucket`);
      if (bucket.start_time % size !== 0)
        throw new MalformedPageError(`${where} is not aligned to a UTC multiple of ${query.width}`);
      if (bucket.start_time < query.start || bucket.end_time > query.end) {
        throw new MalformedPageError(
          `${where} lies outside the requested ${isoMinute(query.start)}–${isoMinute(query.end)}`,
        );
      }
      const rows = seen.get(bucket.start_time) ?? new Map<string | null, number>();
      seen.set(bucket.start_time, rows);
      const segment = this.segmentOf(query.width, bucket.start_time);
      const totals = segment ? (this.totals[segment.window] as ProjectTotals) : undefined;
      for (const row of bucket.results) {
        const before = rows.get(row.project_id);
        if (before !== undefined) {
          if (before === row.num_sessions) continue;
          throw new MalformedPageError(
            `${where} repeats project ${row.project_id ?? 'unattributed'} with ${row.num_sessions} sessions after ${before}`,
          );
        }
        rows.set(row.project_id, row.num_sessions);
        if (!totals) continue;
        const sum = (totals.get(row.project_id) ?? 0) + row.num_sessions;
        if (!Number.isSafeInteger(sum)) throw new MalformedPageError(`${where} overflows the session count`);
        totals.set(row.project_id, sum);
      }
    }
  }

  /** Releases a finished query's repeat guard. */
  finishQuery(query: Segment): void {
    this.seen.delete(query);
  }

  /** One map per planned window, in the order the windows were planned. */
  windowTotals(): ProjectTotals[] {
    return this.totals;
  }

  /** Segments start and end on multiples of their width, so an aligned bucket is inside one or none. */
  private segmentOf(width: BucketWidth, start: number): PlannedSegment | undefined {
    // Stryker disable next-line ArrayDeclaration: a non-segment found here has no window and counts nowhere, like none
    const sorted = this.segmentsByWidth.get(width) ?? [];
    let low = 0;
    let high = sorted.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const segment = sorted[mid] as PlannedSegment;
      if (start < segment.start) high = mid - 1;
      else if (start >= segment.end) low = mid + 1;
      else return segment;
    }
    return undefined;
  }
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

/** `2026-11-22T00:00Z`, or the raw number when it is no date at all. */
function isoMinute(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return Number.isNaN(date.getTime()) ? String(epochSeconds) : `${date.toISOString().slice(0, 16)}Z`;
}
