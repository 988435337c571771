import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ExtraCost, FakeUsageApi, type FakeUsageApiOptions } from '../../dev/fake-usage-api';
import type { SessionLog } from '../../dev/sample-usage';
import { createUsageApi } from '../../functions/report/adapters/usage-api';
import { parseEvent } from '../../functions/report/core/event';
import type { ReportLogger } from '../../functions/report/logger';
import { computeReport } from '../../functions/report/run-report';
import type { RunwaySettings } from '../../functions/report/runway-fetch';

/**
 * Month to date, pace, forecast and reaches_on against the fake API over HTTP, every figure
 * worked out here again from the issue's definitions in whole cents and micro-dollars.
 */
const KEY = 'sk-admin-runway-0123456789';
const DAY = 86_400;
const A = 'proj_alpha';
const B = 'proj_beta';
const GAMMA = 'proj_gamma';
const DELTA = 'proj_delta';

const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;
const dateOf = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
const plusDays = (date: string, n: number) => dateOf(utc(date) + n * DAY);

/** Every line a day bills, in cents; the amounts vary by day so an off-by-one day shows. */
function linesOf(date: string): ExtraCost[] {
  const i = Math.round(utc(date) / DAY);
  const time = utc(date) + 3_600;
  return [
    { time, project_id: A, line_item: 'gpt-4.1-2025-04-14, input', cents: 1500 + 37 * (i % 11) },
    { time, project_id: A, line_item: 'Code Interpreter sessions', cents: 300 + 7 * (i % 5) },
    { time, project_id: B, line_item: 'gpt-4.1-2025-04-14, output', cents: 800 + 13 * (i % 7) },
    { time, project_id: B, line_item: 'code interpreter sessions', cents: 120 },
    { time, project_id: GAMMA, line_item: 'File search tool calls', cents: 250 },
    { time, project_id: DELTA, line_item: 'gpt-4.1-2025-04-14, input', cents: 90 },
    { time, project_id: null, line_item: 'gpt-4.1-2025-04-14, input', cents: 33 },
  ];
}

const LINES: ExtraCost[] = [];
for (let d = '2026-09-01'; d <= '2027-03-31'; d = plusDays(d, 1)) LINES.push(...linesOf(d));

/** Cents billed on `date`, by the projects `only` names (all when omitted), CI lines only when asked. */
function cents(date: string, only?: readonly (string | null)[], codeInterpreter = false): number {
  return linesOf(date)
    .filter((l) => !only || only.includes(l.project_id))
    .filter((l) => !codeInterpreter || /code interpreter/i.test(l.line_item))
    .reduce((sum, l) => sum + l.cents, 0);
}

function sumCents(from: string, to: string, only?: readonly (string | null)[], ci = false): number {
  let total = 0;
  for (let d = from; d <= to; d = plusDays(d, 1)) total += cents(d, only, ci);
  return total;
}

/** The issue's definitions, in whole cents and micro-dollars. */
function expectedRunway(costDay: string, only?: readonly (string | null)[]) {
  const first = `${costDay.slice(0, 8)}01`;
  const [year, month, day] = costDay.split('-').map(Number) as [number, number, number];
  const daysLeft = new Date(Date.UTC(year, month, 0)).getUTCDate() - day;
  const mtdCents = sumCents(first, costDay, only);
  const paceMicros = Math.round((sumCents(plusDays(costDay, -6), costDay, only) * 10_000) / 7);
  const forecastMicros = mtdCents * 10_000 + paceMicros * daysLeft;
  const reachesOn = (limitUsd: number): string | null => {
    const gap = limitUsd * 1e6 - mtdCents * 10_000;
    if (gap <= 0 || paceMicros <= 0) return null;
    const k = Math.ceil(gap / paceMicros);
    return k <= daysLeft ? plusDays(costDay, k) : null;
  };
  return {
    month_to_date: {
      start_time: utc(first),
      end_time: utc(costDay) + DAY,
      cost_usd: mtdCents / 100,
      code_interpreter_cost_usd: sumCents(first, costDay, only, true) / 100,
      pace_usd_per_day: paceMicros / 1e6,
      forecast_usd: forecastMicros / 1e6,
    },
    mtdCents,
    forecastMicros,
    reachesOn,
  };
}

