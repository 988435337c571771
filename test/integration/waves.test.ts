import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_IN_FLIGHT } from '../../functions/report/adapters/openai-http';
import { createUsageApi } from '../../functions/report/adapters/usage-api';
import { parseEvent } from '../../functions/report/core/event';
import { computeReport, stderrLogger } from '../../functions/report/run-report';
import {
  BENCH_CASES,
  BENCH_END,
  BENCH_KEY,
  countWaves,
  LARGE_ORG_PROJECTS,
  peakInFlight,
  runOurs,
  startBenchTargets,
} from '../../scripts/bench-cases';

// As the bench runs it: the API in its own process, answering after 150 ms, long enough that no
// request of the first wave is answered before the last one is sent.
let targets: Awaited<ReturnType<typeof startBenchTargets>>;
beforeAll(async () => {
  targets = await startBenchTargets(150);
});
afterAll(() => targets.stop());

async function run(event: Record<string, unknown>, timeZone: string, concurrency?: number) {
  const { api } = targets.for({ name: '60 projects', event, timeZone });
  await api.reset();
  const request = parseEvent(
    { ...event, timezone: timeZone },
    { now: BENCH_END + 8 * 3600, timeZone: 'UTC', recipients: ['a@example.com'] },
  );
  const usageApi = createUsageApi({
    baseUrl: api.baseUrl,
    adminKey: BENCH_KEY,
    ...(concurrency ? { concurrency } : {}),
  });
  await computeReport(request, usageApi, stderrLogger);
  return api.requests();
}

describe('Every report the bench runs', () => {
  const listsLargeOrg = (c: (typeof BENCH_CASES)[number]) =>
    c.projects === LARGE_ORG_PROJECTS && !c.namesCached;
  const readsLimits = (c: (typeof BENCH_CASES)[number]) => c.limits === 'cold';
  it.each(BENCH_CASES.filter((c) => !listsLargeOrg(c) && !readsLimits(c)).map((c) => [c.name, c] as const))(
    '%s: all its requests in one wave, no more than 16 in flight',
    async (_name, c) => {
      const ours = await runOurs(targets.for(c), c);
      expect(ours.waves).toBe(1);
      expect(ours.inFlight).toBeLessThanOrEqual(16);
    },
  );

  it('a large organization without cached names: one wave per page of 100 projects, the usage in the first', async () => {
    const c = BENCH_CASES.find(listsLargeOrg);
    if (!c) throw new Error('no such case');
    const ours = await runOurs(targets.for(c), c);
    expect(ours.waves).toBe(LARGE_ORG_PROJECTS / 100);
  });

  it('a large organization without stored spend limits: the costs, then every spending project, 16 at a time', async () => {
    const c = BENCH_CASES.find(readsLimits);
    if (!c) throw new Error('no such case');
    const ours = await runOurs(targets.for(c), c);
    // Usage, the day's cost, the runway's days by project and by line item, the organization's limit.
    expect(ours.requests).toBe(5 + LARGE_ORG_PROJECTS);
    expect(ours.inFlight).toBeLessThanOrEqual(16);
    expect(ours.waves).toBeGreaterThanOrEqual(1 + LARGE_ORG_PROJECTS / 16);
    // Two cold runs (the bench's warm-up and its measured one) of some 95 round trips each.
  }, 90_000);
});

describe('A daily run with routes', () => {
  it('adds one cost query for all its routes together, and no wave', async () => {
    const c = BENCH_CASES.find((c) => c.name.startsWith('daily run, Asia/Kolkata'));
    if (!c) throw new Error('no such case');
    const { api } = targets.for(c);
    const request = parseEvent(
      { ...c.event, timezone: c.timeZone },
      { now: BENCH_END + 8 * 3600, timeZone: 'UTC', recipients: ['a@example.com'] },
    );
    const requestsWith = async (routes: { name: string; projectIds: string[] }[]) => {
      await api.reset();
      const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: BENCH_KEY });
      await computeReport(request, usageApi, stderrLogger, undefined, undefined, undefined, { routes });
      return api.requests();
    };
    const alone = await requestsWith([]);
    // The projects spending this month, whose limits the run read.
    const projects = alone.flatMap((r) => /\/projects\/([^/]+)\/spend_limit$/.exec(r.path)?.[1] ?? []);
    expect(projects.length).toBeGreaterThan(3);
    const routes = ['a', 'b', 'c'].map((name, i) => ({ name, projectIds: projects.slice(i, i + 2) }));
    const routed = await requestsWith(routes);
    expect(routed).toHaveLength(alone.length + 1);
    expect(countWaves(routed)).toBe(countWaves(alone));
    expect(peakInFlight(routed)).toBeLessThanOrEqual(DEFAULT_IN_FLIGHT);
  });
});

describe('The limit on requests in flight', () => {
  it('holds usage, cost and project-name requests together', async () => {
    const year = BENCH_CASES.find((c) => c.name.startsWith('365 days'));
    const requests = await run(year?.event ?? {}, 'UTC', 4);
    expect(new Set(requests.map((r) => r.path)).size).toBe(3);
    expect(peakInFlight(requests)).toBe(4);
    // 16 requests, 4 at a time: at least 4 waves.
    expect(requests).toHaveLength(16);
    expect(countWaves(requests)).toBeGreaterThanOrEqual(4);
  });
});

describe('A scheduled digest with its chart', () => {
  const chartCases = BENCH_CASES.filter(
    (c) => /^(daily|weekly|monthly) run,/.test(c.name) && c.projects === undefined,
  );
  it.each(chartCases.map((c) => [c.name, c] as const))(
    '%s: every day it draws in the same one wave, no more requests than go in flight at once',
    async (_name, c) => {
      const { api } = targets.for(c);
      await api.reset();
      const request = parseEvent(
        { ...c.event, timezone: c.timeZone },
        { now: BENCH_END + 8 * 3600, timeZone: 'UTC', recipients: ['a@example.com'] },
      );
      const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: BENCH_KEY });
      // The projects' limits as a warm run has them, from the table (the bench's warm cases).
      const spendLimits = { limitsFor: async () => ({ limits: new Map() }), settled: async () => {} };
      const report = await computeReport(request, usageApi, stderrLogger, undefined, undefined, undefined, {
        spendLimits,
      });
      const requests = await api.requests();
      const chart = report.trend?.chart;
      if (request.kind === 'daily') expect(chart?.days).toHaveLength(31);
      else expect(chart?.previous?.length).toBeGreaterThanOrEqual(7);
      expect(countWaves(requests)).toBe(1);
      expect(requests.length).toBeLessThanOrEqual(DEFAULT_IN_FLIGHT);
    },
  );
});
