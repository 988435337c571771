import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUsageApi } from '../../dev/fake-usage-api';
import { expectedTotals } from '../../dev/sample-usage';
import { createUsageApi } from '../../functions/report/adapters/usage-api';
import { costWindowOf } from '../../functions/report/core/cost';
import { parseEvent } from '../../functions/report/core/event';
import { localDayWindow } from '../../functions/report/core/local-time';
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
        // The report day and the 30 before it, hour by hour (Berlin's midnight is 23:00 UTC).
        windows: 31,
        queries: report.queries,
        buckets: 31 * 24 + 1,
        cost_window: { start: cost.start, end: cost.end },
      },
    });
    expect(report.queries).toBe(5);
    expect(api.usageRequests()).toHaveLength(5);
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
    expect(progress.sort()).toEqual([1, 2, 3, 4, 5].map((done) => [done, 5]));
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

describe('The chart a scheduled digest draws', () => {
  const sessionsOn = (date: string, zone: string, projectIds?: readonly string[]) => {
    const day = localDayWindow(date, zone);
    return [...expectedTotals(SAMPLE_LOG, day.start, day.end, projectIds).values()].reduce(
      (a, b) => a + b,
      0,
    );
  };

  it.each(['Europe/Berlin', 'Asia/Kolkata', 'Asia/Kathmandu'])(
    'daily, %s: the report day and the 30 before it, from the same fetch, the report exact',
    async (zone) => {
      const daily = request({ timezone: zone });
      const report = await computeReport(daily, usageApi(), logger);
      const chart = report.trend?.chart;
      expect(chart?.days).toHaveLength(31);
      expect(chart?.days.at(-1)?.date).toBe('2026-11-22');
      expect(chart?.days[0]?.date).toBe('2026-10-23');
      // The report day and its 7 trend days to the session; the rest within the hour a midnight splits.
      for (const [i, day] of (chart?.days ?? []).entries()) {
        const truth = sessionsOn(day.date, zone);
        if (i >= 23) expect(day.sessions, day.date).toBe(truth);
        else expect(Math.abs(day.sessions - truth), day.date).toBeLessThanOrEqual(truth * 0.1 + 5);
      }
      expect(report.result.total_sessions).toBe(sessionsOn('2026-11-22', zone));
      expect(report.trend?.compared_sessions).toBe(chart?.days[23]?.sessions);
      expect(chart?.mean_7d).toBe(report.trend?.seven_day_mean_sessions);
      expect(chart?.sparkline).toEqual(chart?.days.slice(-14).map((d) => d.sessions));
      // Cost per day: code interpreter's of the UTC day with that date, the report's own on the last.
      expect(chart?.days.every((d) => typeof d.cost_usd === 'number')).toBe(true);
      expect(chart?.days.at(-1)?.cost_usd).toBeCloseTo(report.result.total_cost_usd ?? Number.NaN, 6);
      for (const row of report.result.projects) {
        expect(chart?.projects.get(row.project_id)?.at(-1)).toBe(row.num_sessions);
      }
      // One wave: the chart's days ride with the usage, its cost with the runway's.
      expect(api.usageRequests().length).toBe(report.queries);
    },
  );

  it("gives a route its own chart: its projects' sessions, its cost per day", async () => {
    const routes = [{ name: 'one', projectIds: [P1] }];
    const report = await computeReport(request(), usageApi(), logger, undefined, undefined, undefined, {
      routes,
    });
    const own = report.forProjects([P1]).trend?.chart;
    expect([...(own?.projects.keys() ?? [])]).toEqual([P1]);
    for (const day of own?.days.slice(23) ?? [])
      expect(day.sessions).toBe(sessionsOn(day.date, 'Europe/Berlin', [P1]));
    expect(own?.days.map((d) => d.sessions)).not.toEqual(report.trend?.chart?.days.map((d) => d.sessions));
    expect(own?.days.some((d) => (d.cost_usd ?? 0) > 0)).toBe(true);
    // A set of projects that is no route's has no code interpreter spend of its own fetched.
    expect(report.forProjects([P2]).trend?.chart?.days.every((d) => d.cost_usd === null)).toBe(true);
  });

  it.each(['weekly', 'monthly'])(
    '%s: the period against the one before, day for day, summing to the report',
    async (digest) => {
      const report = await computeReport(request({ digest, timezone: 'Asia/Kolkata' }), usageApi(), logger);
      const chart = report.trend?.chart;
      const sum = (days: readonly { sessions: number }[] = []) => days.reduce((a, d) => a + d.sessions, 0);
      expect(chart?.days.length).toBe(digest === 'weekly' ? 7 : 31);
      // October against September.
      expect(chart?.previous?.length).toBe(digest === 'weekly' ? 7 : 30);
      expect((chart?.previous?.at(-1)?.date ?? '') < (chart?.days[0]?.date ?? '')).toBe(true);
      expect(sum(chart?.days)).toBe(report.result.total_sessions);
      expect(sum(chart?.previous)).toBe(report.trend?.compared_sessions);
      const all = [...(chart?.previous ?? []), ...(chart?.days ?? [])];
      expect(chart?.sparkline).toEqual(all.slice(-14).map((d) => d.sessions));
      expect(chart).not.toHaveProperty('mean_7d');
      expect(report.totalCostByProject).toBeUndefined();
    },
  );

  it("hands the history each project's spend on the cost day, all line items", async () => {
    const report = await computeReport(request(), usageApi(), logger);
    const spend = report.totalCostByProject;
    expect(spend?.size).toBeGreaterThan(0);
    // All line items: at least code interpreter's part, for every project billed for it.
    for (const row of report.result.projects) {
      if ((row.cost_usd ?? 0) > 0)
        expect(spend?.get(row.project_id) ?? 0).toBeGreaterThanOrEqual(row.cost_usd ?? 0);
    }
    expect(report.forProjects([P1])).not.toHaveProperty('totalCostByProject');
  });
});