const LOG: SessionLog = {
  projects: [A, B, GAMMA, DELTA].map((id) => ({ id, name: id.replace('proj_', '').toUpperCase() })),
  sessions: new Map(),
};
const ORG_LIMIT_CENTS = 70_000;
const SPEND_LIMITS: FakeUsageApiOptions['spendLimits'] = {
  organization: { cents: ORG_LIMIT_CENTS },
  projects: {
    [A]: { cents: 50_000, enforcing: true },
    [B]: { cents: 0 },
    [GAMMA]: { cents: 30_000 },
    // DELTA: not found, as a project without a hard limit may be.
  },
};
const SETTINGS: RunwaySettings = {
  budgets: { organizationUsd: 2_000, projects: { [B]: 250 } },
  warnAt: 0.8,
  routes: [{ name: 'support', projectIds: [A, B], monthlyBudgetUsd: 1_000 }],
};

const api = new FakeUsageApi({ log: LOG, adminKey: KEY, extraCosts: LINES, spendLimits: SPEND_LIMITS });
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.reset();
  api.configure({ extraCosts: LINES, spendLimits: SPEND_LIMITS });
});

/** Each cost request as `group_by first..last [project_ids]`, in order. */
function costQueries(): string[] {
  return api
    .costRequests()
    .map((r) => {
      const ids = r.params.getAll('project_ids').join(',');
      const days = `${dateOf(Number(r.params.get('start_time')))}..${dateOf(Number(r.params.get('end_time')) - DAY)}`;
      return `${r.params.getAll('group_by').join('+')} ${days}${ids ? ` ${ids}` : ''}`;
    })
    .sort();
}

const warnings: string[] = [];
const logger: ReportLogger = { info: () => {}, warn: (message) => void warnings.push(message) };

/** A scheduled digest as the function computes it, run at `time` in `timeZone`. */
function scheduled(time: string, timeZone = 'UTC', event: Record<string, unknown> = {}) {
  const request = parseEvent(
    { time, ...event },
    { now: Date.parse(time) / 1000, timeZone, recipients: ['ops@example.com'] },
  );
  const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: KEY, maxAttempts: 1 });
  return computeReport(request, usageApi, logger, undefined, undefined, undefined, SETTINGS);
}

describe('Month to date, pace and forecast of a daily digest', () => {
  it.each([
    ['the 1st (pace from the month before)', '2026-11-02T07:00:00Z', 'UTC', '2026-11-01'],
    ['mid-month', '2026-11-16T07:00:00Z', 'UTC', '2026-11-15'],
    ['the last day of a 28-day month', '2027-03-01T07:00:00Z', 'UTC', '2027-02-28'],
    [
      'the last day of a 30-day month, in Auckland (UTC still says 29 Nov)',
      '2026-11-30T12:00:00Z',
      'Pacific/Auckland',
      '2026-11-30',
    ],
    ['the last day of a 31-day month', '2027-01-01T07:00:00Z', 'UTC', '2026-12-31'],
    [
      'Los Angeles, where UTC already says 30 Nov',
      '2026-12-01T05:00:00Z',
      'America/Los_Angeles',
      '2026-11-29',
    ],
  ])('%s', async (_name, time, zone, costDay) => {
    const { result } = await scheduled(time, zone);
    const expected = expectedRunway(costDay);
    expect(result.kind).toBe('daily');
    expect(result.cost_end_time).toBe(utc(costDay) + DAY);
    expect(result.month_to_date).toEqual(expected.month_to_date);
    // The report's own cost is code interpreter's on C, as it always was.
    expect(result.total_cost_usd).toBe(cents(costDay, undefined, true) / 100);
    const org = result.limits?.find((l) => l.scope === 'organization' && l.kind === 'hard_limit');
    const limit = ORG_LIMIT_CENTS / 100;
    const reachesOn = expected.reachesOn(limit);
    expect(org).toEqual({
      scope: 'organization',
      id: null,
      kind: 'hard_limit',
      limit_usd: limit,
      month_to_date_usd: expected.month_to_date.cost_usd,
      pace_usd_per_day: expected.month_to_date.pace_usd_per_day,
      forecast_usd: expected.month_to_date.forecast_usd,
      reaches_on: reachesOn,
      status:
        expected.mtdCents >= ORG_LIMIT_CENTS
          ? 'reached'
          : reachesOn
            ? 'will_reach'
            : expected.forecastMicros >= 0.8 * limit * 1e6
              ? 'warn'
              : 'ok',
    });
    // The report's day by project and line item as before; the runway's days by project alone and
    // by line item alone, a few rows a project and day rather than one a line item; every route's
    // projects in one query by project and line item. Code interpreter's part reaches back to C-30,
    // the first day the chart draws; each project's total stays on the runway's days, and month to
    // date and pace above read only their own.
    const from = [`${costDay.slice(0, 8)}01`, plusDays(costDay, -6)].sort()[0] as string;
    const chartFrom = plusDays(costDay, -30);
    expect(costQueries()).toEqual(
      [
        `project_id+line_item ${costDay}..${costDay}`,
        `project_id ${from}..${costDay}`,
        `line_item ${chartFrom}..${costDay}`,
        `project_id+line_item ${chartFrom}..${costDay} ${A},${B}`,
      ].sort(),
    );
  });

  it('gives each project its month to date over every line item, the unattributed too', async () => {
    const { result } = await scheduled('2026-11-16T07:00:00Z');
    const mtd = (id: string | null) => sumCents('2026-11-01', '2026-11-15', [id]) / 100;
    const rows = new Map(result.projects.map((p) => [p.project_id, p]));
    expect(rows.get(A)).toMatchObject({
      cost_usd: cents('2026-11-15', [A], true) / 100,
      month_to_date_cost_usd: mtd(A),
    });
    expect(rows.get(B)).toMatchObject({ cost_usd: 1.2, month_to_date_cost_usd: mtd(B) });
    // Rows are the report's as before: a project billed without code interpreter gets none.
    expect(rows.has(GAMMA)).toBe(false);
  });
});

