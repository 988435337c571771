import { describe, expect, it } from 'vitest';
import type { ChartDay, DigestChart } from '../../functions/report/core/chart-series';
import { organizationSparks, sparkline } from '../../functions/report/core/sparkline';

const days = (...sessions: number[]): ChartDay[] =>
  sessions.map((n, i) => ({
    date: `2026-11-${String(10 + i).padStart(2, '0')}`,
    sessions: n,
    cost_usd: null,
  }));
const chartOf = (more: Partial<DigestChart>): DigestChart => ({
  days: days(1, 4),
  sparkline: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 40, 75, 108],
  projects: new Map(),
  ...more,
});

describe('Function: sparkline with a given top', () => {
  it('draws the baseline when the top leaves nothing to scale to', () => {
    expect(sparkline([0, 3, 7], 0)).toBe('▁▁▁');
    expect(sparkline([3], -1)).toBe('▁');
  });
});

describe('Function: organizationSparks', () => {
  it("gives a daily digest the last 14 days, with the busiest day's sessions", () => {
    expect(organizationSparks('daily', chartOf({}))).toEqual([
      { label: 'Last 14 days', spark: '▁▁▁▁▁▁▁▁▁▁▂▄▆█', top: 108 },
    ]);
  });

  it('draws a week beside the week before to one scale, each with its own busiest day', () => {
    expect(organizationSparks('weekly', chartOf({ previous: days(2, 8) }))).toEqual([
      { label: 'This week', spark: '▂▅', top: 4 },
      { label: 'Week before', spark: '▃█', top: 8 },
    ]);
    expect(organizationSparks('monthly', chartOf({ days: days(9, 3), previous: days(0, 6) }))).toEqual([
      { label: 'This month', spark: '█▄', top: 9 },
      { label: 'Month before', spark: '▁▆', top: 6 },
    ]);
  });

  it('gives the last 14 days to a range, even with a period before, and to a period without one', () => {
    const last14 = [{ label: 'Last 14 days', spark: '▁▁▁▁▁▁▁▁▁▁▂▄▆█', top: 108 }];
    expect(organizationSparks('range', chartOf({ previous: days(2, 8) }))).toEqual(last14);
    expect(organizationSparks('weekly', chartOf({}))).toEqual(last14);
    expect(organizationSparks('monthly', chartOf({}))).toEqual(last14);
  });
});
