import { describe, expect, it } from 'vitest';
import {
  CostTally,
  costWindowOf,
  formatUsd,
  isCodeInterpreterLine,
  parseCostPage,
  planCostQueries,
} from '../../functions/report/core/cost';
import { localDayWindow } from '../../functions/report/core/local-time';
import { MalformedPageError } from '../../functions/report/core/usage-page';

const DAY = 86_400;
const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
const row = (value: unknown, line_item = 'Code Interpreter sessions', project_id: string | null = 'p1') => ({
  object: 'organization.costs.result',
  amount: { value, currency: 'usd' },
  line_item,
  project_id,
});
const page = (results: unknown[], start = utc('2026-11-21')) => ({
  object: 'page',
  data: [{ object: 'bucket', start_time: start, end_time: start + DAY, results }],
  has_more: false,
  next_page: null,
});

describe('Function: costWindowOf', () => {
  it.each([
    ['America/New_York', '2026-11-21'],
    ['Asia/Kolkata', '2026-11-21'],
    ['Pacific/Kiritimati', '2026-11-21'],
    ['UTC', '2026-11-21'],
  ])('covers the UTC day with the same date as a %s day', (zone, date) => {
    const window = costWindowOf(localDayWindow(date, zone), zone);
    expect(window).toMatchObject({ start: utc(date), end: utc('2026-11-22') });
  });

  it('covers every local date of a range, across a DST change', () => {
    const range = {
      start: localDayWindow('2026-10-31', 'Europe/Berlin').start,
      end: localDayWindow('2026-11-03', 'Europe/Berlin').start,
    };
    expect(costWindowOf(range, 'Europe/Berlin')).toMatchObject({
      start: utc('2026-10-31'),
      end: utc('2026-11-03'),
    });
  });
});

describe('Function: planCostQueries', () => {
  it('splits a year into pages of at most 180 days, to run at once', () => {
    const queries = planCostQueries({ start: utc('2025-11-21'), end: utc('2026-11-21') });
    expect(queries.map((q) => q.limit)).toEqual([180, 180, 5]);
    expect(queries[1]?.start).toBe(queries[0]?.end);
    expect(queries.at(-1)?.end).toBe(utc('2026-11-21'));
  });
});

describe('Function: parseCostPage', () => {
  it('takes amounts as numbers and as numeric strings, and a null project', () => {
    const parsed = parseCostPage(
      page([row(1.25), row('0.75'), row('1e-2', 'code interpreter sessions', null)]),
    );
    expect(parsed.buckets[0]?.results).toEqual([
      { project_id: 'p1', line_item: 'Code Interpreter sessions', value: 1.25 },
      { project_id: 'p1', line_item: 'Code Interpreter sessions', value: 0.75 },
      { project_id: null, line_item: 'code interpreter sessions', value: 0.01 },
    ]);
  });

  it('keeps only code interpreter lines, having checked every line', () => {
    const lines = [row(1, 'gpt-4.1, input'), row('2'), row(3, 'file search tool calls', null)];
    expect(parseCostPage(page(lines)).buckets[0]?.results).toEqual([
      { project_id: 'p1', line_item: 'Code Interpreter sessions', value: 2 },
    ]);
    expect(() => parseCostPage(page([row('twelve', 'gpt-4.1, input'), row(2)]))).toThrow(
      'data[0].results[0].amount.value is "twelve", not a number',
    );
  });

  it.each([
    [row('twelve'), 'data[0].results[0].amount.value is "twelve", not a number'],
    [row(null), 'amount.value is null, not a number'],
    [row(''), 'amount.value is "", not a number'],
    [row(Number.NaN), 'not a number'],
    [{ ...row(1), amount: { value: 1, currency: 'eur' } }, 'amount.currency is "eur", not usd'],
    [{ ...row(1), amount: undefined }, 'amount.value is missing'],
    [{ ...row(1), project_id: 7 }, 'project_id is not a string'],
  ])('refuses %j, naming the field', (result, message) => {
    expect(() => parseCostPage(page([result]))).toThrow(MalformedPageError);
    expect(() => parseCostPage(page([result]))).toThrow(message);
  });
});