describe('The limits list', () => {
  it('puts an enforcing project on top; 0 and not found are no limit; budgets and a route budget summed over its projects', async () => {
    const { result } = await scheduled('2026-11-16T07:00:00Z');
    const limits = result.limits ?? [];
    expect(limits[0]).toMatchObject({
      scope: 'project',
      id: A,
      kind: 'hard_limit',
      status: 'enforcing',
      limit_usd: 500,
    });
    expect(limits.map((l) => `${l.scope}:${l.id}:${l.kind}`).sort()).toEqual(
      [
        `project:${A}:hard_limit`,
        `project:${GAMMA}:hard_limit`,
        'organization:null:hard_limit',
        'organization:null:budget',
        `project:${B}:budget`,
        'route:support:budget',
      ].sort(),
    );
    const route = expectedRunway('2026-11-15', [A, B]);
    expect(limits.find((l) => l.scope === 'route')).toEqual({
      scope: 'route',
      id: 'support',
      kind: 'budget',
      limit_usd: 1_000,
      month_to_date_usd: route.month_to_date.cost_usd,
      pace_usd_per_day: route.month_to_date.pace_usd_per_day,
      forecast_usd: route.month_to_date.forecast_usd,
      reaches_on: route.reachesOn(1_000),
      status: route.reachesOn(1_000) ? 'will_reach' : route.forecastMicros >= 800e6 ? 'warn' : 'ok',
    });
    const beta = expectedRunway('2026-11-15', [B]);
    expect(limits.find((l) => l.id === B)).toMatchObject({
      month_to_date_usd: beta.month_to_date.cost_usd,
      reaches_on: beta.reachesOn(250),
      status: 'will_reach',
    });
    expect(beta.reachesOn(250)).toMatch(/^2026-11-/);
    // Limits of projects with spend this month only, one request each, and the organization's.
    expect(
      api
        .spendLimitRequests()
        .map((r) => r.path)
        .sort(),
    ).toEqual(
      [
        '/v1/organization/spend_limit',
        ...[A, B, DELTA, GAMMA].map((id) => `/v1/organization/projects/${id}/spend_limit`),
      ].sort(),
    );
  });

  it("gives a route's digest its projects' limits and its own budget, never the organization's", async () => {
    const report = await scheduled('2026-11-16T07:00:00Z');
    const route = report.forProjects([A, B]).result;
    expect(route.limits?.map((l) => `${l.scope}:${l.id}:${l.kind}`).sort()).toEqual(
      [`project:${A}:hard_limit`, `project:${B}:budget`, 'route:support:budget'].sort(),
    );
    expect(route.month_to_date).toEqual(expectedRunway('2026-11-15', [A, B]).month_to_date);
  });

  it('shows a weekly digest the month against each limit at its end, its own cost unchanged', async () => {
    const { result } = await scheduled('2026-11-23T06:00:00Z', 'UTC', { digest: 'weekly' });
    expect(result.kind).toBe('weekly');
    expect(result.month_to_date).toEqual(expectedRunway('2026-11-22').month_to_date);
    expect(result.total_cost_usd).toBe(sumCents('2026-11-16', '2026-11-22', undefined, true) / 100);
    expect(costQueries()).toEqual(
      [
        'project_id+line_item 2026-11-16..2026-11-22',
        'project_id 2026-11-01..2026-11-22',
        'line_item 2026-11-01..2026-11-22',
        `project_id+line_item 2026-11-01..2026-11-22 ${A},${B}`,
      ].sort(),
    );
  });

  it('leaves a manual range as it was: no month to date, no limits, no spend-limit request', async () => {
    const request = parseEvent(
      { start_time: '2026-11-10', end_time: '2026-11-12' },
      { now: utc('2026-11-20'), timeZone: 'UTC', recipients: ['ops@example.com'] },
    );
    const usageApi = createUsageApi({ baseUrl: api.baseUrl, adminKey: KEY, maxAttempts: 1 });
    const { result } = await computeReport(
      request,
      usageApi,
      logger,
      undefined,
      undefined,
      undefined,
      SETTINGS,
    );
    expect(result).not.toHaveProperty('month_to_date');
    expect(result).not.toHaveProperty('limits');
    expect(result.projects.every((p) => !('month_to_date_cost_usd' in p))).toBe(true);
    expect(api.spendLimitRequests()).toHaveLength(0);
  });
});

