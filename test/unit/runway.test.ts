import { describe, expect, it } from 'vitest';
import { addDays } from '../../functions/report/core/local-time';
import { digestSpendWindow, spendOnCostDay } from '../../functions/report/core/report-runway';
import {
  assessLimit,
  buildLimits,
  compareLimits,
  type DailySpend,
  daysLeftInMonth,
  type LimitEntry,
  limitStatus,
  monthToDateWindow,
  type Runway,
  reachesOn,
  runwayOf,
  runwaySpendWindow,
  sumDailySpend,
} from '../../functions/report/core/runway';

const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
/** `count` consecutive UTC days from `from`, each spending `usd`. */
const days = (from: string, count: number, usd: number): DailySpend[] =>
  Array.from({ length: count }, (_, i) => ({ date: addDays(from, i), usd }));
const runway = (fields: Partial<Runway>): Runway => ({
  costDay: '2026-12-15',
  monthToDateUsd: 0,
  paceUsdPerDay: 0,
  forecastUsd: 0,
  daysLeft: 16,
  ...fields,
});

describe('Function: daysLeftInMonth', () => {
  it.each([
    ['2026-12-01', 30],
    ['2026-12-15', 16],
    ['2026-02-28', 0],
    ['2028-02-28', 1],
    ['2028-02-29', 0],
    ['2026-11-30', 0],
    ['2026-12-31', 0],
  ])('%s has %i days left', (day, left) => {
    expect(daysLeftInMonth(day)).toBe(left);
  });

  it('refuses a day that does not exist', () => {
    expect(() => daysLeftInMonth('2026-02-29')).toThrow(RangeError);
  });
});

describe('Function: monthToDateWindow and runwaySpendWindow', () => {
  it.each([
    ['the 1st: the pace reaches into the previous month', '2026-12-01', '2026-12-01', '2026-11-25'],
    ['mid-month: the month reaches further back than the pace', '2026-12-15', '2026-12-01', '2026-12-01'],
    ['the 7th: both start on the 1st', '2026-12-07', '2026-12-01', '2026-12-01'],
    ['the 6th: the pace starts the day before', '2026-12-06', '2026-12-01', '2026-11-30'],
    ['across a year', '2027-01-03', '2027-01-01', '2026-12-28'],
  ])('%s', (_name, costDay, monthStart, spendStart) => {
    expect(monthToDateWindow(costDay)).toEqual({ start: utc(monthStart), end: utc(addDays(costDay, 1)) });
    expect(runwaySpendWindow(costDay)).toEqual({ start: utc(spendStart), end: utc(addDays(costDay, 1)) });
  });
});

describe('Function: runwayOf', () => {
  it.each<[string, string, DailySpend[], number, number, number]>([
    [
      'the 1st: month to date is one day, the pace takes 6 days of the previous month',
      '2026-12-01',
      [...days('2026-11-20', 5, 1000), ...days('2026-11-25', 6, 20), { date: '2026-12-01', usd: 6 }],
      6,
      18, // (6 × 20 + 6) / 7
      546, // 6 + 18 × 30
    ],
    [
      'mid-month, ignoring days before the month and after C',
      '2026-12-15',
      [
        { date: '2026-11-30', usd: 999 },
        ...days('2026-12-01', 8, 10),
        ...days('2026-12-09', 7, 31),
        { date: '2026-12-16', usd: 999 },
      ],
      297, // 8 × 10 + 7 × 31
      31,
      793, // 297 + 31 × 16
    ],
    ['the last day of a 28-day month', '2026-02-28', days('2026-02-01', 28, 5), 140, 5, 140],
    ['the last day of a 29-day month', '2028-02-29', days('2028-02-01', 29, 5), 145, 5, 145],
    ['the day before the last of a 29-day month', '2028-02-28', days('2028-02-01', 28, 5), 140, 5, 145],
    ['the last day of a 30-day month', '2026-11-30', days('2026-11-01', 30, 2), 60, 2, 60],
    ['the last day of a 31-day month', '2026-12-31', days('2026-12-01', 31, 3), 93, 3, 93],
    ['pace 0: nothing spent in the last 7 days', '2026-12-20', days('2026-12-01', 13, 10), 130, 0, 130],
    ['a pace rounded to a millionth', '2026-12-25', days('2026-12-19', 7, 10 / 7), 10, 1.428571, 18.571426],
    [
      'rows of the same date add up',
      '2026-12-03',
      [
        { date: '2026-12-03', usd: 0.1 },
        { date: '2026-12-03', usd: 0.2 },
      ],
      0.3,
      0.042857, // 0.3 / 7
      1.499996, // 0.3 + 0.042857 × 28
    ],
  ])('%s', (_name, costDay, spend, monthToDate, pace, forecast) => {
    expect(runwayOf(spend, costDay)).toEqual({
      costDay,
      monthToDateUsd: monthToDate,
      paceUsdPerDay: pace,
      forecastUsd: forecast,
      daysLeft: daysLeftInMonth(costDay),
    });
  });

  it('refuses a row whose date is not a date', () => {
    expect(() => runwayOf([{ date: '2026-12-32', usd: 1 }], '2026-12-15')).toThrow('not a date: 2026-12-32');
  });
});

