import type { ProjectTotals } from './aggregate';
import { roundUsd } from './cost';
import type { LocalDate, Window } from './local-time';
import type { DailySpend } from './runway';

/** One local day of a digest's chart. */
export interface ChartDay {
  readonly date: LocalDate;
  /** Code interpreter sessions that local day. */
  readonly sessions: number;
  /** Code interpreter cost of the UTC day with that date (the Costs API has UTC days only); null when unknown. */
  readonly cost_usd: number | null;
}

/** The series a digest draws: bars per day, a reference, and a 14-day sparkline per listed project. */
export interface DigestChart {
  /**
   * Daily: the 30 local days before the report day and the report day itself (31, oldest first; the
   * last is the report day). Weekly and monthly: the period's days, oldest first.
   */
  readonly days: readonly ChartDay[];
  /** Weekly and monthly: the period before's days, oldest first, drawn against `days`. */
  readonly previous?: readonly ChartDay[];
  /** Daily: mean sessions a day over the 7 days before the report day (the reference line). */
  readonly mean_7d?: number;
  /** The organization's sessions on the last 14 local days ending with the period's last day, oldest first. */
  readonly sparkline: readonly number[];
  /** The same 14 days for each project of the report (null: unattributed); a project absent here had none. */
  readonly projects: ReadonlyMap<string | null, readonly number[]>;
}

/** Consecutive days `[from, to)` of a chart's days (core/windows.ts chartDays): a window reported or compared with. */
export interface DayRange {
  readonly from: number;
  readonly to: number;
}

/** Days in every sparkline. */
export const SPARKLINE_DAYS = 14;
/** Days before the report day in a daily digest's chart. */
export const CHART_HISTORY_DAYS = 30;

/** What a digest's chart is drawn from: the days it was fetched by, and their cost where known. */
export interface ChartInput {
  readonly kind: 'daily' | 'weekly' | 'monthly';
  /** The local days, oldest first, and which of them are the period and the period before. */
  readonly dates: readonly LocalDate[];
  readonly period: DayRange;
  /** Weekly and monthly: the period before's days. */
  readonly previous?: DayRange;
  /** Sessions per project on each of `dates` (a route's projects only, for a route's chart). */
  readonly dayTotals: readonly ProjectTotals[];
  /** Code interpreter spend per UTC day over `cost.window` (no row: none that day); null when unknown. */
  readonly cost: { readonly window: Window; readonly rows: readonly DailySpend[] } | null;
  /** The projects the report lists, in its order. */
  readonly projects: readonly (string | null)[];
  /** Daily: the trend's mean of the 7 days before the report day. */
  readonly mean7d?: number;
}

/**
 * The series a scheduled digest draws: each day's sessions (a day without any is a zero bar, never a
 * missing one) and code interpreter cost, the reference mean, and the organization's and each listed
 * project's sessions over the SPARKLINE_DAYS days ending on the period's last day (a project new in
 * them starts at zero).
 */
export function buildDigestChart(input: ChartInput): DigestChart {
  const costOf = dailyCost(input.cost);
  const days = input.dates.map(
    (date, i): ChartDay => ({
      date,
      sessions: sessionsOf(input.dayTotals[i]),
      cost_usd: costOf(date),
    }),
  );
  const last = input.period.to;
  const sparkFrom = Math.max(0, last - SPARKLINE_DAYS);
  const sparkDays = input.dayTotals.slice(sparkFrom, last);
  return {
    // A daily chart draws its history beside the report day; a weekly or monthly one the period.
    days: input.kind === 'daily' ? days.slice(0, last) : days.slice(input.period.from, last),
    ...(input.previous ? { previous: days.slice(input.previous.from, input.previous.to) } : {}),
    ...(input.mean7d === undefined ? {} : { mean_7d: input.mean7d }),
    sparkline: days.slice(sparkFrom, last).map((day) => day.sessions),
    projects: new Map(input.projects.map((id) => [id, sparkDays.map((day) => day.get(id) ?? 0)])),
  };
}

/** Sessions of one day over every project in `totals`. */
function sessionsOf(totals: ProjectTotals | undefined): number {
  let sum = 0;
  for (const count of totals?.values() ?? []) sum += count;
  return sum;
}

/** The cost of the UTC day with a date: 0 inside the fetched days without a row, null outside them or unknown. */
function dailyCost(cost: ChartInput['cost']): (date: LocalDate) => number | null {
  if (!cost) return () => null;
  const byDate = new Map<LocalDate, number>();
  for (const row of cost.rows) byDate.set(row.date, (byDate.get(row.date) ?? 0) + row.usd);
  return (date) => {
    const start = Date.parse(`${date}T00:00:00Z`) / 1000;
    if (start < cost.window.start || start >= cost.window.end) return null;
    return roundUsd(byDate.get(date) ?? 0);
  };
}
