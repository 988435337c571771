import { describe, expect, it } from 'vitest';
import {
  barHeight,
  CHART_HEIGHT_PX,
  chartHtml,
  dailyChartHtml,
  periodChartHtml,
} from '../../functions/report/core/chart-html';
import type { ChartDay, DigestChart } from '../../functions/report/core/chart-series';

const day = (date: string, sessions: number, cost_usd: number | null = null): ChartDay => ({
  date,
  sessions,
  cost_usd,
});
const chartOf = (days: ChartDay[], more: Partial<DigestChart> = {}): DigestChart => ({
  days,
  sparkline: [],
  projects: new Map(),
  ...more,
});

/** The chart as a screen reader announces it. */
const label = (html: string) => /<table role="img" aria-label="([^"]*)"/.exec(html)?.[1];
/** The line above the chart, its markup left out: `Sessions per day · ■ this week   ■ the week before`. */
const caption = (html: string) =>
  /^<div class="ud-muted" style="[^"]*">(.*?)<\/div>/
    .exec(html)?.[1]
    ?.replace(/<[^>]+>/g, '')
    .replace(/ &nbsp; /g, ' | ');
/**
 * Each column of the chart, its hover title and its cells from the top down (`mean 1` the mean's
 * line, `gap 40` empty space, `ud-chart-day 24` a bar), with the cells' heights summed.
 */
const columns = (html: string) =>
  [
    ...html.matchAll(
      /<td valign="bottom" width="[^"]*" height="(\d+)" title="([^"]*)" style="padding:([^"]*);">(.*?)<\/table><\/td>/g,
    ),
  ].map(([, height, title, padding, inner]) => {
    const cells = [...(inner as string).matchAll(/<td (?:class="ud-chart-([a-z]+)" )?height="(-?\d+)"/g)].map(
      ([, cls, h]) => ({ cls: cls ?? 'gap', h: Number(h) }),
    );
    return {
      height: Number(height),
      title,
      padding,
      cells: cells.map(({ cls, h }) => `${cls} ${h}`),
      filled: cells.reduce((sum, { h }) => sum + h, 0),
    };
  });

describe('Function: barHeight', () => {
  it.each([
    [0, 10, 0],
    [5, 10, 48],
    [10, 10, 96],
    // Any usage shows, however small beside the busiest day; more than the top stays at the top.
    [0.01, 10, 1],
    [25, 10, 96],
    // Without a scale (nothing to measure against) there is no bar, not NaN or a full one.
    [5, 0, 0],
    [5, -1, 0],
  ])('%d of %d → %d px', (value, top, px) => {
    expect(barHeight(value, top, CHART_HEIGHT_PX)).toBe(px);
  });
});

describe('Function: dailyChartHtml', () => {
  it('is empty without days', () => {
    expect(dailyChartHtml(chartOf([], { mean_7d: 3 }))).toBe('');
  });

  it('draws a mean above every bar in the top pixel row, inside the 96 px chart', () => {
    const html = dailyChartHtml(chartOf([day('2026-11-20', 1), day('2026-11-21', 4, 1.5)], { mean_7d: 8 }));
    expect(caption(html)).toBe('Sessions per day, last 2 days · max 4 · ■ report day | ━ 7-day mean 8');
    expect(label(html)).toBe(
      'Sessions per day, 20 Nov to 21 Nov: 20 Nov 1, 21 Nov 4 (report day). 7-day mean 8.',
    );
    expect(columns(html)).toEqual([
      {
        height: 96,
        title: 'Fri 20 Nov: 1 session',
        padding: '0 1px 0 1px',
        cells: ['mean 1', 'gap 83', 'day 12'],
        filled: 96,
      },
      {
        height: 96,
        title: 'Sat 21 Nov: 4 sessions · $1.50',
        padding: '0 1px 0 1px',
        cells: ['mean 1', 'gap 47', 'today 48'],
        filled: 96,
      },
    ]);
  });

  it('sets the mean on top of a bar as tall as it, and leaves it behind a taller bar', () => {
    const html = dailyChartHtml(chartOf([day('2026-11-20', 3), day('2026-11-21', 6)], { mean_7d: 3 }));
    expect(columns(html).map((c) => c.cells)).toEqual([['mean 1', 'day 48'], ['today 96']]);
  });

  it('writes counts and the mean with thousands separators and at most one decimal', () => {
    const html = dailyChartHtml(
      chartOf([day('2026-11-20', 1_020), day('2026-11-21', 1_480, 103.6)], { mean_7d: 1_234.56 }),
    );
    expect(caption(html)).toBe(
      'Sessions per day, last 2 days · max 1,480 · ■ report day | ━ 7-day mean 1,234.6',
    );
    expect(label(html)).toBe(
      'Sessions per day, 20 Nov to 21 Nov: 20 Nov 1,020, 21 Nov 1,480 (report day). 7-day mean 1,234.6.',
    );
    expect(columns(html).map((c) => c.title)).toEqual([
      'Fri 20 Nov: 1,020 sessions',
      'Sat 21 Nov: 1,480 sessions · $103.60',
    ]);
  });

  it('says nothing of a mean it does not have, and draws no line', () => {
    const html = dailyChartHtml(chartOf([day('2026-11-20', 0), day('2026-11-21', 2)]));
    expect(caption(html)).toBe('Sessions per day, last 2 days · max 2 · ■ report day');
    expect(label(html)).toBe('Sessions per day, 20 Nov to 21 Nov: 20 Nov 0, 21 Nov 2 (report day).');
    expect(columns(html).map((c) => c.cells)).toEqual([[], ['today 96']]);
  });
});

