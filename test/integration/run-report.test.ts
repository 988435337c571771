import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUsageApi } from '../../dev/fake-usage-api';
import { createUsageApi } from '../../functions/report/adapters/usage-api';
import { costWindowOf } from '../../functions/report/core/cost';
import { parseEvent } from '../../functions/report/core/event';
import { DEFAULT_THRESHOLDS } from '../../functions/report/core/unusual';
import type { ReportLogger } from '../../functions/report/logger';
import type { ProjectNames } from '../../functions/report/project-names';
import { computeReport } from '../../functions/report/run-report';
import { ADMIN_KEY, NOW, SAMPLE_LOG } from '../support/harness';

/** One report computed from the sample API over HTTP, as the function and the CLI compute it. */
const api = new FakeUsageApi({ log: SAMPLE_LOG, adminKey: ADMIN_KEY });
beforeAll(() => api.start());
afterAll(() => api.stop());

const logged: { level: 'info' | 'warn'; message: string; extra: Record<string, unknown> }[] = [];
const logger: ReportLogger = {
  info: (message, extra = {}) => void logged.push({ level: 'info', message, extra }),
  warn: (message, extra = {}) => void logged.push({ level: 'warn', message, extra }),
};
beforeEach(() => {
  api.reset();
  logged.length = 0;
});

const request = (event: Record<string, unknown> = {}) =>
  parseEvent(event, { now: NOW / 1000, timeZone: 'Europe/Berlin', recipients: ['ops@example.com'] });
const usageApi = () => createUsageApi({ baseUrl: api.baseUrl, adminKey: ADMIN_KEY, maxAttempts: 1 });
const [FIRST, SECOND] = SAMPLE_LOG.projects;
const P1 = FIRST?.id ?? '';
const P2 = SECOND?.id ?? '';

