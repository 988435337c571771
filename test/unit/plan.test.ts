import { describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import { alignedSegments, BUCKET_SECONDS, planQueries } from '../../functions/report/core/plan';

const at = (iso: string) => Date.parse(iso) / 1000;

describe('Function: alignedSegments', () => {
  it('covers a UTC day with one daily bucket', () => {
    expect(alignedSegments(localDayWindow('2026-11-21', 'UTC'))).toEqual([
      { width: '1d', start: at('2026-11-21T00:00:00Z'), end: at('2026-11-22T00:00:00Z') },
    ]);
  });

  it('assembles a Kolkata day (+05:30) from minutes, hours and minutes', () => {
    // 2026-11-21 in Asia/Kolkata is [2026-11-20T18:30Z, 2026-11-21T18:30Z).
    expect(alignedSegments(localDayWindow('2026-11-21', 'Asia/Kolkata'))).toEqual([
      { width: '1m', start: at('2026-11-20T18:30:00Z'), end: at('2026-11-20T19:00:00Z') },
      { width: '1h', start: at('2026-11-20T19:00:00Z'), end: at('2026-11-21T18:00:00Z') },
      { width: '1m', start: at('2026-11-21T18:00:00Z'), end: at('2026-11-21T18:30:00Z') },
    ]);
  });

  it('uses whole UTC days inside a multi-day New York range and hours at its edges', () => {
    const window = { start: at('2026-11-02T05:00:00Z'), end: at('2026-11-09T05:00:00Z') };
    expect(alignedSegments(window)).toEqual([
      { width: '1h', start: at('2026-11-02T05:00:00Z'), end: at('2026-11-03T00:00:00Z') },
      { width: '1d', start: at('2026-11-03T00:00:00Z'), end: at('2026-11-09T00:00:00Z') },
      { width: '1h', start: at('2026-11-09T00:00:00Z'), end: at('2026-11-09T05:00:00Z') },
    ]);
  });

  it('tiles the window exactly, each segment on multiples of its width', () => {
    for (const zone of ['Australia/Adelaide', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham']) {
      const window = localDayWindow('2026-04-05', zone);
      const segments = alignedSegments(window);
      expect(segments[0]?.start).toBe(window.start);
      expect(segments.at(-1)?.end).toBe(window.end);
      for (const [i, segment] of segments.entries()) {
        if (i > 0) expect(segment.start).toBe(segments[i - 1]?.end);
        expect(segment.start % BUCKET_SECONDS[segment.width]).toBe(0);
        expect(segment.end % BUCKET_SECONDS[segment.width]).toBe(0);
      }
    }
  });

  it('refuses a window that does not fall on whole minutes', () => {
    expect(() => alignedSegments({ start: 30, end: 3600 })).toThrow(/whole minutes/);
  });
});

describe('Function: planQueries', () => {
  it('cuts 365 UTC days into 12 queries of at most 31 daily buckets', () => {
    const start = at('2025-11-22T00:00:00Z');
    const { queries } = planQueries([{ start, end: start + 365 * 86_400 }]);
    expect(queries.map((q) => q.limit)).toEqual([31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 31, 24]);
    expect(queries.every((q) => q.width === '1d')).toBe(true);
  });

  it('merges eight consecutive Berlin days into hourly chunks of at most 168', () => {
    const dates = ['2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19'];
    const windows = [...dates, '2026-11-20', '2026-11-21'].map((d) => localDayWindow(d, 'Europe/Berlin'));
    const { queries, segments } = planQueries(windows, ['proj_a']);
    expect(queries.map((q) => [q.width, q.limit])).toEqual([
      ['1h', 168],
      ['1h', 24],
    ]);
    expect(queries[0]?.projectIds).toEqual(['proj_a']);
    expect(segments.map((s) => s.window)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('runs hourly queries across the hours a :30 midnight splits, leaving those to minute queries', () => {
    const dates = ['2026-11-14', '2026-11-15', '2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19'];
    const windows = [...dates, '2026-11-20', '2026-11-21'].map((d) => localDayWindow(d, 'Asia/Kolkata'));
    const { queries, segments } = planQueries(windows);
    // Hours in two queries instead of eight, and nine minute queries at the midnights.
    expect(queries.filter((q) => q.width === '1h').map((q) => q.limit)).toEqual([168, 23]);
    expect(queries.filter((q) => q.width === '1m').map((q) => q.limit)).toEqual([
      30, 60, 60, 60, 60, 60, 60, 60, 30,
    ]);
    // The split hours are fetched but no segment claims them.
    const splitHour = { start: at('2026-11-14T18:00:00Z'), end: at('2026-11-14T19:00:00Z') };
    expect(
      segments.some((s) => s.width === '1h' && s.start <= splitHour.start && splitHour.end <= s.end),
    ).toBe(false);
  });

  it('never lets a query exceed one page, however segments are spaced', () => {
    const windows = ['2026-03-28', '2026-03-29', '2026-03-30'].map((d) =>
      localDayWindow(d, 'Australia/Adelaide'),
    );
    for (const query of planQueries(windows).queries) {
      expect(query.limit).toBeLessThanOrEqual({ '1d': 31, '1h': 168, '1m': 1440 }[query.width]);
      expect(query.start % BUCKET_SECONDS[query.width]).toBe(0);
      expect(query.end - query.start).toBe(query.limit * BUCKET_SECONDS[query.width]);
    }
  });
});

describe('Function: planQueries, at its edges', () => {
  const hour = 3600;

  it('refuses a window whose end is not on a whole minute', () => {
    expect(() => alignedSegments({ start: 0, end: 90 })).toThrow(/whole minutes/);
  });

  it('bridges a gap as long as the shorter neighbour, and no longer', () => {
    // Hour-long windows that never span a whole UTC day, so they plan as hourly queries.
    const offset = 86_400 * 10 + hour; // not a whole UTC day, so hourly
    const plan = (spans: [number, number][]) =>
      planQueries(spans.map(([a, b]) => ({ start: offset + a * hour, end: offset + b * hour }))).queries.map(
        (q) => [q.start - offset, q.end - offset].map((t) => t / hour),
      );
    expect(
      plan([
        [0, 1],
        [2, 3],
      ]),
    ).toEqual([[0, 3]]);
    expect(
      plan([
        [0, 1],
        [3, 4],
      ]),
    ).toEqual([
      [0, 1],
      [3, 4],
    ]);
    // The gap is judged against the shorter side, not the longer.
    expect(
      plan([
        [0, 3],
        [5, 6],
      ]),
    ).toEqual([
      [0, 3],
      [5, 6],
    ]);
  });

  it('plans the same queries whatever order the windows come in', () => {
    const days = ['2026-11-14', '2026-11-15', '2026-11-16'].map((d) => localDayWindow(d, 'Europe/Berlin'));
    const inOrder = planQueries(days).queries;
    expect(planQueries([days[2], days[0], days[1]] as typeof days).queries).toEqual(inOrder);
    expect(inOrder.every((q) => q.limit > 0)).toBe(true);
  });
});