describe('Class: CostTally', () => {
  const window = { start: utc('2026-11-21'), end: utc('2026-11-23') };
  const bucket = (
    date: string,
    results: { project_id: string | null; line_item: string; value: number }[],
  ) => ({
    start_time: utc(date),
    end_time: utc(date) + DAY,
    results,
  });

  it('sums code interpreter lines only, matched in any case, per project', () => {
    const tally = new CostTally(window);
    tally.addPage([
      bucket('2026-11-21', [
        { project_id: 'p1', line_item: 'Code Interpreter sessions', value: 0.1 },
        { project_id: 'p1', line_item: 'gpt-4o, output', value: 9 },
        { project_id: null, line_item: 'code interpreter sessions', value: 0.2 },
      ]),
      bucket('2026-11-22', [{ project_id: 'p1', line_item: 'CODE INTERPRETER SESSIONS', value: 0.2 }]),
    ]);
    expect(tally.perProject()).toEqual(
      new Map<string | null, number>([
        ['p1', 0.3],
        [null, 0.2],
      ]),
    );
  });

  const ci = (project_id: string | null, value: number, line_item = 'Code Interpreter sessions') => ({
    project_id,
    line_item,
    value,
  });

  it('merges a day continued on the next page, as usage does: new rows add', () => {
    const tally = new CostTally(window);
    tally.addPage([bucket('2026-11-21', [ci('p1', 1), ci('p2', 2)])]);
    // The same day, its other projects, on the next page (many projects × line items).
    tally.addPage([bucket('2026-11-21', [ci('p3', 3), ci(null, 0.5)]), bucket('2026-11-22', [ci('p1', 4)])]);
    expect(tally.perProject()).toEqual(
      new Map<string | null, number>([
        ['p1', 5],
        ['p2', 2],
        ['p3', 3],
        [null, 0.5],
      ]),
    );
  });

  it('drops a row seen before with the same amount (overlapping pages, a cursor that rewinds)', () => {
    const tally = new CostTally(window);
    const day = bucket('2026-11-21', [ci('p1', 1), ci('p2', 2)]);
    tally.addPage([day]);
    tally.addPage([day]);
    tally.addPage([bucket('2026-11-21', [ci('p2', 2), ci('p3', 3)])]);
    expect(tally.perProject()).toEqual(
      new Map<string | null, number>([
        ['p1', 1],
        ['p2', 2],
        ['p3', 3],
      ]),
    );
  });

  it('keys a row by day, project and line item: another line item of the project adds', () => {
    const tally = new CostTally(window);
    tally.addPage([bucket('2026-11-21', [ci('p1', 1)])]);
    tally.addPage([bucket('2026-11-21', [ci('p1', 1, 'code interpreter sessions')])]);
    tally.addPage([bucket('2026-11-22', [ci('p1', 1)])]);
    expect(tally.perProject().get('p1')).toBe(3);
  });

  it('fails on a row that repeats with another amount, naming the day, project and line item', () => {
    const tally = new CostTally(window);
    tally.addPage([bucket('2026-11-21', [ci('p1', 1), ci(null, 1)])]);
    expect(() => tally.addPage([bucket('2026-11-21', [ci('p1', 2)])])).toThrow(
      new MalformedPageError(
        'the cost bucket 2026-11-21 repeats project p1, line item "Code Interpreter sessions", with $2 after $1',
      ),
    );
    expect(() => tally.addPage([bucket('2026-11-21', [ci(null, 3)])])).toThrow(
      'the cost bucket 2026-11-21 repeats project unattributed, line item "Code Interpreter sessions", with $3 after $1',
    );
  });

  it('fails clearly on amounts whose sum is not a finite number', () => {
    const tally = new CostTally(window);
    expect(() =>
      tally.addPage([bucket('2026-11-21', [ci('p1', 1.5e308)]), bucket('2026-11-22', [ci('p1', 1.5e308)])]),
    ).toThrow(
      new MalformedPageError(
        'the cost of project p1 is past what a number holds after the cost bucket 2026-11-22',
      ),
    );
  });

  it.each([
    [
      { start_time: utc('2026-11-20'), end_time: utc('2026-11-21'), results: [] },
      'cost bucket 2026-11-20 is outside',
    ],
    [
      { start_time: utc('2026-11-21') + 3600, end_time: utc('2026-11-22') + 3600, results: [] },
      'is not one UTC day',
    ],
    [
      { start_time: utc('2026-11-21'), end_time: utc('2026-11-21') + 3600, results: [] },
      'is not one UTC day',
    ],
  ])('fails on a bucket it did not ask for: %j', (bad, message) => {
    expect(() => new CostTally(window).addPage([bad])).toThrow(message);
  });
});

