import { describe, expect, it } from 'vitest';
import {
  limitName,
  limitsHeadline,
  limitsOnTrack,
  limitsShown,
  monthToDateText,
  runwayText,
} from '../../functions/report/core/limits-text';
import type { LimitEntry } from '../../functions/report/core/runway';

const entry = (fields: Partial<LimitEntry>): LimitEntry => ({
  scope: 'project',
  id: 'proj_support',
  kind: 'hard_limit',
  limit_usd: 500,
  month_to_date_usd: 300,
  pace_usd_per_day: 30.6,
  forecast_usd: 790,
  reaches_on: null,
  status: 'ok',
  ...fields,
});

describe('Function: runwayText', () => {
  it('says when a hard limit is reached, at what pace, and what happens then', () => {
    expect(runwayText(entry({ status: 'will_reach', reaches_on: '2026-12-19' }))).toBe(
      'reaches its $500 hard limit on 19 Dec at $31/day; traffic then fails with 429',
    );
    expect(runwayText(entry({ kind: 'budget', status: 'will_reach', reaches_on: '2027-01-02' }))).toBe(
      'reaches its $500 budget on 2 Jan at $31/day',
    );
  });

  it('says a scope is blocked now, with the limit OpenAI enforces when it is known', () => {
    expect(runwayText(entry({ status: 'enforcing', month_to_date_usd: 500 }))).toBe(
      'OpenAI is refusing its requests now (hard limit $500 reached)',
    );
    expect(runwayText(entry({ status: 'enforcing', limit_usd: 0 }))).toBe(
      'OpenAI is refusing its requests now (hard limit reached)',
    );
  });

  it('says a limit is reached or passed, with the month to date', () => {
    expect(
      runwayText(entry({ kind: 'budget', limit_usd: 2000, month_to_date_usd: 2140.4, status: 'reached' })),
    ).toBe('is over its $2,000 budget: $2,140 this month');
    expect(runwayText(entry({ kind: 'budget', month_to_date_usd: 500, status: 'reached' }))).toBe(
      'has reached its $500 budget: $500 this month',
    );
    expect(runwayText(entry({ month_to_date_usd: 512.3, status: 'reached' }))).toBe(
      'is over its $500 hard limit: $512 this month; traffic fails with 429 once OpenAI enforces it',
    );
  });

  it('says where a warned budget is heading, and how an ok one stands, cents below $10', () => {
    expect(
      runwayText(
        entry({
          kind: 'budget',
          limit_usd: 123.45,
          forecast_usd: 110,
          pace_usd_per_day: 4.5,
          status: 'warn',
        }),
      ),
    ).toBe('is heading for $110 this month, 89% of its $123.45 budget, at $4.50/day');
    expect(runwayText(entry({ month_to_date_usd: 8.5, forecast_usd: 40 }))).toBe(
      '$8.50 of its $500 hard limit this month, forecast $40',
    );
  });
});

describe('Function: limitName', () => {
  it('names the organization, a project by name and id, and a route', () => {
    const names = new Map([['proj_support', 'Support\u202E Copilot']]);
    expect(limitName(entry({ scope: 'organization', id: null }), names)).toEqual({
      name: 'Organization',
      id: null,
    });
    expect(limitName(entry({}), names)).toEqual({ name: 'Support Copilot', id: 'proj_support' });
    expect(limitName(entry({ id: 'proj_x' }), names)).toEqual({ name: 'proj_x', id: 'proj_x' });
    expect(limitName(entry({ scope: 'route', id: 'support\n', kind: 'budget' }), names)).toEqual({
      name: 'Route support ',
      id: null,
    });
  });
});

describe('Functions: limitsShown, limitsOnTrack, limitsHeadline', () => {
  const limits = [
    entry({ status: 'enforcing' }),
    entry({ status: 'reached', id: 'b' }),
    entry({ status: 'will_reach', id: 'c', reaches_on: '2026-12-20' }),
    entry({ status: 'warn', id: 'd' }),
    entry({ status: 'ok', id: 'e' }),
    entry({ status: 'ok', id: 'f' }),
  ];

  it('shows every limit that is not ok, and counts the rest', () => {
    expect(limitsShown(limits).map((l) => l.status)).toEqual(['enforcing', 'reached', 'will_reach', 'warn']);
    expect(limitsOnTrack(limits)).toBe('2 more limits on track');
    expect(limitsOnTrack(limits.slice(0, 5))).toBe('1 more limit on track');
    expect(limitsOnTrack(limits.slice(0, 4))).toBe('');
  });

  it('counts blocked (enforcing) and at risk (reached, will_reach) for the subject', () => {
    expect(limitsHeadline(limits)).toBe('⛔ 1 blocked · ⏳ 2 at risk');
    expect(limitsHeadline(limits.slice(1))).toBe('⏳ 2 at risk');
    expect(limitsHeadline(limits.slice(0, 1))).toBe('⛔ 1 blocked');
    expect(limitsHeadline(limits.slice(3))).toBe('');
    expect(limitsHeadline(undefined)).toBe('');
  });
});

describe('Function: monthToDateText', () => {
  it('says the month to date, its code interpreter part, the pace and the forecast', () => {
    expect(
      monthToDateText({
        start_time: 0,
        end_time: 0,
        cost_usd: 1234.56,
        code_interpreter_cost_usd: 210,
        pace_usd_per_day: 61.2,
        forecast_usd: 1897.2,
      }),
    ).toBe('Month to date: $1,234.56 ($210.00 code interpreter) · $61.20/day · forecast $1,897.20');
  });
});