describe('Function: reachesOn', () => {
  it.each<[string, number, Partial<Runway>, string | null]>([
    ['k = ceil(203 / 31) = 7', 500, { monthToDateUsd: 297, paceUsdPerDay: 31 }, '2026-12-22'],
    ['an exact quotient is not pushed up', 452, { monthToDateUsd: 297, paceUsdPerDay: 31 }, '2026-12-20'],
    // (52.6 − 51.5) / 0.1 is 11.000000000000014 in floating point: naive ceil says 12.
    [
      'an exact quotient that floating point misses',
      52.6,
      { monthToDateUsd: 51.5, paceUsdPerDay: 0.1 },
      '2026-12-26',
    ],
    ['on the last day of the month', 176, { monthToDateUsd: 16, paceUsdPerDay: 10 }, '2026-12-31'],
    ['falling next month', 177, { monthToDateUsd: 16, paceUsdPerDay: 10 }, null],
    ['pace 0', 500, { monthToDateUsd: 297, paceUsdPerDay: 0 }, null],
    ['already reached', 297, { monthToDateUsd: 297, paceUsdPerDay: 31 }, null],
    ['already past', 200, { monthToDateUsd: 297, paceUsdPerDay: 31 }, null],
    [
      'the last day of the month: no days left',
      500,
      { costDay: '2026-12-31', daysLeft: 0, monthToDateUsd: 400, paceUsdPerDay: 90 },
      null,
    ],
    [
      'the 1st, in one day',
      20,
      { costDay: '2026-12-01', daysLeft: 30, monthToDateUsd: 6, paceUsdPerDay: 18 },
      '2026-12-02',
    ],
  ])('%s', (_name, limit, fields, expected) => {
    expect(reachesOn(limit, runway(fields))).toBe(expected);
  });
});

describe('Function: limitStatus', () => {
  it.each<[string, number, Partial<Runway>, { enforcing?: boolean; warnAt?: number }, string]>([
    ['enforcing outranks reached', 100, { monthToDateUsd: 150 }, { enforcing: true }, 'enforcing'],
    ['enforcing outranks ok', 100, {}, { enforcing: true }, 'enforcing'],
    ['reached at exactly L', 100, { monthToDateUsd: 100, forecastUsd: 100 }, {}, 'reached'],
    [
      'reached outranks the rest',
      100,
      { monthToDateUsd: 101, paceUsdPerDay: 5, forecastUsd: 181 },
      {},
      'reached',
    ],
    ['will reach', 500, { monthToDateUsd: 297, paceUsdPerDay: 31, forecastUsd: 793 }, {}, 'will_reach'],
    ['warn at exactly 0.8 × L', 500, { daysLeft: 0, monthToDateUsd: 400, forecastUsd: 400 }, {}, 'warn'],
    [
      'ok a millionth under 0.8 × L',
      500,
      { daysLeft: 0, monthToDateUsd: 399.999999, forecastUsd: 399.999999 },
      {},
      'ok',
    ],
    // 0.8 × 3 is 2.4000000000000004 in floating point: a naive comparison says ok.
    ['warn at exactly 0.8 × $3', 3, { daysLeft: 0, monthToDateUsd: 2.4, forecastUsd: 2.4 }, {}, 'warn'],
    [
      'warn at another fraction',
      100,
      { daysLeft: 0, monthToDateUsd: 50, forecastUsd: 50 },
      { warnAt: 0.5 },
      'warn',
    ],
    [
      'ok under that fraction',
      100,
      { daysLeft: 0, monthToDateUsd: 49, forecastUsd: 49 },
      { warnAt: 0.5 },
      'ok',
    ],
    [
      'warn when the limit falls next month but the forecast nears it',
      200,
      { costDay: '2026-12-25', daysLeft: 6, monthToDateUsd: 100, paceUsdPerDay: 10, forecastUsd: 160 },
      {},
      'warn',
    ],
  ])('%s', (_name, limit, fields, options, expected) => {
    expect(limitStatus(limit, runway(fields), options)).toBe(expected);
  });
});

