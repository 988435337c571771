import { describe, expect, it } from 'vitest';
import { tallyBySegment } from '../../functions/report/core/aggregate';
import { buildReport, buildTrend } from '../../functions/report/core/report';
import { parseUsagePage } from '../../functions/report/core/usage-page';

const day = (n: number) => ({ start: n * 86_400, end: (n + 1) * 86_400 });

describe('Function: tallyBySegment', () => {
  it('adds a bucket split across pages once per row, keeps nulls apart, ignores unclaimed buckets', () => {
    const segments = [
      { width: '1h' as const, start: 0, end: 7_200, window: 1 },
      { width: '1d' as const, start: 86_400, end: 172_800, window: 0 },
      { width: '1h' as const, start: 10_800, end: 14_400, window: 0 },
    ];
    const fetched = [
      {
        width: '1h' as const,
        buckets: [
          { start_time: 0, end_time: 3600, results: [{ project_id: 'a', num_sessions: 2 }] },
          // the same bucket continued on the next page
          {
            start_time: 0,
            end_time: 3600,
            results: [
              { project_id: null, num_sessions: 5 },
              { project_id: 'b', num_sessions: 1 },
            ],
          },
          // a gap hour the query ran across: no segment claims it
          { start_time: 7_200, end_time: 10_800, results: [{ project_id: 'a', num_sessions: 100 }] },
          { start_time: 10_800, end_time: 14_400, results: [{ project_id: 'a', num_sessions: 3 }] },
        ],
      },
      {
        width: '1d' as const,
        buckets: [{ start_time: 86_400, end_time: 172_800, results: [{ project_id: 'a', num_sessions: 7 }] }],
      },
    ];
    const totals = tallyBySegment(fetched, segments, 2);
    expect([...(totals[1] ?? [])]).toEqual([
      ['a', 2],
      [null, 5],
      ['b', 1],
    ]);
    expect([...(totals[0] ?? [])]).toEqual([['a', 10]]);
  });

  it('counts a bucket only in a segment of its own width', () => {
    const segments = [{ width: '1d' as const, start: 0, end: 86_400, window: 0 }];
    const hourly = [
      {
        width: '1h' as const,
        buckets: [{ start_time: 0, end_time: 3600, results: [{ project_id: 'a', num_sessions: 1 }] }],
      },
    ];
    expect(tallyBySegment(hourly, segments, 1)[0]?.size).toBe(0);
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
    const report = buildReport({ window: day(0), totals, names: new Map([['proj_a', 'Alpha']]) });
    expect(report).toEqual({
      start_time: 0,
      end_time: 86_400,
      total_sessions: 17,
      projects: [
        { project_id: 'proj_a', project_name: 'Alpha', num_sessions: 9 },
        { project_id: 'proj_b', num_sessions: 4 },
        { project_id: null, num_sessions: 4 },
      ],
    });
  });

  it('derives the previous day and the seven-day mean per project', () => {
    const report = buildReport({ window: day(7), totals: new Map([['a', 10]]), names: new Map() });
    const history = Array.from({ length: 7 }, (_, i) => new Map<string | null, number>([['a', i + 1]]));
    expect(buildTrend(report.projects, history)).toEqual({
      previous_day_sessions: 7,
      seven_day_mean_sessions: 4,
      projects: [{ project_id: 'a', previous_day_sessions: 7, seven_day_mean_sessions: 4 }],
    });
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
    [{ data: [{ start_time: 0, end_time: 1, results: [{ num_sessions: -1 }] }] }, 'no whole num_sessions'],
  ])('rejects %j', (body, message) => {
    expect(() => parseUsagePage(body)).toThrow(message);
  });
});
