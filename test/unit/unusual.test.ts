import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, findUnusual, type ProjectDay } from '../../functions/report/core/unusual';

const day = (
  num_sessions: number,
  mean_7d: number,
  cost_usd: number | null = null,
  project_id: string | null = 'p',
): ProjectDay => ({
  project_id,
  num_sessions,
  mean_7d,
  cost_usd,
});
const reasons = (days: ProjectDay[], thresholds = DEFAULT_THRESHOLDS) =>
  findUnusual(days, thresholds).map((u) => u.reason);

describe('Function: findUnusual', () => {
  it.each([
    [day(150, 50), ['spike']], // exactly 3× and exactly 100 above
    [day(149, 50), []], // just under 3×
    [day(90, 30), ['spike']], // 3× and 60 above
  ])('spikes at UNUSUAL_FACTOR times the 7-day mean: %j', (d, expected) => {
    expect(reasons([d])).toEqual(expected);
  });

  it('needs the spike to be at least UNUSUAL_MIN_SESSIONS above the mean', () => {
    expect(reasons([day(30, 10)])).toEqual([]); // 3× but only 20 above
    expect(reasons([day(60, 10)])).toEqual(['spike']); // 6×, 50 above
    expect(reasons([day(59, 10)])).toEqual([]);
  });

  it('calls a project new when it had nothing in the 7 days before and at least UNUSUAL_MIN_SESSIONS now', () => {
    expect(reasons([day(50, 0)])).toEqual(['new']);
    expect(reasons([day(49, 0)])).toEqual([]);
  });

  it('flags cost at or above ALERT_COST_USD only when it is set and cost is known', () => {
    const thresholds = { ...DEFAULT_THRESHOLDS, alertCostUsd: 20 };
    expect(reasons([day(10, 10, 20)], thresholds)).toEqual(['cost']);
    expect(reasons([day(10, 10, 19.99)], thresholds)).toEqual([]);
    expect(reasons([day(10, 10, 500)])).toEqual([]);
    expect(reasons([day(10, 10, null)], thresholds)).toEqual([]);
  });

  it('judges unattributed usage like a project, lists each project once, biggest first', () => {
    const found = findUnusual(
      [day(80, 0, 5, 'new'), day(400, 100, 90, 'spike'), day(5, 5, 60, 'costly'), day(70, 0, null, null)],
      { ...DEFAULT_THRESHOLDS, alertCostUsd: 50 },
    );
    expect(found.map((u) => [u.project_id, u.reason])).toEqual([
      ['spike', 'spike'],
      ['new', 'new'],
      [null, 'new'],
      ['costly', 'cost'],
    ]);
    expect(found[0]).toEqual({
      project_id: 'spike',
      reason: 'spike',
      num_sessions: 400,
      mean_7d: 100,
      cost_usd: 90,
    });
  });

  it('rounds the mean it reports to one decimal', () => {
    expect(findUnusual([day(200, 100 / 3)], DEFAULT_THRESHOLDS)[0]?.mean_7d).toBe(33.3);
  });
});

describe('Function: findUnusual, order', () => {
  it('puts the largest excess over the mean first, not the largest count', () => {
    const found = findUnusual([day(400, 100, null, 'big'), day(350, 0, null, 'fresh')], DEFAULT_THRESHOLDS);
    expect(found.map((u) => u.project_id)).toEqual(['fresh', 'big']);
  });

  it('breaks a tie in excess by cost, the higher first', () => {
    const thresholds = { ...DEFAULT_THRESHOLDS, alertCostUsd: 10 };
    const found = findUnusual(
      [day(5, 5, 20, 'cheap'), day(5, 5, 40, 'dear'), day(5, 5, null, 'unknown')],
      thresholds,
    );
    expect(found.map((u) => u.project_id)).toEqual(['dear', 'cheap']);
  });
});
