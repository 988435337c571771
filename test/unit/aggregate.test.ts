import { describe, expect, it } from 'vitest';
import { sumDays, sumTotals, UsageTally } from '../../functions/report/core/aggregate';
import { buildReport, buildTrend, meanOf } from '../../functions/report/core/report';
import { parseUsagePage } from '../../functions/report/core/usage-page';
import { thrownBy } from '../support/thrown';

const day = (n: number) => ({ start: n * 86_400, end: (n + 1) * 86_400 });

const bucket = (
  start: number,
  width: number,
  results: { project_id: string | null; num_sessions: number }[],
) => ({
  start_time: start,
  end_time: start + width,
  results,
});

describe('Class: UsageTally', () => {
  const hourly = { width: '1h' as const, start: 0, end: 14_400 };
  const daily = { width: '1d' as const, start: 86_400, end: 172_800 };
  const segments = [
    { width: '1h' as const, start: 0, end: 7_200, window: 1 },
    { width: '1d' as const, start: 86_400, end: 172_800, window: 0 },
    { width: '1h' as const, start: 10_800, end: 14_400, window: 0 },
  ];

  it('adds a bucket split across pages once per row, keeps nulls apart, ignores unclaimed buckets', () => {
    const tally = new UsageTally(segments, 2);
    tally.addPage(hourly, [bucket(0, 3600, [{ project_id: 'a', num_sessions: 2 }])]);
    // the same bucket continued on the next page
    tally.addPage(hourly, [
      bucket(0, 3600, [
        { project_id: null, num_sessions: 5 },
        { project_id: 'b', num_sessions: 1 },
      ]),
      // a gap hour the query ran across: no segment claims it
      bucket(7_200, 3600, [{ project_id: 'a', num_sessions: 100 }]),
      bucket(10_800, 3600, [{ project_id: 'a', num_sessions: 3 }]),
    ]);
    tally.addPage(daily, [bucket(86_400, 86_400, [{ project_id: 'a', num_sessions: 7 }])]);
    const totals = tally.windowTotals();
    expect([...(totals[1] ?? [])]).toEqual([
      ['a', 2],
      [null, 5],
      ['b', 1],
    ]);
    expect([...(totals[0] ?? [])]).toEqual([['a', 10]]);
  });

  it('counts a bucket only in a segment of its own width', () => {
    const tally = new UsageTally([{ width: '1d', start: 0, end: 86_400, window: 0 }], 1);
    tally.addPage({ width: '1h', start: 0, end: 3600 }, [
      bucket(0, 3600, [{ project_id: 'a', num_sessions: 1 }]),
    ]);
    expect(tally.windowTotals()[0]?.size).toBe(0);
  });

  it('drops a row that arrives again with the same count (overlapping pages, a rewinding cursor)', () => {
    const tally = new UsageTally(segments, 2);
    const page = [bucket(0, 3600, [{ project_id: 'a', num_sessions: 2 }]), bucket(3600, 3600, [])];
    tally.addPage(hourly, page);
    tally.addPage(hourly, page);
    tally.addPage(hourly, [bucket(3600, 3600, [{ project_id: null, num_sessions: 4 }])]);
    expect([...(tally.windowTotals()[1] ?? [])]).toEqual([
      ['a', 2],
      [null, 4],
    ]);
  });

  it('fails on a row that arrives again with another count, naming the bucket and project', () => {
    const tally = new UsageTally(segments, 2);
    tally.addPage(hourly, [bucket(0, 3600, [{ project_id: 'a', num_sessions: 2 }])]);
    expect(() => tally.addPage(hourly, [bucket(0, 3600, [{ project_id: 'a', num_sessions: 3 }])])).toThrow(
      'bucket 1970-01-01T00:00Z–1970-01-01T01:00Z repeats project a with 3 sessions after 2',
    );
    tally.addPage(hourly, [bucket(3600, 3600, [{ project_id: null, num_sessions: 1 }])]);
    expect(() =>
      tally.addPage(hourly, [bucket(3600, 3600, [{ project_id: null, num_sessions: 0 }])]),
    ).toThrow('repeats project unattributed with 0 sessions after 1');
  });

  it('forgets a finished query, so a later query of the same range counts afresh', () => {
    const tally = new UsageTally(segments, 2);
    const rows = [bucket(0, 3600, [{ project_id: 'a', num_sessions: 2 }])];
    tally.addPage(hourly, rows);
    tally.finishQuery(hourly);
    tally.addPage(hourly, rows);
    expect(tally.windowTotals()[1]?.get('a')).toBe(4);
  });

  it.each([
    [
      'outside the query',
      bucket(14_400, 3600, []),
      'bucket 1970-01-01T04:00Z–1970-01-01T05:00Z lies outside the requested 1970-01-01T00:00Z–1970-01-01T04:00Z',
    ],
    ['before the query', bucket(-3600, 3600, []), 'lies outside the requested'],
    [
      'of the wrong width',
      bucket(0, 60, []),
      'bucket 1970-01-01T00:00Z–1970-01-01T00:01Z is not one 1h bucket',
    ],
    ['not on a UTC multiple of its width', bucket(1800, 3600, []), 'is not aligned to a UTC multiple of 1h'],
    [
      'with a wild start',
      { start_time: 1e17, end_time: 1e17 + 3600, results: [] },
      'bucket 100000000000000000–100000000000003600',
    ],
  ])('fails on a bucket %s', (_, wrong, message) => {
    const tally = new UsageTally(segments, 2);
    expect(() => tally.addPage(hourly, [wrong])).toThrow(message);
  });

  it('fails rather than sum past the largest exact count', () => {
    const tally = new UsageTally(segments, 2);
    tally.addPage(hourly, [bucket(0, 3600, [{ project_id: 'a', num_sessions: Number.MAX_SAFE_INTEGER }])]);
    expect(() => tally.addPage(hourly, [bucket(3600, 3600, [{ project_id: 'a', num_sessions: 1 }])])).toThrow(
      'overflows the session count',
    );
  });
});

