import { describe, expect, it } from 'vitest';
import { historyRows } from '../../functions/report/core/history-rows';
import type { ReportResult } from '../../functions/report/core/report';

// 2026-11-22 in Europe/Berlin: 23:00 UTC the day before to 23:00 UTC that day.
const START = Date.parse('2026-11-21T23:00:00Z') / 1000;
const END = START + 86_400;

const result = (overrides: Partial<ReportResult> = {}): ReportResult => ({
  kind: 'daily',
  start_time: START,
  end_time: END,
  total_sessions: 130,
  total_cost_usd: 3.5,
  projects: [
    { project_id: 'proj_a', project_name: 'Alpha', num_sessions: 100, cost_usd: 3 },
    { project_id: 'proj_b', num_sessions: 20, cost_usd: 0 },
    { project_id: null, num_sessions: 10, cost_usd: 0.5 },
  ],
  unusual: [{ project_id: 'proj_a', reason: 'spike', num_sessions: 100, mean_7d: 10, cost_usd: 3 }],
  ...overrides,
});

const routes = [
  { name: 'research', projectIds: ['proj_a', 'proj_b'] },
  { name: 'alpha-team', projectIds: ['proj_a'] },
];

describe('Function: historyRows', () => {
  it('gives one row per project of the day, with its routes, unusual reason and both costs', () => {
    const rows = historyRows({
      result: result(),
      timeZone: 'Europe/Berlin',
      date: '2026-11-22',
      totalCostByProject: new Map<string | null, number>([
        ['proj_a', 5.25],
        ['proj_b', 1],
        [null, 0.5],
      ]),
      routes,
    });
    const shared = { date: '2026-11-22', time_zone: 'Europe/Berlin', start_time: START, end_time: END };
    expect(rows).toEqual([
      {
        ...shared,
        project_id: 'proj_a',
        project_name: 'Alpha',
        num_sessions: 100,
        code_interpreter_cost_usd: 3,
        total_cost_usd: 5.25,
        unusual_reason: 'spike',
        routes: ['research', 'alpha-team'],
      },
      {
        ...shared,
        project_id: 'proj_b',
        project_name: null,
        num_sessions: 20,
        code_interpreter_cost_usd: 0,
        total_cost_usd: 1,
        unusual_reason: null,
        routes: ['research'],
      },
      {
        ...shared,
        project_id: null,
        project_name: null,
        num_sessions: 10,
        code_interpreter_cost_usd: 0.5,
        total_cost_usd: 0.5,
        unusual_reason: null,
        routes: [],
      },
    ]);
  });

  it('adds a row with 0 sessions for a project billed only for other line items, so total cost sums to the day', () => {
    const totals = new Map<string | null, number>([
      ['proj_a', 5],
      ['proj_c', 2.5],
      ['proj_d', 0],
    ]);
    const rows = historyRows({
      result: result(),
      timeZone: 'Europe/Berlin',
      date: '2026-11-22',
      totalCostByProject: totals,
      routes,
    });
    expect(
      rows.map((r) => [r.project_id, r.num_sessions, r.code_interpreter_cost_usd, r.total_cost_usd]),
    ).toEqual([
      ['proj_a', 100, 3, 5],
      ['proj_b', 20, 0, 0],
      [null, 10, 0.5, 0],
      ['proj_c', 0, 0, 2.5],
    ]);
    expect(rows.reduce((sum, r) => sum + (r.total_cost_usd ?? 0), 0)).toBe(7.5);
  });

  it('orders the billed-only rows by spend, most first, then by id with unattributed last', () => {
    const rows = historyRows({
      result: result({ projects: [{ project_id: 'proj_a', num_sessions: 4, cost_usd: 3 }] }),
      timeZone: 'Europe/Berlin',
      date: '2026-11-22',
      totalCostByProject: new Map<string | null, number>([
        [null, 2],
        ['proj_e', 2],
        ['proj_z', 0.75],
        ['proj_d', 2],
        ['proj_a', 5],
        ['proj_f', 2],
      ]),
      routes,
    });
    expect(rows.map((r) => [r.project_id, r.num_sessions, r.total_cost_usd, r.routes])).toEqual([
      ['proj_a', 4, 5, ['research', 'alpha-team']],
      ['proj_d', 0, 2, []],
      ['proj_e', 0, 2, []],
      ['proj_f', 0, 2, []],
      [null, 0, 2, []],
      ['proj_z', 0, 0.75, []],
    ]);
  });

  it('compares ids as text: unattributed spend stays last beside an id that reads as a number', () => {
    const billedOnly = (totals: [string | null, number][]) =>
      historyRows({
        result: result({ projects: [], unusual: [] }),
        timeZone: 'UTC',
        date: '2026-11-22',
        totalCostByProject: new Map(totals),
        routes: [],
      }).map((r) => r.project_id);
    expect(
      billedOnly([
        ['7', 1],
        [null, 1],
      ]),
    ).toEqual(['7', null]);
    expect(
      billedOnly([
        [null, 1],
        ['7', 1],
      ]),
    ).toEqual(['7', null]);
  });

  it('gives no unusual reason to any row of a report that judged none (weekly, monthly)', () => {
    const rows = historyRows({
      result: result({ unusual: undefined }),
      timeZone: 'Europe/Berlin',
      date: '2026-11-22',
      totalCostByProject: null,
      routes,
    });
    expect(rows.map((r) => [r.project_id, r.unusual_reason])).toEqual([
      ['proj_a', null],
      ['proj_b', null],
      [null, null],
    ]);
  });

  it('leaves both costs null when the report could not read them', () => {
    const rows = historyRows({
      result: result({
        total_cost_usd: null,
        projects: [{ project_id: 'proj_a', num_sessions: 3, cost_usd: null }],
        unusual: [],
      }),
      timeZone: 'UTC',
      date: '2026-11-22',
      totalCostByProject: null,
      routes: [],
    });
    expect(rows).toEqual([
      {
        date: '2026-11-22',
        time_zone: 'UTC',
        start_time: START,
        end_time: END,
        project_id: 'proj_a',
        project_name: null,
        num_sessions: 3,
        code_interpreter_cost_usd: null,
        total_cost_usd: null,
        unusual_reason: null,
        routes: [],
      },
    ]);
  });

  it('gives no rows for a day with nothing in it', () => {
    expect(
      historyRows({
        result: result({ total_sessions: 0, total_cost_usd: 0, projects: [], unusual: [] }),
        timeZone: 'UTC',
        date: '2026-11-22',
        totalCostByProject: new Map(),
        routes,
      }),
    ).toEqual([]);
  });
});