describe('Function: computeReport', () => {
  it('logs its plan, and counts the usage queries it planned', async () => {
    const daily = request();
    const report = await computeReport(daily, usageApi(), logger);
    const cost = costWindowOf(daily.window, 'Europe/Berlin');
    expect(logged[0]).toEqual({
      level: 'info',
      message: 'usage plan',
      extra: {
        window: daily.window,
        time_zone: 'Europe/Berlin',
        windows: 8,
        queries: report.queries,
        buckets: 192,
        cost_window: { start: cost.start, end: cost.end },
      },
    });
    expect(report.queries).toBe(2);
    expect(api.usageRequests()).toHaveLength(2);
    expect(report.costUnavailable).toBeUndefined();
    expect(report).not.toHaveProperty('costUnavailable');
  });

  it('gives a daily report its unusual list and a trend with the 7-day mean', async () => {
    const report = await computeReport(request(), usageApi(), logger);
    expect(report.result.kind).toBe('daily');
    expect(report.result.unusual).toBeDefined();
    expect(report.trend?.seven_day_mean_sessions).toEqual(expect.any(Number));
    expect(report.trend?.projects).toHaveLength(report.result.projects.length);
  });

  it('gives a weekly digest a trend without a 7-day mean, and no unusual list', async () => {
    const report = await computeReport(request({ digest: 'weekly' }), usageApi(), logger);
    expect(report.result.kind).toBe('weekly');
    expect(report.result).not.toHaveProperty('unusual');
    expect(report.trend).toBeDefined();
    expect(report.trend).not.toHaveProperty('seven_day_mean_sessions');
  });

  it('gives a range neither a trend nor an unusual list', async () => {
    const report = await computeReport(
      request({ start_time: '2026-11-20', end_time: '2026-11-22' }),
      usageApi(),
      logger,
    );
    expect(report.result.kind).toBe('range');
    expect(report).not.toHaveProperty('trend');
    expect(report.forProjects([P1])).not.toHaveProperty('trend');
    expect(report.result).not.toHaveProperty('unusual');
  });

  it('flags with the thresholds it is given', async () => {
    const usual = await computeReport(request(), usageApi(), logger);
    // Any cost at all is an alert: every project billed that day is flagged.
    const strict = await computeReport(request(), usageApi(), logger, undefined, {
      ...DEFAULT_THRESHOLDS,
      alertCostUsd: 0,
    });
    const billed = strict.result.projects.filter((row) => (row.cost_usd ?? 0) > 0);
    expect(billed.length).toBeGreaterThan(0);
    expect(strict.result.unusual?.length).toBeGreaterThanOrEqual(billed.length);
    expect(strict.result.unusual?.length).toBeGreaterThan(usual.result.unusual?.length ?? 0);
  });

  it('reports progress as usage queries finish', async () => {
    const progress: [number, number][] = [];
    await computeReport(request(), usageApi(), logger, (done, total) => progress.push([done, total]));
    expect(progress.sort()).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('asks for names of the projects it shows, those billed without sessions included, never the unattributed', async () => {
    const asked: (readonly string[])[] = [];
    const names: ProjectNames = {
      namesFor: async (ids) => {
        asked.push(ids);
        return new Map([[P1, 'Named one']]);
      },
      settled: async () => {},
    };
    api.configure({
      extraCosts: [
        {
          time: NOW / 1000 - 86_400,
          project_id: 'proj_billed_only',
          line_item: 'Code Interpreter sessions',
          cents: 5,
        },
      ],
    });
    try {
      const report = await computeReport(request(), usageApi(), logger, undefined, DEFAULT_THRESHOLDS, names);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain('proj_billed_only');
      expect(asked[0]).not.toContain(null);
      expect(new Set(asked[0])).toEqual(
        new Set(report.result.projects.map((row) => row.project_id).filter((id) => id !== null)),
      );
      expect(report.result.projects.find((row) => row.project_id === P1)?.project_name).toBe('Named one');
    } finally {
      api.configure({ extraCosts: [] });
    }
  });

  it('goes out with ids, saying why, when the names cannot be had', async () => {
    api.inject('projects', { kind: 'status', status: 400 });
    const report = await computeReport(request(), usageApi(), logger);
    expect(report.result.projects.every((row) => row.project_name === undefined)).toBe(true);
    expect(logged.at(-1)).toEqual({
      level: 'warn',
      message: 'project names unavailable; the report shows project ids',
      extra: {
        error: { name: 'UsageApiError', message: 'the projects API answered HTTP 400: injected fault' },
      },
    });
  });

  it('goes out without cost, saying why, when the Costs API fails', async () => {
    api.inject('costs', { kind: 'status', status: 400 });
    const asked: (readonly string[])[] = [];
    const names: ProjectNames = {
      namesFor: async (ids) => {
        asked.push(ids);
        return new Map();
      },
      settled: async () => {},
    };
    const report = await computeReport(request(), usageApi(), logger, undefined, DEFAULT_THRESHOLDS, names);
    // The names asked for are those of the projects with sessions, and nothing else.
    expect(new Set(asked[0])).toEqual(
      new Set(report.result.projects.map((row) => row.project_id).filter((id) => id !== null)),
    );
    expect(report.costUnavailable).toBe('the costs API answered HTTP 400: injected fault');
    expect(report.result.total_cost_usd).toBeNull();
    expect(report.forProjects([P1]).result.total_cost_usd).toBeNull();
    expect(logged.find((entry) => entry.level === 'warn')).toEqual({
      level: 'warn',
      message: 'cost unavailable; the report shows sessions only',
      extra: { error: { name: 'UsageApiError', message: 'the costs API answered HTTP 400: injected fault' } },
    });
  });

  it('gives a route the same report over its projects only, from the same fetch', async () => {
    const report = await computeReport(request(), usageApi(), logger);
    const requests = api.requests.length;
    const route = report.forProjects([P1, P2]);
    expect(api.requests).toHaveLength(requests);
    const ids = route.result.projects.map((row) => row.project_id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id === P1 || id === P2)).toBe(true);
    const whole = new Map(report.result.projects.map((row) => [row.project_id, row]));
    for (const row of route.result.projects) expect(row).toEqual(whole.get(row.project_id));
    expect(route.result.total_sessions).toBe(
      route.result.projects.reduce((sum, row) => sum + row.num_sessions, 0),
    );
    expect(route.result.total_sessions).toBeLessThan(report.result.total_sessions);
    expect(route.trend?.projects).toHaveLength(route.result.projects.length);
    expect(route.result.unusual?.every((row) => row.project_id === P1 || row.project_id === P2)).toBe(true);
    // The whole report is unchanged by a route's.
    expect(report.result.projects.length).toBeGreaterThan(route.result.projects.length);
  });
});