describe('Function: assessLimit', () => {
  it('builds one entry with the runway of its spend', () => {
    const spend = [...days('2026-12-01', 8, 10), ...days('2026-12-09', 7, 31)];
    const entry = assessLimit(
      { scope: 'project', id: 'proj_support', kind: 'hard_limit', limitUsd: 500, spend },
      '2026-12-15',
    );
    expect(entry).toEqual({
      scope: 'project',
      id: 'proj_support',
      kind: 'hard_limit',
      limit_usd: 500,
      month_to_date_usd: 297,
      pace_usd_per_day: 31,
      forecast_usd: 793,
      reaches_on: '2026-12-22',
      status: 'will_reach',
    });
  });

  it('refuses a limit that is not an amount', () => {
    expect(() =>
      assessLimit({ scope: 'route', id: 'r', kind: 'budget', limitUsd: Number.NaN, spend: [] }, '2026-12-15'),
    ).toThrow(RangeError);
  });
});

describe('Function: sumDailySpend', () => {
  it('adds series per date, in date order', () => {
    expect(
      sumDailySpend([
        [
          { date: '2026-12-02', usd: 1 },
          { date: '2026-12-01', usd: 2 },
        ],
        [{ date: '2026-12-02', usd: 0.5 }],
      ]),
    ).toEqual([
      { date: '2026-12-01', usd: 2 },
      { date: '2026-12-02', usd: 1.5 },
    ]);
  });
});

describe('Function: buildLimits', () => {
  const costDay = '2026-12-15';
  const support = [...days('2026-12-01', 8, 10), ...days('2026-12-09', 7, 31)]; // 297 to date, 31/day
  const other = days('2026-12-01', 15, 5); // 75 to date, 5/day
  const blocked = [{ date: '2026-12-14', usd: 50 }];
  const projectSpend = new Map([
    ['proj_support', support],
    ['proj_other', other],
    ['proj_blocked', blocked],
  ]);

  it('lists every limit and budget, worst first, a route budget over its projects summed', () => {
    const limits = buildLimits({
      costDay,
      organizationSpend: sumDailySpend([support, other, blocked]),
      projectSpend,
      organizationHardLimit: { limitUsd: 10_000, enforcing: false },
      projectHardLimits: new Map([
        ['proj_support', { limitUsd: 500, enforcing: false }],
        ['proj_blocked', { limitUsd: 50, enforcing: true }],
        ['proj_unlimited', { limitUsd: null, enforcing: false }],
      ]),
      budgets: { organizationUsd: 400, projects: { proj_other: 190, proj_quiet: 100 } },
      routes: [
        // proj_other twice: still spent once.
        {
          name: 'support-team',
          projectIds: ['proj_support', 'proj_other', 'proj_other'],
          monthlyBudgetUsd: 1000,
        },
        { name: 'no-budget', projectIds: ['proj_support'] },
      ],
    });
    expect(limits).toEqual([
      {
        scope: 'project',
        id: 'proj_blocked',
        kind: 'hard_limit',
        limit_usd: 50,
        month_to_date_usd: 50,
        pace_usd_per_day: 7.142857,
        forecast_usd: 164.285712,
        reaches_on: null,
        status: 'enforcing',
      },
      {
        scope: 'organization',
        id: null,
        kind: 'budget',
        limit_usd: 400,
        month_to_date_usd: 422,
        pace_usd_per_day: 43.142857, // (217 + 35 + 50) / 7
        forecast_usd: 1112.285712,
        reaches_on: null,
        status: 'reached',
      },
      {
        scope: 'project',
        id: 'proj_support',
        kind: 'hard_limit',
        limit_usd: 500,
        month_to_date_usd: 297,
        pace_usd_per_day: 31,
        forecast_usd: 793,
        reaches_on: '2026-12-22',
        status: 'will_reach',
      },
      {
        scope: 'project',
        id: 'proj_other',
        kind: 'budget',
        limit_usd: 190,
        month_to_date_usd: 75,
        pace_usd_per_day: 5,
        forecast_usd: 155, // ≥ 152 = 0.8 × 190; reaching 190 takes 23 days, past 31 Dec
        reaches_on: null,
        status: 'warn',
      },
      {
        scope: 'route',
        id: 'support-team',
        kind: 'budget',
        limit_usd: 1000,
        month_to_date_usd: 372, // 297 + 75
        pace_usd_per_day: 36,
        forecast_usd: 948, // 372 + 36 × 16
        reaches_on: null,
        status: 'warn',
      },
      {
        scope: 'organization',
        id: null,
        kind: 'hard_limit',
        limit_usd: 10_000,
        month_to_date_usd: 422,
        pace_usd_per_day: 43.142857,
        forecast_usd: 1112.285712,
        reaches_on: null,
        status: 'ok',
      },
      {
        scope: 'project',
        id: 'proj_quiet',
        kind: 'budget',
        limit_usd: 100,
        month_to_date_usd: 0,
        pace_usd_per_day: 0,
        forecast_usd: 0,
        reaches_on: null,
        status: 'ok',
      },
    ]);
  });

  it('keeps an enforcing scope whose limit reads as none, at $0', () => {
    const limits = buildLimits({
      costDay,
      organizationSpend: [],
      projectSpend,
      projectHardLimits: new Map([['proj_blocked', { limitUsd: null, enforcing: true }]]),
    });
    expect(limits).toEqual([
      expect.objectContaining({ id: 'proj_blocked', kind: 'hard_limit', limit_usd: 0, status: 'enforcing' }),
    ]);
  });

  it('lists nothing when nothing is known', () => {
    expect(buildLimits({ costDay, organizationSpend: support, projectSpend })).toEqual([]);
  });
});

