import { describe, expect, it } from 'vitest';
import type { ProjectTotals } from '../../functions/report/core/aggregate';
import { buildDigestChart, SPARKLINE_DAYS } from '../../functions/report/core/chart-series';
import { addDays, localDayWindow } from '../../functions/report/core/local-time';
import { chartDays, digestPeriod, reportMidnights } from '../../functions/report/core/windows';

const at = (iso: string) => Date.parse(iso) / 1000;
const utcDays = (first: string, last: string) => ({
  start: at(`${first}T00:00:00Z`),
  end: at(`${addDays(last, 1)}T00:00:00Z`),
});

describe('Function: chartDays', () => {
  it('daily: the 30 local days before the report day and the report day, its trend the last 7 before it', () => {
    const period = digestPeriod('daily', at('2026-11-23T07:00:00Z'), 'Asia/Kolkata');
    const days = chartDays('daily', period.window, 'Asia/Kolkata');
    expect(days.dates).toHaveLength(31);
    expect(days.dates[0]).toBe('2026-10-23');
    expect(days.dates.at(-1)).toBe('2026-11-22');
    expect(days.windows.at(-1)).toEqual(period.window);
    expect(days.period).toEqual({ from: 30, to: 31 });
    // The trend windows are those days, in digestPeriod's order.
    expect(days.trend.map((r) => days.windows[r.from])).toEqual(period.trendWindows);
    expect([...reportMidnights(days)].sort((a, b) => a - b)).toEqual([23, 24, 25, 26, 27, 28, 29, 30, 31]);
  });

  it('weekly and monthly: the period before, then the period, both ending at local midnight', () => {
    const weekly = digestPeriod('weekly', at('2026-11-23T07:00:00Z'), 'America/New_York');
    const week = chartDays('weekly', weekly.window, 'America/New_York');
    expect(week.dates).toEqual(Array.from({ length: 14 }, (_, i) => addDays('2026-11-09', i)));
    expect(week.period).toEqual({ from: 7, to: 14 });
    expect(week.trend).toEqual([{ from: 0, to: 7 }]);
    const monthly = digestPeriod('monthly', at('2026-11-23T07:00:00Z'), 'America/New_York');
    const month = chartDays('monthly', monthly.window, 'America/New_York');
    expect(month.dates[0]).toBe('2026-09-01');
    expect(month.dates.at(-1)).toBe('2026-10-31');
    expect(month.period).toEqual({ from: 30, to: 61 });
    expect(month.windows[month.period.from]?.start).toBe(monthly.window.start);
    expect(month.windows[0]?.start).toBe(monthly.trendWindows[0]?.start);
  });

  it('counts a 25-hour DST day once, as one day (New York, 1 Nov 2026)', () => {
    const weekly = digestPeriod('weekly', at('2026-11-09T12:00:00Z'), 'America/New_York');
    const days = chartDays('weekly', weekly.window, 'America/New_York');
    const hours = days.windows.map((w) => (w.end - w.start) / 3600);
    expect(hours.filter((h) => h === 25)).toHaveLength(1);
    expect(new Set(days.dates).size).toBe(days.dates.length);
    expect(days.windows[days.dates.indexOf('2026-11-01')]).toEqual(
      localDayWindow('2026-11-01', 'America/New_York'),
    );
  });
});

