import { type CostBucket, isCodeInterpreterLine } from './cost';
import type { LocalDate, Window } from './local-time';
import type { DailySpend } from './runway';
import { MalformedPageError } from './usage-page';

const DAY = 86_400;

/** What a runway is measured on: spend per project and UTC day, all line items and code interpreter's part. */
export interface SpendByDay {
  /** Every line item, per project (null: unattributed), one row per UTC day with a line, in date order. */
  readonly total: ReadonlyMap<string | null, readonly DailySpend[]>;
  /** The code interpreter lines only, per project, one row per UTC day with such a line, in date order. */
  readonly codeInterpreter: ReadonlyMap<string | null, readonly DailySpend[]>;
}

/**
 * Spend per UTC day and project over a window, every line item counted, summed as cost pages
 * arrive. Rows merge as the code interpreter {@link CostTally} merges them, keyed by UTC day,
 * project and line item: a row seen before with the same amount is dropped (a page repeated), with
 * another amount fails, and a new row adds. A bucket outside the window or not one UTC day fails,
 * and so does a sum past what a number holds.
 */
export class DailySpendTally {
  /** Amounts counted so far, by bucket start, project and line item: the guard against repeats. */
  private readonly seen = new Map<number, Map<string | null, Map<string | null, number>>>();
  /** Whether a line item is code interpreter's, worked out once per name (a page repeats a few names). */
  private readonly isCodeInterpreter = new Map<string | null, boolean>();
  /** Per project, USD per day of the window (NaN: no line that day), so a row costs one lookup. */
  private readonly total = new Map<string | null, Float64Array>();
  private readonly codeInterpreter = new Map<string | null, Float64Array>();
  /** The window's UTC dates, by day index. */
  private readonly dates: LocalDate[];

  constructor(private readonly window: Window) {
    const days = Math.max(0, Math.ceil((window.end - window.start) / DAY));
    this.dates = Array.from({ length: days }, (_, i) => dateOf(window.start + i * DAY));
  }

  addPage(buckets: readonly CostBucket[]): void {
    for (const bucket of buckets) {
      const day = new Date(bucket.start_time * 1000).toISOString().slice(0, 10);
      if (bucket.end_time - bucket.start_time !== DAY || bucket.start_time % DAY !== 0) {
        throw new MalformedPageError(`the cost bucket starting ${day} is not one UTC day`);
      }
      if (bucket.start_time < this.window.start || bucket.end_time > this.window.end) {
        throw new MalformedPageError(`the cost bucket ${day} is outside the requested days`);
      }
      const index = (bucket.start_time - this.window.start) / DAY;
      const projects =
        this.seen.get(bucket.start_time) ?? new Map<string | null, Map<string | null, number>>();
      this.seen.set(bucket.start_time, projects);
      // 1,500 projects × their line items × a month is some 100,000 rows: no key strings built per row.
      for (const row of bucket.results) {
        let rows = projects.get(row.project_id);
        if (!rows) {
          rows = new Map<string | null, number>();
          projects.set(row.project_id, rows);
        }
        const before = rows.get(row.line_item);
        if (before !== undefined) {
          if (before === row.value) continue;
          throw new MalformedPageError(
            `the cost bucket ${day} repeats project ${row.project_id ?? 'unattributed'}, line item ${JSON.stringify(row.line_item)}, with $${row.value} after $${before}`,
          );
        }
        rows.set(row.line_item, row.value);
        this.add(this.total, row.project_id, index, day, row.value);
        let codeInterpreter = this.isCodeInterpreter.get(row.line_item);
        if (codeInterpreter === undefined) {
          codeInterpreter = isCodeInterpreterLine(row.line_item);
          this.isCodeInterpreter.set(row.line_item, codeInterpreter);
        }
        if (codeInterpreter) this.add(this.codeInterpreter, row.project_id, index, day, row.value);
      }
    }
  }

  /** The spend so far, per project and day (unrounded: the runway rounds its sums). */
  spend(): SpendByDay {
    return { total: this.series(this.total), codeInterpreter: this.series(this.codeInterpreter) };
  }

  private add(
    into: Map<string | null, Float64Array>,
    project: string | null,
    index: number,
    day: LocalDate,
    usd: number,
  ): void {
    let days = into.get(project);
    if (!days) {
      days = new Float64Array(this.dates.length).fill(Number.NaN);
      into.set(project, days);
    }
    const before = days[index] as number;
    const sum = (Number.isNaN(before) ? 0 : before) + usd;
    if (!Number.isFinite(sum)) {
      throw new MalformedPageError(
        `the spend of project ${project ?? 'unattributed'} is past what a number holds on ${day}`,
      );
    }
    days[index] = sum;
  }

  private series(from: ReadonlyMap<string | null, Float64Array>): Map<string | null, DailySpend[]> {
    const series = new Map<string | null, DailySpend[]>();
    for (const [project, days] of from) {
      const rows: DailySpend[] = [];
      days.forEach((usd, i) => {
        if (!Number.isNaN(usd)) rows.push({ date: this.dates[i] as LocalDate, usd });
      });
      series.set(project, rows);
    }
    return series;
  }
}

function dateOf(epochSeconds: number): LocalDate {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}