describe('Function: compareLimits', () => {
  const entry = (fields: Partial<LimitEntry>): LimitEntry => ({
    scope: 'project',
    id: 'p',
    kind: 'budget',
    limit_usd: 100,
    month_to_date_usd: 10,
    pace_usd_per_day: 1,
    forecast_usd: 40,
    reaches_on: null,
    status: 'ok',
    ...fields,
  });

  it.each<[string, Partial<LimitEntry>, Partial<LimitEntry>]>([
    ['worse status first', { id: 'z', status: 'warn' }, { id: 'a', status: 'ok' }],
    ['enforcing before reached', { id: 'z', status: 'enforcing' }, { id: 'a', status: 'reached' }],
    [
      'earlier reaches_on first',
      { id: 'z', status: 'will_reach', reaches_on: '2026-12-19', month_to_date_usd: 1 },
      { id: 'a', status: 'will_reach', reaches_on: '2026-12-20', month_to_date_usd: 90 },
    ],
    ['a date before none', { id: 'z', reaches_on: '2026-12-31' }, { id: 'a', reaches_on: null }],
    [
      'higher share of the limit used first',
      { id: 'z', limit_usd: 100, month_to_date_usd: 60 },
      { id: 'a', limit_usd: 1000, month_to_date_usd: 500 },
    ],
    ['then by id, the organization first', { scope: 'organization', id: null }, { id: 'a' }],
    ['then by id', { id: 'a' }, { id: 'b' }],
    ['a hard limit before a budget of the same scope', { kind: 'hard_limit' }, { kind: 'budget' }],
  ])('%s', (_name, first, second) => {
    const [a, b] = [entry(first), entry(second)];
    expect(compareLimits(a, b)).toBeLessThan(0);
    expect(compareLimits(b, a)).toBeGreaterThan(0);
    expect([b, a].sort(compareLimits)).toEqual([a, b]);
  });
});

describe('Function: digestSpendWindow', () => {
  const costWindow = (c: string) => ({ start: utc(c), end: utc(addDays(c, 1)) });
  it.each([
    ['mid-month: the chart reaches back past the 1st', '2026-11-15', '2026-10-16', '2026-10-16'],
    [
      'the 1st: the pace days reach back further than a chart starting on C',
      '2026-11-01',
      '2026-11-01',
      '2026-10-26',
    ],
    ['the 31st: the 1st is C-30', '2026-12-31', '2026-12-01', '2026-12-01'],
  ])('%s', (_name, c, chartFrom, from) => {
    expect(digestSpendWindow(costWindow(c), chartFrom)).toEqual({
      start: utc(from),
      end: utc(addDays(c, 1)),
    });
  });

  it('is the runway window without a chart', () => {
    expect(digestSpendWindow(costWindow('2026-11-15'))).toEqual(runwaySpendWindow('2026-11-15'));
  });
});

describe('Function: spendOnCostDay', () => {
  it("gives each project's spend of every line item on C, and leaves out projects without any that day", () => {
    const spend = {
      total: new Map<string | null, DailySpend[]>([
        [
          'a',
          [
            { date: '2026-11-14', usd: 5 },
            { date: '2026-11-15', usd: 1.25 },
            { date: '2026-11-15', usd: 0.5 },
          ],
        ],
        ['b', [{ date: '2026-11-14', usd: 3 }]],
        [null, [{ date: '2026-11-15', usd: 0.1 }]],
      ]),
      codeInterpreter: [],
      routeCodeInterpreter: new Map(),
    };
    const window = { start: utc('2026-11-15'), end: utc('2026-11-16') };
    expect(spendOnCostDay(spend, window)).toEqual(
      new Map<string | null, number>([
        ['a', 1.75],
        [null, 0.1],
      ]),
    );
  });
});
