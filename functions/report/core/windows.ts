import { CHART_HISTORY_DAYS, type DayRange } from './chart-series';
import { addDays, type LocalDate, localDateOf, startOfLocalDay, type Window } from './local-time';

/** The scheduled digests: each reports the period that ended before its run. */
export type DigestKind = 'daily' | 'weekly' | 'monthly';
export const DIGEST_KINDS: readonly DigestKind[] = ['daily', 'weekly', 'monthly'];

/** Days of history fetched alongside a daily report for its trend columns. */
export const TREND_DAYS = 7;

export interface DigestPeriod {
  /** `daily:2026-11-22`, `weekly:2026-11-16` (its Monday), `monthly:2026-10`: one per period. */
  readonly key: string;
  readonly window: Window;
  /**
   * What the period is compared with, oldest first: the 7 days before a daily report (the first is
   * the same weekday a week before); the week before a weekly one; the month before a monthly one.
   */
  readonly trendWindows: readonly Window[];
}

/** Local midnight to local midnight, however long DST makes it. */
const between = (first: LocalDate, end: LocalDate, timeZone: string): Window => ({
  start: startOfLocalDay(first, timeZone),
  end: startOfLocalDay(end, timeZone),
});

/**
 * The period a digest run at `reference` reports, in `timeZone`: the local day before it (daily),
 * the Monday-to-Monday week before the week it falls in (weekly), or the calendar month before
 * its month (monthly), each from local midnight to local midnight.
 */
export function digestPeriod(kind: DigestKind, reference: number, timeZone: string): DigestPeriod {
  const today = localDateOf(reference, timeZone);
  if (kind === 'daily') {
    const day = addDays(today, -1);
    return {
      key: `daily:${day}`,
      window: between(day, today, timeZone),
      trendWindows: Array.from({ length: TREND_DAYS }, (_, i) =>
        between(addDays(day, i - TREND_DAYS), addDays(day, i - TREND_DAYS + 1), timeZone),
      ),
    };
  }
  if (kind === 'weekly') {
    // ISO weeks start on Monday: getUTCDay() is 0 for Sunday.
    const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7;
    const thisMonday = addDays(today, -weekday);
    const lastMonday = addDays(thisMonday, -7);
    return {
      key: `weekly:${lastMonday}`,
      window: between(lastMonday, thisMonday, timeZone),
      trendWindows: [between(addDays(lastMonday, -7), lastMonday, timeZone)],
    };
  }
  const thisMonth = `${today.slice(0, 7)}-01`;
  const lastMonth = firstOfMonthBefore(thisMonth);
  return {
    key: `monthly:${lastMonth.slice(0, 7)}`,
    window: between(lastMonth, thisMonth, timeZone),
    trendWindows: [between(firstOfMonthBefore(lastMonth), lastMonth, timeZone)],
  };
}

/** The local days a scheduled digest is fetched and drawn by, and which of them its windows are made of. */
export interface ChartDays {
  /** Consecutive local dates, oldest first. */
  readonly dates: readonly LocalDate[];
  /** Each date's local midnight to the next: 23, 24 or 25 hours. */
  readonly windows: readonly Window[];
  /** The days of the report's window. */
  readonly period: DayRange;
  /** The days of each trend window, in the order of digestPeriod's `trendWindows`. */
  readonly trend: readonly DayRange[];
}

/**
 * The days a scheduled digest reads, all in one wave, and draws: for a daily one the
 * CHART_HISTORY_DAYS local days before the report day and the report day (its 7 trend days are the
 * last 7 of those before it); for a weekly or monthly one the period before and the period. The
 * report's window and its trend windows are runs of these days, so their totals are the days' sums.
 */
export function chartDays(kind: DigestKind, window: Window, timeZone: string): ChartDays {
  const first = localDateOf(window.start, timeZone);
  const last = localDateOf(window.end - 1, timeZone);
  const oldest =
    kind === 'daily'
      ? addDays(first, -CHART_HISTORY_DAYS)
      : kind === 'weekly'
        ? addDays(first, -7)
        : firstOfMonthBefore(first);
  const dates: LocalDate[] = [];
  for (let date = oldest; date <= last; date = addDays(date, 1)) dates.push(date);
  const from = dates.indexOf(first);
  const trend: DayRange[] =
    kind === 'daily'
      ? Array.from({ length: TREND_DAYS }, (_, i) => ({
          from: from - TREND_DAYS + i,
          to: from - TREND_DAYS + i + 1,
        }))
      : [{ from: 0, to: from }];
  return {
    dates,
    windows: dates.map((date) => between(date, addDays(date, 1), timeZone)),
    period: { from, to: dates.length },
    trend,
  };
}

/**
 * The midnights (k: the start of day k) that bound the report's window and its trend windows: the
 * ones planLocalDays must count to the session, so that those windows' totals are exact.
 */
export function reportMidnights(days: ChartDays): Set<number> {
  return new Set([days.period, ...days.trend].flatMap((range) => [range.from, range.to]));
}

function firstOfMonthBefore(first: LocalDate): LocalDate {
  return `${addDays(first, -1).slice(0, 7)}-01`;
}
