import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ExtraCost, FakeUsageApi, type FakeUsageApiOptions } from '../../dev/fake-usage-api';
import { createUsageApi } from '../../functions/report/adapters/usage-api';
import { costWindowOf } from '../../functions/report/core/cost';
import { parseEvent } from '../../functions/report/core/event';
import { NO_SPEND_LIMIT } from '../../functions/report/core/spend-limit';
import type { ReportLogger } from '../../functions/report/logger';
import { readSpendLimits } from '../../functions/report/project-spend-limits';
import { type RunwaySettings, startCostAndRunway } from '../../functions/report/runway-fetch';

/**
 * What startCostAndRunway hands the report (cost, runway inputs, notes) and logs, against the fake
 * API over HTTP.
 */
const KEY = 'sk-admin-runway-fetch-0123456789';
const DAY = 86_400;
const A = 'proj_alpha';
const B = 'proj_beta';
const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

const LINES: ExtraCost[] = [];
for (let t = utc('2026-10-01'); t < utc('2026-12-01'); t += DAY) {
  LINES.push(
    { time: t + 60, project_id: A, line_item: 'Code Interpreter sessions', cents: 100 },
    { time: t + 60, project_id: B, line_item: 'gpt-4.1-2025-04-14, input', cents: 500 },
  );
}
const LIMITS: FakeUsageApiOptions['spendLimits'] = {
  organization: { cents: 500_000 },
  projects: { [A]: { cents: 40_000, enforcing: true } },
};
const api = new FakeUsageApi({
  log: { projects: [A, B].map((id) => ({ id, name: id })), sessions: new Map() },
  adminKey: KEY,
  extraCosts: LINES,
  spendLimits: LIMITS,
});
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  api.configure({ extraCosts: LINES, spendLimits: LIMITS });
});

function recordingLogger(): ReportLogger & { lines: unknown[][] } {
  const lines: unknown[][] = [];
  return {
    lines,
    info: () => {},
    warn: (message, ...extra) => void lines.push([message, ...extra]),
  };
}

/** The cost and runway of a digest (or, with start and end, a range) run on 16 Nov 2026. */
function start(event: Record<string, unknown> = {}, settings?: RunwaySettings, logger = recordingLogger()) {
  const request = parseEvent('start_time' in event ? event : { time: '2026-11-16T07:00:00Z', ...event }, {
    now: utc('2026-11-16') + 7 * 3_600,
    timeZone: 'UTC',
    recipients: ['ops@example.com'],
  });
  const costWindow = costWindowOf(request.window, request.timeZone);
  const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: KEY, maxAttempts: 1 });
  return { logger, costWindow, run: startCostAndRunway(request, costWindow, usageApi, logger, settings) };
}

describe('A range report', () => {
  it('fetches its code interpreter cost, no runway and no limit', async () => {
    const { run } = start({ start_time: '2026-11-10', end_time: '2026-11-12' });
    expect(await run.costs).toEqual(new Map([[A, 2]]));
    expect(await run.runway).toBeUndefined();
    expect(run.costUnavailable()).toBeUndefined();
    expect(api.spendLimitRequests()).toEqual([]);
  });

  it('says why its cost is unavailable, and logs it', async () => {
    api.inject('costs', { kind: 'status', status: 400 });
    const { run, logger } = start({ start_time: '2026-11-10', end_time: '2026-11-12' });
    expect(await run.costs).toBeNull();
    const message = 'the costs API answered HTTP 400: injected fault';
    expect(run.costUnavailable()).toBe(message);
    expect(logger.lines).toEqual([
      ['cost unavailable; the report shows sessions only', { error: { name: 'UsageApiError', message } }],
    ]);
  });
});