describe('Function: isCodeInterpreterLine', () => {
  it.each([
    ['Code Interpreter sessions', true],
    ['code interpreter sessions', true],
    ['gpt-4.1, input', false],
    ['File search tool calls', false],
  ])('%s → %s', (line, expected) => {
    expect(isCodeInterpreterLine(line)).toBe(expected);
  });

  it('is false without a line item', () => {
    expect(isCodeInterpreterLine(null)).toBe(false);
  });
});

describe('Function: formatUsd', () => {
  it.each([
    [0, '$0.00'],
    [0.004, '<$0.01'],
    [0.005, '$0.01'],
    [1234.567, '$1,234.57'],
  ])('%d → %s', (value, text) => {
    expect(formatUsd(value)).toBe(text);
  });
});

describe('Function: parseCostPage, at its edges', () => {
  it.each([[null], [[]], [{ data: {} }], ['page']])('refuses %j: no data array', (body) => {
    expect(() => parseCostPage(body)).toThrow('the page has no data array');
  });

  it.each([
    [{ start_time: 1.5, end_time: 86_400, results: [] }],
    [{ start_time: 0, results: [] }],
    [{ end_time: 86_400, results: [] }],
    [null],
  ])('refuses the bucket %j without whole start_time and end_time', (bucket) => {
    expect(() => parseCostPage({ data: [bucket] })).toThrow('data[0] has no whole start_time and end_time');
  });

  it('refuses results that are not an array, and reads the older "result"', () => {
    expect(() => parseCostPage({ data: [{ start_time: 0, end_time: DAY, results: {} }] })).toThrow(
      'data[0].results is not an array',
    );
    expect(
      parseCostPage({ data: [{ start_time: 0, end_time: DAY, result: [row(1)] }] }).buckets[0]?.results,
    ).toHaveLength(1);
    expect(parseCostPage({ data: [{ start_time: 0, end_time: DAY }] }).buckets[0]?.results).toEqual([]);
  });

  it('follows has_more only when it is true, and a cursor only when it is a non-empty string', () => {
    const base = page([]);
    expect(parseCostPage({ ...base, has_more: true, next_page: 'c1' })).toMatchObject({
      hasMore: true,
      nextPage: 'c1',
    });
    expect(parseCostPage({ ...base, has_more: 'true', next_page: '' })).toMatchObject({
      hasMore: false,
      nextPage: null,
    });
    expect(parseCostPage({ ...base, has_more: true, next_page: 7 })).toMatchObject({ nextPage: null });
  });

  it.each([
    [' 2.5 ', 2.5],
    ['12.75', 12.75],
    ['-0.5', -0.5],
    ['1e3', 1000],
    ['12e-2', 0.12],
    ['1.5E+2', 150],
  ])('reads the numeric string %j as %d', (value, expected) => {
    expect(parseCostPage(page([row(value)])).buckets[0]?.results[0]?.value).toBe(expected);
  });

  it.each([['1.5x'], ['x1.5'], ['1e'], ['1e+'], ['.5'], ['1..5'], ['Infinity']])(
    'refuses the string %j',
    (value) => {
      expect(() => parseCostPage(page([row(value)]))).toThrow('not a number');
    },
  );

  it.each([[7], [null], [undefined]])('refuses currency %j', (currency) => {
    expect(() => parseCostPage(page([{ ...row(1), amount: { value: 1, currency } }]))).toThrow(
      /amount\.currency is .*, not usd/,
    );
  });

  it('reads a missing project as unattributed, and a line without a line item as not code interpreter', () => {
    const unattributed = { amount: { value: 1, currency: 'USD' }, line_item: 'Code Interpreter sessions' };
    expect(parseCostPage(page([unattributed])).buckets[0]?.results[0]).toStrictEqual({
      project_id: null,
      line_item: 'Code Interpreter sessions',
      value: 1,
    });
    expect(parseCostPage(page([{ amount: { value: 1, currency: 'USD' } }])).buckets[0]?.results).toEqual([]);
  });
});

