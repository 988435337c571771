import { describe, expect, it } from 'vitest';
import { UsageTally } from '../../functions/report/core/aggregate';
import { addDays, localDayWindow, type Window } from '../../functions/report/core/local-time';
import {
  alignedSegments,
  BUCKET_SECONDS,
  MAX_BUCKETS_PER_PAGE,
  planLocalDays,
  planQueries,
  type UsageQuery,
} from '../../functions/report/core/plan';

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

describe('Function: planLocalDays', () => {
  // A session every 7 minutes (so every minute piece of an hour holds some), alternating projects.
  const SESSION_EVERY = 7 * 60;
  const sessionsIn = (start: number, end: number, project: string) => {
    let count = 0;
    const first = Math.ceil(start / SESSION_EVERY) * SESSION_EVERY;
    for (let t = first; t < end; t += SESSION_EVERY)
      if ((t / SESSION_EVERY) % 2 === (project === 'a' ? 0 : 1)) count++;
    return count;
  };
  /** Answers a planned query as the API would: one bucket per width step, sessions per project. */
  const answer = (query: UsageQuery) => {
    const size = BUCKET_SECONDS[query.width];
    const buckets = [];
    for (let start = query.start; start < query.end; start += size) {
      buckets.push({
        start_time: start,
        end_time: start + size,
        results: ['a', 'b'].map((id) => ({
          project_id: id,
          num_sessions: sessionsIn(start, start + size, id),
        })),
      });
    }
    return buckets;
  };
  const run = (days: Window[], exact: Set<number>) => {
    const plan = planLocalDays(days, exact);
    const tally = new UsageTally(plan.segments, days.length);
    for (const query of plan.queries) {
      expect(query.limit).toBeLessThanOrEqual(MAX_BUCKETS_PER_PAGE[query.width]);
      tally.addPage(query, answer(query));
    }
    return { plan, totals: tally.windowTotals() };
  };
  const series = (last: string, count: number, zone: string) =>
    Array.from({ length: count }, (_, i) => localDayWindow(addDays(last, i - count + 1), zone));
  const dailyExact = new Set([23, 24, 25, 26, 27, 28, 29, 30, 31]);

  it.each([
    ['UTC', 1, 0],
    ['America/New_York', 5, 0],
    ['Asia/Kolkata', 5, 5],
    ['Asia/Kathmandu', 5, 5],
  ])(
    "%s: a daily digest's 31 days in %i hour or day queries and %i minute queries, the last 8 days to the session",
    (zone, coarse, minutes) => {
      const days = series('2026-11-22', 31, zone);
      const { plan, totals } = run(days, dailyExact);
      expect(plan.queries.filter((q) => q.width !== '1m')).toHaveLength(coarse);
      expect(plan.queries.filter((q) => q.width === '1m')).toHaveLength(minutes);
      days.forEach((day, k) => {
        const truth = { a: sessionsIn(day.start, day.end, 'a'), b: sessionsIn(day.start, day.end, 'b') };
        const got = { a: totals[k]?.get('a') ?? 0, b: totals[k]?.get('b') ?? 0 };
        if (k >= 23) expect(got, `day ${k}`).toEqual(truth);
        // Older days: at most the piece of an hour at each end (30 minutes: 5 sessions of each project).
        else
          for (const id of ['a', 'b'] as const) expect(Math.abs(got[id] - truth[id])).toBeLessThanOrEqual(5);
      });
      // Every session of the 31 days counted once, whichever day holds it.
      const all = totals.reduce((sum, day) => sum + (day.get('a') ?? 0) + (day.get('b') ?? 0), 0);
      const first = days[0] as Window;
      const last = days.at(-1) as Window;
      const outer = sessionsIn(first.start, last.end, 'a') + sessionsIn(first.start, last.end, 'b');
      expect(Math.abs(all - outer)).toBeLessThanOrEqual(10);
    },
  );

  it('counts a 23-hour and a 25-hour local day once each (New York, DST), every day exact', () => {
    const spring = series('2027-03-20', 14, 'America/New_York');
    const fall = series('2026-11-07', 14, 'America/New_York');
    for (const list of [spring, fall]) {
      const { totals } = run(list, new Set());
      for (const [k, day] of list.entries())
        expect(totals[k]?.get('a')).toBe(sessionsIn(day.start, day.end, 'a'));
    }
    expect(spring.map((d) => (d.end - d.start) / 3600)).toContain(23);
    expect(fall.map((d) => (d.end - d.start) / 3600)).toContain(25);
  });

  it('keeps exact days exact across a 30-minute DST change off the hour (Lord Howe, Adelaide)', () => {
    for (const zone of ['Australia/Lord_Howe', 'Australia/Adelaide']) {
      const days = series('2027-04-10', 14, zone);
      const { totals } = run(days, new Set(days.map((_, k) => k).concat(14)));
      days.forEach((day, k) => {
        expect(totals[k]?.get('a'), `${zone} day ${k}`).toBe(sessionsIn(day.start, day.end, 'a'));
        expect(totals[k]?.get('b'), `${zone} day ${k}`).toBe(sessionsIn(day.start, day.end, 'b'));
      });
    }
  });

  it('refuses days that do not follow one another', () => {
    expect(() =>
      planLocalDays([localDayWindow('2026-11-20', 'UTC'), localDayWindow('2026-11-22', 'UTC')], new Set()),
    ).toThrow(RangeError);
  });
});