describe('A digest', () => {
  it('hands the runway its spend, the limits and only the settings it was given', async () => {
    const { run, costWindow, logger } = start();
    expect(await run.costs).toEqual(new Map([[A, 1]]));
    const runway = await run.runway;
    expect(Object.keys(runway ?? {})).toEqual(['inputs']);
    expect(Object.keys(runway?.inputs ?? {}).sort()).toEqual(
      ['costWindow', 'organizationLimit', 'projectLimits', 'spend'].sort(),
    );
    expect(runway?.inputs.costWindow).toEqual(costWindow);
    expect(runway?.inputs.spend).not.toBeNull();
    expect(runway?.inputs.organizationLimit).toEqual({ limitUsd: 5_000, enforcing: false });
    expect(runway?.inputs.projectLimits).toEqual(
      new Map([
        [A, { limitUsd: 400, enforcing: true }],
        [B, NO_SPEND_LIMIT],
      ]),
    );
    expect(logger.lines).toEqual([]);

    const settings: RunwaySettings = {
      budgets: { organizationUsd: 100 },
      warnAt: 0,
      routes: [{ name: 'support', projectIds: [A] }],
    };
    const given = await start({}, settings).run.runway;
    expect(given?.inputs).toMatchObject({
      budgets: settings.budgets,
      warnAt: 0,
      routes: settings.routes,
    });
  });

  it('of some projects: asks for their cost and limits only', async () => {
    const { run } = start({ project_ids: [B] });
    expect(await run.costs).toEqual(new Map());
    const runway = await run.runway;
    expect(runway?.inputs.projectLimits).toEqual(new Map([[B, NO_SPEND_LIMIT]]));
    expect(api.costRequests().every((r) => r.params.getAll('project_ids').join() === B)).toBe(true);
    expect(api.spendLimitRequests().map((r) => r.path)).toEqual([
      '/v1/organization/spend_limit',
      `/v1/organization/projects/${B}/spend_limit`,
    ]);
  });

  it('reads the projects through the limits it is given', async () => {
    const asked: string[] = [];
    const spendLimits = readSpendLimits(async (id) => {
      asked.push(id);
      return { limitUsd: 1, enforcing: false };
    });
    const runway = await start({}, { spendLimits }).run.runway;
    expect(asked.sort()).toEqual([A, B]);
    expect(runway?.inputs.projectLimits.get(B)).toEqual({ limitUsd: 1, enforcing: false });
    expect(api.spendLimitRequests().map((r) => r.path)).toEqual(['/v1/organization/spend_limit']);
  });

  it('without cost: no month to date, no project asked, and why', async () => {
    api.inject('costs', { kind: 'status', status: 400 }, { kind: 'status', status: 400 });
    const { run, logger } = start();
    expect(await run.costs).toBeNull();
    const runway = await run.runway;
    expect(runway?.inputs.spend).toBeNull();
    expect(runway?.inputs.projectLimits).toEqual(new Map());
    expect(runway?.monthToDateUnavailable).toBe(`month to date unavailable: ${run.costUnavailable()}`);
    expect(run.costUnavailable()).toMatch(/^the costs API answered HTTP 400: injected fault$/);
    expect(runway).not.toHaveProperty('limitsUnavailable');
    expect(api.spendLimitRequests()).toHaveLength(1);
    expect(logger.lines.map((l) => l[0])).toEqual(['cost unavailable; the report shows sessions only']);
  });

  it("a key that may not read the organization's limit: one note, one log, no project asked", async () => {
    api.inject('organizationSpendLimit', { kind: 'status', status: 403 });
    const { run, logger } = start();
    const runway = await run.runway;
    expect(runway?.limitsUnavailable).toBe(
      'spend limits unavailable: the admin key may not read them (HTTP 403)',
    );
    expect(runway?.inputs).not.toHaveProperty('organizationLimit');
    expect(runway?.inputs.projectLimits).toEqual(new Map());
    expect(api.spendLimitRequests()).toHaveLength(1);
    expect(logger.lines).toEqual([
      [
        'spend limit unavailable',
        {
          scope: 'organization',
          error: { name: 'AuthError', message: expect.stringContaining('was rejected (403)') },
        },
      ],
    ]);
  });

  it("the organization's limit and a project's unavailable: both said, the others read", async () => {
    api.inject('organizationSpendLimit', { kind: 'status', status: 500 });
    api.configure({ spendLimits: { ...LIMITS, projects: { ...LIMITS?.projects, [B]: { status: 500 } } } });
    const { run, logger } = start();
    const runway = await run.runway;
    const project = `the spend limit of project ${B} is unavailable: GET /organization/projects/${B}/spend_limit failed: HTTP 500`;
    expect(runway?.limitsUnavailable).toBe(
      `the organization's spend limit is unavailable: GET /organization/spend_limit failed: HTTP 500; ${project}`,
    );
    expect(runway?.inputs.projectLimits).toEqual(new Map([[A, { limitUsd: 400, enforcing: true }]]));
    expect(logger.lines).toEqual([
      [
        'spend limit unavailable',
        {
          scope: 'organization',
          error: { name: 'UsageApiError', message: 'GET /organization/spend_limit failed: HTTP 500' },
        },
      ],
      ['spend limits unavailable', { scope: 'project', reason: project }],
    ]);
  });
});