describe('Function: planCostQueries, at its edges', () => {
  it('asks for exactly 180 days in one query, and a day in one', () => {
    expect(planCostQueries({ start: 0, end: 180 * DAY })).toEqual([{ start: 0, end: 180 * DAY, limit: 180 }]);
    expect(planCostQueries({ start: 0, end: DAY })).toEqual([{ start: 0, end: DAY, limit: 1 }]);
  });
});

describe('Class: CostTally, at its edges', () => {
  it('fails on a day past the window', () => {
    const tally = new CostTally({ start: utc('2026-11-21'), end: utc('2026-11-22') });
    expect(() =>
      tally.addPage([{ start_time: utc('2026-11-22'), end_time: utc('2026-11-23'), results: [] }]),
    ).toThrow('the cost bucket 2026-11-22 is outside the requested days');
  });
});

describe('Class: CostTally, line item names', () => {
  it("gives each project's code interpreter line item names exactly as its rows spelled them", () => {
    const tally = new CostTally({ start: utc('2026-11-21'), end: utc('2026-11-23') });
    const at = (
      date: string,
      results: { project_id: string | null; line_item: string; value: number }[],
    ) => ({
      start_time: utc(date),
      end_time: utc(date) + DAY,
      results,
    });
    tally.addPage([
      at('2026-11-21', [
        { project_id: 'p1', line_item: 'Code Interpreter sessions', value: 1 },
        { project_id: 'p1', line_item: 'gpt-4.1, input', value: 4 },
        { project_id: null, line_item: 'code interpreter sessions', value: 1 },
      ]),
      at('2026-11-22', [{ project_id: 'p1', line_item: 'code interpreter sessions', value: 2 }]),
    ]);
    expect(tally.lineItems()).toEqual(
      new Map<string | null, readonly string[]>([
        ['p1', ['Code Interpreter sessions', 'code interpreter sessions']],
        [null, ['code interpreter sessions']],
      ]),
    );
  });
});

describe('Function: parseCostPage, by API key', () => {
  it('keeps the api_key_id of a row grouped by key (null: no key), and refuses one that is not a string', () => {
    const keyed = (api_key_id: unknown) => ({ ...row(1), api_key_id });
    expect(parseCostPage(page([keyed('key_1'), keyed(null)])).buckets[0]?.results).toStrictEqual([
      { project_id: 'p1', line_item: 'Code Interpreter sessions', api_key_id: 'key_1', value: 1 },
      { project_id: 'p1', line_item: 'Code Interpreter sessions', api_key_id: null, value: 1 },
    ]);
    expect(() => parseCostPage(page([keyed(7)]))).toThrow('data[0].results[0].api_key_id is not a string');
  });
});
