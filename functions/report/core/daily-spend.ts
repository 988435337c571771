import type { CostBucket } from './cost';
import type { LocalDate, Window } from './local-time';
import type { DailySpend } from './runway';
import { MalformedPageError } from './usage-page';

const DAY = 86_400;

/** What a runway is measured on: spend per UTC day, all line items per project, and code interpreter's part. */
export interface SpendByDay {
  /** Every line item, per project (null: unattributed), one row per UTC day with spend, in date order. */
  readonly total: ReadonlyMap<string | null, readonly DailySpend[]>;
  /** Code interpreter lines of every project the report covers, one row per UTC day with such a line. */
  readonly codeInterpreter: readonly DailySpend[];
  /** The same for each route's projects, by {@link projectSetKey} of the route's project ids. */
  readonly routeCodeInterpreter: ReadonlyMap<string, readonly DailySpend[]>;
}

/** The key of a set of projects (a route's): its distinct ids, sorted, joined. */
export function projectSetKey(projectIds: Iterable<string>): string {
  return [...new Set(projectIds)].sort().join('\u0000');
}

/**
 * Spend per UTC day and project over a window, of the rows it is given (every line item, or only
 * the ones a query kept), summed as cost pages arrive. Rows merge as the code interpreter
 * {@link CostTally} merges them, keyed by UTC day, project and line item (null where a query did
 * not group by it): a row seen before with the same amount is dropped (a page repeated), with
 * another amount fails, and a new row adds. A bucket outside the window or not one UTC day fails,
 * and so does a sum past what a number holds.
 */
export class DailySpendTally {
  /**
   * Amounts counted so far, by day index, line item and project: the guard against repeats. Line
   * items first: a query has a few (or only null) and projects many, so a day holds a few maps.
   */
  private readonly seen: Map<string | null, Map<string | null, number>>[];
  /** Per project, USD per day of the window (NaN: no row that day), so a row costs one lookup. */
  private readonly days = new Map<string | null, Float64Array>();
  /** The window's UTC dates, by day index. */
  private readonly dates: LocalDate[];

  constructor(private readonly window: Window) {
    const days = Math.max(0, Math.ceil((window.end - window.start) / DAY));
    this.dates = Array.from({ length: days }, (_, i) => dateOf(window.start + i * DAY));
    this.seen = Array.from({ length: days }, () => new Map());
  }

  addPage(buckets: readonly CostBucket[]): void {
    for (const bucket of buckets) {
      const { start_time: start, end_time: end } = bucket;
      if (end - start !== DAY || start % DAY !== 0) {
        throw new MalformedPageError(`the cost bucket starting ${dateOf(start)} is not one UTC day`);
      }
      if (start < this.window.start || end > this.window.end) {
        throw new MalformedPageError(`the cost bucket ${dateOf(start)} is outside the requested days`);
      }
      const index = (start - this.window.start) / DAY;
      const lines = this.seen[index] as Map<string | null, Map<string | null, number>>;
      // A month of 1,500 projects is some 30,000 rows: no key strings built per row.
      for (const row of bucket.results) {
        let projects = lines.get(row.line_item);
        if (!projects) {
          projects = new Map<string | null, number>();
          lines.set(row.line_item, projects);
        }
        const before = projects.get(row.project_id);
        if (before !== undefined) {
          if (before === row.value) continue;
          throw new MalformedPageError(
            `the cost bucket ${dateOf(start)} repeats project ${row.project_id ?? 'unattributed'}, line item ${JSON.stringify(row.line_item)}, with $${row.value} after $${before}`,
          );
        }
        projects.set(row.project_id, row.value);
        this.add(row.project_id, index, row.value);
      }
    }
  }

  /** The spend so far, per project and day (unrounded: the runway rounds its sums). */
  perProject(): Map<string | null, DailySpend[]> {
    const series = new Map<string | null, DailySpend[]>();
    for (const [project, days] of this.days) series.set(project, this.series(days));
    return series;
  }

  /** The spend so far of every project together, per day; of only `projects` (each counted once) when given. */
  overall(projects?: Iterable<string | null>): DailySpend[] {
    const sum = new Float64Array(this.dates.length).fill(Number.NaN);
    const chosen = projects
      ? [...new Set(projects)].flatMap((id) => this.days.get(id) ?? [])
      : this.days.values();
    for (const days of chosen) {
      days.forEach((usd, i) => {
        if (Number.isNaN(usd)) return;
        const before = sum[i] as number;
        const after = (Number.isNaN(before) ? 0 : before) + usd;
        if (!Number.isFinite(after)) {
          throw new MalformedPageError(`the spend is past what a number holds on ${this.dates[i]}`);
        }
        sum[i] = after;
      });
    }
    return this.series(sum);
  }

  private add(project: string | null, index: number, usd: number): void {
    let days = this.days.get(project);
    if (!days) {
      days = new Float64Array(this.dates.length).fill(Number.NaN);
      this.days.set(project, days);
    }
    const before = days[index] as number;
    const sum = (Number.isNaN(before) ? 0 : before) + usd;
    if (!Number.isFinite(sum)) {
      throw new MalformedPageError(
        `the spend of project ${project ?? 'unattributed'} is past what a number holds on ${this.dates[index]}`,
      );
    }
    days[index] = sum;
  }

  private series(days: Float64Array): DailySpend[] {
    const rows: DailySpend[] = [];
    days.forEach((usd, i) => {
      if (!Number.isNaN(usd)) rows.push({ date: this.dates[i] as LocalDate, usd });
    });
    return rows;
  }
}

function dateOf(epochSeconds: number): LocalDate {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}