describe('Function: periodChartHtml', () => {
  const week = [day('2026-11-16', 1), day('2026-11-17', 4, 2)];

  it('is empty without days', () => {
    expect(periodChartHtml('weekly', chartOf([], { previous: week }))).toBe('');
  });

  it('pairs each day of a week with the week before, an empty column where that has no day', () => {
    const html = periodChartHtml('weekly', chartOf(week, { previous: [day('2026-11-09', 2, 0.5)] }));
    expect(caption(html)).toBe('Sessions per day · ■ this week | ■ the week before');
    expect(label(html)).toBe(
      'Sessions per day, 16 Nov to 17 Nov, each beside the week before: 16 Nov 1 (9 Nov 2), 17 Nov 4 (no day).',
    );
    expect(columns(html)).toEqual([
      {
        height: 96,
        title: 'Mon 9 Nov (week before): 2 sessions · $0.50',
        padding: '0 0px 0 2px',
        cells: ['prev 48'],
        filled: 48,
      },
      { height: 96, title: 'Mon 16 Nov: 1 session', padding: '0 2px 0 0px', cells: ['day 24'], filled: 24 },
      { height: 96, title: '', padding: '0 0px 0 2px', cells: [], filled: 0 },
      {
        height: 96,
        title: 'Tue 17 Nov: 4 sessions · $2.00',
        padding: '0 2px 0 0px',
        cells: ['day 96'],
        filled: 96,
      },
    ]);
  });

  it('pairs a month with the month before, an empty column where the month has no day yet', () => {
    const html = periodChartHtml(
      'monthly',
      chartOf([day('2026-11-01', 6)], { previous: [day('2026-10-01', 3), day('2026-10-02', 12)] }),
    );
    expect(caption(html)).toBe('Sessions per day · ■ this month | ■ the month before');
    expect(label(html)).toBe(
      'Sessions per day, 1 Nov to 1 Nov, each beside the month before: 1 Nov 6 (1 Oct 3), no day (2 Oct 12).',
    );
    expect(columns(html).map(({ title, cells }) => ({ title, cells }))).toEqual([
      { title: 'Thu 1 Oct (month before): 3 sessions', cells: ['prev 24'] },
      { title: 'Sun 1 Nov: 6 sessions', cells: ['day 48'] },
      { title: 'Fri 2 Oct (month before): 12 sessions', cells: ['prev 96'] },
      { title: '', cells: [] },
    ]);
  });

  it('draws a period without the one before as its days beside empty columns', () => {
    const html = periodChartHtml('weekly', chartOf(week));
    expect(label(html)).toBe(
      'Sessions per day, 16 Nov to 17 Nov, each beside the week before: 16 Nov 1 (no day), 17 Nov 4 (no day).',
    );
    expect(columns(html).map(({ title, cells }) => ({ title, cells }))).toEqual([
      { title: '', cells: [] },
      { title: 'Mon 16 Nov: 1 session', cells: ['day 24'] },
      { title: '', cells: [] },
      { title: 'Tue 17 Nov: 4 sessions · $2.00', cells: ['day 96'] },
    ]);
  });
});

describe('Function: chartHtml', () => {
  const days = [day('2026-11-16', 1), day('2026-11-17', 4)];
  const previous = [day('2026-11-09', 2), day('2026-11-10', 3)];

  it('is empty without a chart', () => {
    expect(chartHtml('daily', undefined)).toBe('');
  });

  it('draws a weekly or monthly digest beside the period before', () => {
    const chart = chartOf(days, { previous, mean_7d: 2 });
    expect(caption(chartHtml('weekly', chart))).toBe('Sessions per day · ■ this week | ■ the week before');
    expect(caption(chartHtml('monthly', chart))).toBe('Sessions per day · ■ this month | ■ the month before');
  });

  it('draws the days alone for a range, even with a period before, and for a period without one', () => {
    const withPrevious = chartOf(days, { previous, mean_7d: 2 });
    const range = chartHtml('range', withPrevious);
    expect(caption(range)).toBe('Sessions per day, last 2 days · max 4 · ■ report day | ━ 7-day mean 2');
    expect(range).toBe(dailyChartHtml(withPrevious));
    const alone = chartOf(days, { mean_7d: 2 });
    expect(caption(chartHtml('weekly', alone))).toBe(
      'Sessions per day, last 2 days · max 4 · ■ report day | ━ 7-day mean 2',
    );
  });
});
