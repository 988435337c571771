import type { ChartDay, DigestChart } from '../../functions/report/core/chart-series';
import { SPARKLINE_DAYS } from '../../functions/report/core/chart-series';

/** `2026-11-21` minus `days` days. */
export function dateBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * A known 31-day series ending on `last`: a weekday rhythm, one day with no usage at all (nine days
 * before `last`), and the last day high. Costs are 7 cents a session, but unknown on the first day.
 */
export function knownDays(last: string, count = 31): ChartDay[] {
  return Array.from({ length: count }, (_, i) => {
    const back = count - 1 - i;
    const sessions =
      back === 9 ? 0 : back === 0 ? 1_480 : 400 + ((i * 37) % 11) * 60 + (i % 7 < 2 ? -250 : 0);
    return {
      date: dateBefore(last, back),
      sessions,
      cost_usd: i === 0 ? null : Math.round(sessions * 7) / 100,
    };
  });
}

/** The chart of a daily digest of `last`: 31 days, the 7-day mean, and a sparkline per project given. */
export function dailyChart(
  last: string,
  projects: ReadonlyMap<string | null, readonly number[]> = new Map(),
): DigestChart {
  const days = knownDays(last);
  const week = days.slice(-8, -1);
  return {
    days,
    mean_7d: Math.round((week.reduce((sum, d) => sum + d.sessions, 0) / week.length) * 10) / 10,
    sparkline: days.slice(-SPARKLINE_DAYS).map((d) => d.sessions),
    projects,
  };
}

/** A weekly (7 days) or monthly chart: the period's days ending on `last`, and the period before. */
export function periodChart(last: string, length: number, previousLength = length): DigestChart {
  const days = knownDays(last, length);
  const previous = knownDays(dateBefore(last, length), previousLength).map((d) => ({
    ...d,
    sessions: Math.round(d.sessions * 0.8),
  }));
  return {
    days,
    previous,
    sparkline: [...previous, ...days].slice(-SPARKLINE_DAYS).map((d) => d.sessions),
    projects: new Map(),
  };
}