describe('Function: buildDigestChart', () => {
  // 31 days oldest first: day i has i sessions of project a, and b from the 29th day on.
  const dates = Array.from({ length: 31 }, (_, i) => addDays('2026-10-23', i));
  const totals: ProjectTotals[] = dates.map(
    (_, i) => new Map<string | null, number>([['a', i], ...(i >= 28 ? [['b', 2] as [string, number]] : [])]),
  );
  totals[10] = new Map();
  const daily = {
    kind: 'daily' as const,
    dates,
    period: { from: 30, to: 31 },
    dayTotals: totals,
    cost: {
      window: utcDays('2026-10-25', '2026-11-22'),
      rows: [
        { date: '2026-11-22', usd: 1.5 },
        { date: '2026-11-22', usd: 0.25 },
        { date: '2026-11-01', usd: 3 },
      ],
    },
    projects: ['a', 'b', null],
    mean7d: 26,
  };

  it('daily: 31 bars with sessions and cost, the mean, and 14 days of sparkline', () => {
    const chart = buildDigestChart(daily);
    expect(chart.days).toHaveLength(31);
    expect(chart.days.at(-1)).toEqual({ date: '2026-11-22', sessions: 32, cost_usd: 1.75 });
    expect(chart.mean_7d).toBe(26);
    expect(chart.sparkline).toHaveLength(SPARKLINE_DAYS);
    expect(chart.sparkline).toEqual([17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32]);
  });

  it('a day with no usage is a zero bar, not a missing one; cost outside the fetched days is unknown', () => {
    const chart = buildDigestChart(daily);
    expect(chart.days).toHaveLength(31);
    expect(chart.days[10]).toEqual({ date: '2026-11-02', sessions: 0, cost_usd: 0 });
    expect(chart.days[9]).toEqual({ date: '2026-11-01', sessions: 9, cost_usd: 3 });
    expect(chart.days[0]?.cost_usd).toBeNull();
    expect(chart.days[2]?.cost_usd).toBe(0);
  });

  it('a project new this week starts its sparkline at zero; a listed project without sessions is all zeros', () => {
    const chart = buildDigestChart(daily);
    expect(chart.projects.get('b')).toEqual([...Array(11).fill(0), 2, 2, 2]);
    expect(chart.projects.get(null)).toEqual(Array(14).fill(0));
    expect(chart.projects.get('a')).toEqual([17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });

  it('ends with the report day even when given days after it, sparkline and all', () => {
    const chart = buildDigestChart({ ...daily, period: { from: 29, to: 30 } });
    expect(chart.days).toHaveLength(30);
    expect(chart.days.at(-1)).toEqual({ date: '2026-11-21', sessions: 31, cost_usd: 0 });
    expect(chart.sparkline).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31]);
    expect(chart.projects.get('a')).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
  });

  it('a day past the fetched spend has unknown cost, not zero', () => {
    const chart = buildDigestChart({
      ...daily,
      cost: { window: utcDays('2026-10-25', '2026-11-21'), rows: [{ date: '2026-11-21', usd: 0.5 }] },
    });
    expect(chart.days.slice(-2)).toEqual([
      { date: '2026-11-21', sessions: 31, cost_usd: 0.5 },
      { date: '2026-11-22', sessions: 32, cost_usd: null },
    ]);
  });

  it('a day the totals do not reach is a zero bar', () => {
    const chart = buildDigestChart({ ...daily, dayTotals: totals.slice(0, 30) });
    expect(chart.days.at(-1)).toEqual({ date: '2026-11-22', sessions: 0, cost_usd: 1.75 });
    expect(chart.sparkline.at(-1)).toBe(0);
  });

  it('without spend, every cost is unknown', () => {
    expect(buildDigestChart({ ...daily, cost: null }).days[0]?.cost_usd).toBeNull();
  });

  it('weekly: the period against the one before, day for day', () => {
    const week = dates.slice(0, 14);
    const chart = buildDigestChart({
      kind: 'weekly',
      dates: week,
      period: { from: 7, to: 14 },
      previous: { from: 0, to: 7 },
      dayTotals: totals.slice(0, 14),
      cost: null,
      projects: ['a'],
    });
    expect(chart.previous?.map((d) => d.date)).toEqual(week.slice(0, 7));
    expect(chart.days.map((d) => d.date)).toEqual(week.slice(7));
    expect(chart.days.map((d) => d.sessions)).toEqual([7, 8, 9, 0, 11, 12, 13]);
    // No reference line: the chart has no mean at all, not an undefined one.
    expect(chart).not.toHaveProperty('mean_7d');
    expect(chart.sparkline).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 11, 12, 13]);
  });
});