describe('Limits unavailable never fail the digest', () => {
  it('403 on the organization: one note, and no project is asked', async () => {
    api.inject('organizationSpendLimit', { kind: 'status', status: 403 });
    const report = await scheduled('2026-11-16T07:00:00Z');
    expect(report.limitsUnavailable).toBe(
      'spend limits unavailable: the admin key may not read them (HTTP 403)',
    );
    expect(report.result.limits?.every((l) => l.kind === 'budget')).toBe(true);
    expect(report.result.month_to_date).toEqual(expectedRunway('2026-11-15').month_to_date);
    expect(api.spendLimitRequests()).toHaveLength(1);
  });

  it("500 on the organization: the projects' limits still show", async () => {
    api.inject('organizationSpendLimit', { kind: 'status', status: 500 });
    const report = await scheduled('2026-11-16T07:00:00Z');
    expect(report.limitsUnavailable).toBe(
      "the organization's spend limit is unavailable: GET /organization/spend_limit failed: HTTP 500",
    );
    expect(report.result.limits?.some((l) => l.scope === 'organization' && l.kind === 'hard_limit')).toBe(
      false,
    );
    expect(report.result.limits?.[0]).toMatchObject({ id: A, status: 'enforcing' });
  });

  it("a project's 500 or malformed limit drops only that line, with a note", async () => {
    api.configure({
      spendLimits: {
        ...SPEND_LIMITS,
        projects: {
          ...SPEND_LIMITS?.projects,
          [GAMMA]: { status: 500 },
          [B]: {
            body: {
              object: 'project.spend_limit',
              currency: 'EUR',
              interval: 'month',
              threshold_amount: 100,
              enforcement: { status: 'inactive' },
            },
          },
        },
      },
    });
    const report = await scheduled('2026-11-16T07:00:00Z');
    expect(report.limitsUnavailable).toBe(
      [
        `the spend limit of project ${B} is unavailable: OpenAI sent a malformed limit: currency is "EUR", not USD`,
        `the spend limit of project ${GAMMA} is unavailable: GET /organization/projects/${GAMMA}/spend_limit failed: HTTP 500`,
      ].join('; '),
    );
    const hard = report.result.limits?.filter((l) => l.kind === 'hard_limit').map((l) => l.id);
    expect(hard?.sort()).toEqual([A, null].sort());
  });

  it('costs unavailable: month to date null and said why, the digest still computed', async () => {
    api.inject('costs', { kind: 'status', status: 500 });
    const report = await scheduled('2026-11-16T07:00:00Z');
    expect(report.result.total_cost_usd).toBeNull();
    expect(report.result.month_to_date).toBeNull();
    expect(report.monthToDateUnavailable).toBe(
      'month to date unavailable: GET /organization/costs failed: HTTP 500',
    );
    expect(report.result.projects.every((p) => p.month_to_date_cost_usd === null)).toBe(true);
  });
});