describe('Function: sumTotals', () => {
  it('adds every project, unattributed included', () => {
    expect(
      sumTotals(
        new Map([
          ['a', 2],
          [null, 3],
        ]),
      ),
    ).toBe(5);
    expect(sumTotals(new Map())).toBe(0);
  });
});

describe('Function: sumTotals, past what a number counts exactly', () => {
  it('fails naming the total rather than report a rounded count', () => {
    const error = thrownBy(() =>
      sumTotals(
        new Map([
          ['a', Number.MAX_SAFE_INTEGER],
          ['b', 2],
        ]),
      ),
    );
    expect(error?.name).toBe('SumOverflowError');
    expect(error?.message).toBe(
      "total_sessions: the projects' sessions sum past 9007199254740991, beyond which a count is not exact",
    );
  });

  it('names what it sums when told', () => {
    const error = thrownBy(() =>
      sumTotals(new Map([['a', Number.MAX_SAFE_INTEGER + 1]]), 'compared_sessions'),
    );
    expect(error?.message).toMatch(/^compared_sessions: /);
  });

  it('sums up to the last exact count', () => {
    expect(
      sumTotals(
        new Map([
          ['a', Number.MAX_SAFE_INTEGER - 1],
          [null, 1],
        ]),
      ),
    ).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('Function: buildReport, with sums no number holds', () => {
  const costs = (perProject: Map<string | null, number>) => ({ window: day(0), perProject });

  it('fails naming total_cost_usd when two huge amounts sum to Infinity, never $∞', () => {
    const error = thrownBy(() =>
      buildReport({
        kind: 'range',
        window: day(0),
        totals: new Map([['a', 1]]),
        names: new Map(),
        costs: costs(
          new Map([
            ['a', 1e308],
            ['b', 1e308],
          ]),
        ),
      }),
    );
    expect(error?.name).toBe('SumOverflowError');
    expect(error?.message).toBe(
      "total_cost_usd: the projects' costs sum past ±1.8e+302 USD, more than a number holds to the millionth of a dollar",
    );
  });

  it('fails too when the sum is finite but rounding it to a millionth of a dollar is not', () => {
    const total = (usd: number) =>
      thrownBy(() =>
        buildReport({
          kind: 'range',
          window: day(0),
          totals: new Map(),
          names: new Map(),
          costs: costs(
            new Map([
              ['a', usd],
              ['b', usd],
            ]),
          ),
        }),
      );
    expect(total(-1e302)?.message).toMatch(/^total_cost_usd: /);
    expect(total(8e301)).toBeUndefined();
  });

  it('fails naming the project whose cost is not a finite number', () => {
    const error = thrownBy(() =>
      buildReport({
        kind: 'range',
        window: day(0),
        totals: new Map([['a', 1]]),
        names: new Map(),
        costs: costs(new Map([['proj_x', Number.POSITIVE_INFINITY]])),
      }),
    );
    expect(error?.name).toBe('SumOverflowError');
    expect(error?.message).toBe('cost_usd of project proj_x: Infinity is not a finite amount');
  });

  it('sums a credit with a charge', () => {
    const report = buildReport({
      kind: 'range',
      window: day(0),
      totals: new Map([['a', 1]]),
      names: new Map(),
      costs: costs(
        new Map([
          ['a', 2.25],
          ['b', -1.5],
        ]),
      ),
    });
    expect(report.total_cost_usd).toBe(0.75);
    expect(report.projects.map((p) => p.cost_usd)).toEqual([2.25, -1.5]);
  });
});

describe('Function: buildReport', () => {
  it('sorts by sessions, then id, unattributed last among equals; names where known', () => {
    const totals = new Map<string | null, number>([
      [null, 4],
      ['proj_b', 4],
      ['proj_a', 9],
      ['proj_z', 0],
    ]);
    const report = buildReport({
      kind: 'range',
      window: day(0),
      totals,
      names: new Map([['proj_a', 'Alpha']]),
    });
    expect(report).toEqual({
      kind: 'range',
      start_time: 0,
      end_time: 86_400,
      total_sessions: 17,
      total_cost_usd: null,
      projects: [
        { project_id: 'proj_a', project_name: 'Alpha', num_sessions: 9, cost_usd: null },
        { project_id: 'proj_b', num_sessions: 4, cost_usd: null },
        { project_id: null, num_sessions: 4, cost_usd: null },
      ],
    });
  });

  it('compares with the same weekday a week before (the oldest history day) and the seven-day mean', () => {
    const report = buildReport({
      kind: 'range',
      window: day(7),
      totals: new Map([['a', 10]]),
      names: new Map(),
    });
    const history = Array.from({ length: 7 }, (_, i) => new Map<string | null, number>([['a', i + 1]]));
    expect(buildTrend(report.projects, history)).toEqual({
      compared_sessions: 1,
      seven_day_mean_sessions: 4,
      projects: [{ project_id: 'a', compared_sessions: 1, seven_day_mean_sessions: 4 }],
    });
  });

  it('gives cost per project, a row to a project with cost and no sessions, and the cost window', () => {
    const report = buildReport({
      kind: 'range',
      window: day(0),
      totals: new Map<string | null, number>([
        ['a', 5],
        [null, 2],
      ]),
      names: new Map(),
      costs: {
        window: { start: 0, end: 86_400 },
        perProject: new Map<string | null, number>([
          ['a', 1.25],
          ['billed-only', 0.4],
          [null, 0.1],
        ]),
      },
    });
    expect(report).toEqual({
      kind: 'range',
      start_time: 0,
      end_time: 86_400,
      total_sessions: 7,
      total_cost_usd: 1.75,
      cost_start_time: 0,
      cost_end_time: 86_400,
      projects: [
        { project_id: 'a', num_sessions: 5, cost_usd: 1.25 },
        { project_id: null, num_sessions: 2, cost_usd: 0.1 },
        { project_id: 'billed-only', num_sessions: 0, cost_usd: 0.4 },
      ],
    });
  });

  it('orders equal sessions by cost, and gives no row to a zero cost without sessions', () => {
    const report = buildReport({
      kind: 'range',
      window: day(0),
      totals: new Map<string | null, number>([
        ['cheap', 3],
        ['dear', 3],
      ]),
      names: new Map(),
      costs: {
        window: { start: 0, end: 86_400 },
        perProject: new Map<string | null, number>([
          ['cheap', 0.5],
          ['dear', 2],
          ['zero', 0],
        ]),
      },
    });
    expect(report.projects.map((p) => p.project_id)).toEqual(['dear', 'cheap']);
  });

  it('gives a weekly or monthly trend no 7-day mean, and a mean of 0 over no history', () => {
    const report = buildReport({
      kind: 'weekly',
      window: day(7),
      totals: new Map([['a', 10]]),
      names: new Map(),
    });
    expect(buildTrend(report.projects, [new Map([['a', 4]])], false)).toStrictEqual({
      compared_sessions: 4,
      projects: [{ project_id: 'a', compared_sessions: 4 }],
    });
    expect(meanOf('a', [])).toBe(0);
  });

  it('says cost is unavailable (null, no cost window) rather than zero', () => {
    const report = buildReport({
      kind: 'range',
      window: day(0),
      totals: new Map([['a', 5]]),
      names: new Map(),
      costs: { window: { start: 0, end: 86_400 }, perProject: null },
    });
    expect(report.total_cost_usd).toBeNull();
    expect(report).not.toHaveProperty('cost_start_time');
    expect(report.projects).toEqual([{ project_id: 'a', num_sessions: 5, cost_usd: null }]);
  });
});

describe('Function: parseUsagePage', () => {
  it('accepts results and result, num_sessions and sessions, and empty buckets', () => {
    const page = parseUsagePage({
      object: 'page',
      data: [
        { object: 'bucket', start_time: 0, end_time: 60, results: [{ num_sessions: 1, project_id: null }] },
        { object: 'bucket', start_time: 60, end_time: 120, result: [{ sessions: 2, project_id: 'p' }] },
        { object: 'bucket', start_time: 120, end_time: 180, results: [] },
      ],
      has_more: false,
      next_page: null,
    });
    expect(page.buckets.map((b) => b.results)).toEqual([
      [{ project_id: null, num_sessions: 1 }],
      [{ project_id: 'p', num_sessions: 2 }],
      [],
    ]);
    expect(page.hasMore).toBe(false);
  });

  it.each([
    [{ data: 'nope' }, 'no data array'],
    [{ data: [{ start_time: 'x', end_time: 1, results: [] }] }, 'data[0] lacks'],
    [
      { data: [{ start_time: 0, end_time: 1, results: [{ num_sessions: -1 }] }] },
      'data[0].results[0].num_sessions is -1',
    ],
    [
      { data: [{ start_time: 0, end_time: 1, results: [{ num_sessions: null }] }] },
      'results[0].num_sessions is null',
    ],
    [
      { data: [{ start_time: 0, end_time: 1, results: [{ project_id: 'p' }] }] },
      'results[0].num_sessions is missing',
    ],
    [{ data: [{ start_time: 0, end_time: 1, results: [{ num_sessions: 1.5 }] }] }, 'num_sessions is 1.5'],
    [{ data: [{ start_time: 0, end_time: 1, results: [{ num_sessions: '7' }] }] }, 'num_sessions is "7"'],
    [
      { data: [{ start_time: 0, end_time: 1, results: [{ sessions: 2 ** 53 }] }] },
      'results[0].sessions is 9007199254740992',
    ],
    [{ data: [{ start_time: 0, end_time: 1, result: [{ sessions: true }] }] }, 'results[0].sessions is true'],
    [
      { data: [{ start_time: 0, end_time: 1, results: [{ num_sessions: 1, project_id: 7 }] }] },
      'results[0].project_id is not a string',
    ],
    [{ data: [{ start_time: 0, end_time: 1, results: [3] }] }, 'data[0].results[0] is not an object'],
    [{ data: [7] }, 'data[0] is not a bucket'],
    [null, 'no data array'],
  ])('rejects %j', (body, message) => {
    expect(() => parseUsagePage(body)).toThrow(message);
  });
});

describe('Function: buildReport, at its edges', () => {
  it('breaks ties by id in code-point order, unattributed last, and omits unknown names', () => {
    const totals = new Map<string | null, number>([
      ['proj_b', 4],
      [null, 4],
      ['proj_a', 4],
      ['proj_c', 4],
    ]);
    const report = buildReport({
      kind: 'range',
      window: day(0),
      totals,
      names: new Map([['proj_c', 'Gamma']]),
    });
    expect(report.projects).toStrictEqual([
      { project_id: 'proj_a', num_sessions: 4, cost_usd: null },
      { project_id: 'proj_b', num_sessions: 4, cost_usd: null },
      { project_id: 'proj_c', project_name: 'Gamma', num_sessions: 4, cost_usd: null },
      { project_id: null, num_sessions: 4, cost_usd: null },
    ]);
  });

  it('has no trend without history', () => {
    expect(buildTrend([], [])).toBeUndefined();
  });
});

describe('Function: parseUsagePage, at its edges', () => {
  const page = (extra: Record<string, unknown>, rows: unknown[] = []) =>
    parseUsagePage({ data: [{ start_time: 0, end_time: 60, results: rows }], ...extra });

  it('follows has_more only when it is true, and a cursor only when it is a non-empty string', () => {
    expect(page({ has_more: true, next_page: 'c1' })).toMatchObject({ hasMore: true, nextPage: 'c1' });
    expect(page({ has_more: 'true', next_page: '' })).toMatchObject({ hasMore: false, nextPage: null });
    expect(page({ has_more: true, next_page: 5 })).toMatchObject({ hasMore: true, nextPage: null });
  });

  it('takes a count of 0 and reads an empty project id as unattributed', () => {
    expect(page({}, [{ num_sessions: 0, project_id: '' }]).buckets[0]?.results).toEqual([
      { project_id: null, num_sessions: 0 },
    ]);
  });

  it('refuses a bucket that carries no rows at all, with a named error', () => {
    const error = thrownBy(() => parseUsagePage({ data: [{ start_time: 0, end_time: 60 }] }));
    expect(error?.name).toBe('MalformedPageError');
    expect(error?.message).toBe('data[0] lacks start_time, end_time or results');
  });
});

describe('Class: UsageTally, with a piece of an hour moved between windows', () => {
  // An hour counted for window 0; its last 30 minutes, read in minutes, moved to window 1.
  const segments = [
    { width: '1h' as const, start: 0, end: 3_600, window: 0 },
    { width: '1m' as const, start: 1_800, end: 3_600, window: 0, sign: -1 as const },
    { width: '1m' as const, start: 1_800, end: 3_600, window: 1 },
  ];
  const minutes = { width: '1m' as const, start: 1_800, end: 3_600 };
  const hour = { width: '1h' as const, start: 0, end: 3_600 };

  it('counts a bucket for every window its range counts for, with the sign it counts with', () => {
    const tally = new UsageTally(segments, 2);
    tally.addPage(hour, [bucket(0, 3_600, [{ project_id: 'a', num_sessions: 10 }])]);
    tally.addPage(minutes, [
      bucket(1_800, 60, [{ project_id: 'a', num_sessions: 3 }]),
      bucket(3_540, 60, [{ project_id: 'a', num_sessions: 1 }]),
    ]);
    expect(tally.windowTotals().map((totals) => totals.get('a'))).toEqual([6, 4]);
  });

  it('fails when the minutes of an hour hold more than the hour itself', () => {
    const tally = new UsageTally(segments, 2);
    tally.addPage(hour, [bucket(0, 3_600, [{ project_id: 'a', num_sessions: 1 }])]);
    tally.addPage(minutes, [bucket(1_800, 60, [{ project_id: 'a', num_sessions: 3 }])]);
    expect(() => tally.windowTotals()).toThrow(/project a has more sessions in the minute buckets/);
  });

  it('refuses segments that overlap without coinciding', () => {
    expect(
      () =>
        new UsageTally(
          [
            { width: '1h', start: 0, end: 7_200, window: 0 },
            { width: '1h', start: 3_600, end: 10_800, window: 1 },
          ],
          2,
        ),
    ).toThrow(RangeError);
  });
});

describe('Function: sumDays', () => {
  it('sums the days of a range per project, and only those', () => {
    const days = [
      new Map([['a', 1]]),
      new Map([
        ['a', 2],
        [null, 1],
      ]),
      new Map([['b', 4]]),
    ];
    expect(sumDays(days, { from: 1, to: 3 })).toEqual(
      new Map<string | null, number>([
        ['a', 2],
        [null, 1],
        ['b', 4],
      ]),
    );
  });

  it('fails naming the field past the largest exact count', () => {
    const days = [new Map([['a', Number.MAX_SAFE_INTEGER]]), new Map([['a', 1]])];
    expect(() => sumDays(days, { from: 0, to: 2 }, 'compared_sessions')).toThrow(/^compared_sessions: /);
  });
});
