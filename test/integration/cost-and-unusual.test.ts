import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expectedCostCents,
  generateSessionLog,
  type SessionLog,
  withExtraSessions,
  withSampleKeys,
} from '../../dev/sample-usage';
import { localDayWindow } from '../../functions/report/core/local-time';
import type { ReportResult } from '../../functions/report/core/report';
import { countWaves } from '../../scripts/bench-cases';
import { Harness, lambdaContext, RECIPIENTS, scheduledEvent } from '../support/harness';

const harness = new Harness();
const DAY = 86_400;
/** Monday 23 Nov 2026, reported on Tuesday morning. */
const MONDAY = '2026-11-23';
const TUESDAY_MORNING = Date.parse('2026-11-24T07:00:00Z');

/** A steady organization: months of sessions with a weekly rhythm, nothing unusual on the Monday. */
const STEADY: SessionLog = generateSessionLog({
  from: Date.parse('2026-08-01T00:00:00Z') / 1000,
  to: Date.parse('2026-12-01T00:00:00Z') / 1000,
  projectCount: 8,
  seed: 11,
});
const monday = localDayWindow(MONDAY, 'UTC');
const [BUSY, SPIKING, BILLED] = STEADY.projects as [
  { id: string; name: string },
  { id: string; name: string },
  { id: string; name: string },
];
const NEW_PROJECT = { id: 'proj_brand_new', name: 'Agent Evaluations' };

/** The steady week, then on Monday: one project spikes, a new one appears, one is billed $75. */
const UNUSUAL: SessionLog = withExtraSessions(
  withExtraSessions(STEADY, SPIKING, { from: monday.start, to: monday.end }, 400),
  NEW_PROJECT,
  { from: monday.start + 9 * 3600, to: monday.start + 17 * 3600 },
  80,
);
const BILLED_75 = [
  { time: monday.start + 3600, project_id: BILLED.id, line_item: 'Code Interpreter sessions', cents: 7500 },
];

const usd = (cents: number) => cents / 100;
const costOf = (log: SessionLog, window: { start: number; end: number }) =>
  expectedCostCents(log, window.start, window.end);
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** The daily report of Monday, run on Tuesday morning. */
function runDaily(env: Record<string, string> = {}, timeZone = 'UTC'): Promise<ReportResult> {
  return harness.handler({ REPORT_TIMEZONE: timeZone, ...env }, { now: () => TUESDAY_MORNING })(
    scheduledEvent('2026-11-24T06:00:00Z'),
    lambdaContext(),
  );
}

beforeAll(() => harness.start({ log: STEADY }));
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
  harness.usageApi.configure({
    log: STEADY,
    extraCosts: [],
    costBucketsPerPage: undefined,
    costRowsPerPage: undefined,
  });
});

describe('Cost from the Costs API', () => {
  it('gives the exact code interpreter cost per project for a UTC day, from mixed line items and string amounts', async () => {
    // The fake sends 21 Nov's amounts as numeric strings under "Code Interpreter sessions", and
    // 22 Nov's as numbers under "code interpreter sessions": both, each against the sample's billing.
    for (const [date, now] of [
      ['2026-11-21', Date.parse('2026-11-22T07:00:00Z')],
      ['2026-11-22', Date.parse('2026-11-23T07:00:00Z')],
    ] as const) {
      const window = localDayWindow(date, 'UTC');
      const result = await harness.handler({ REPORT_TIMEZONE: 'UTC' }, { now: () => now })(
        { start_time: window.start, end_time: window.end, dry_run: true },
        lambdaContext(),
      );
      const expected = costOf(STEADY, window);
      expect(result.total_cost_usd).toBeCloseTo(usd(sum(expected.values())), 6);
      expect(result).toMatchObject({ cost_start_time: window.start, cost_end_time: window.end });
      for (const row of result.projects) {
        expect(row.cost_usd).toBeCloseTo(usd(expected.get(row.project_id) ?? 0), 6);
      }
      // Other line items (model tokens, file search) are billed too, and never counted as ours.
      expect(result.total_cost_usd).toBeLessThan(usd(sum(expected.values())) * 1.01);
    }
    const [costs] = harness.usageApi.costRequests();
    expect(costs?.params.get('bucket_width')).toBe('1d');
    expect(costs?.params.getAll('group_by')).toEqual(['project_id', 'line_item']);
  });

  it('labels a New York day with the UTC day its cost covers', async () => {
    const result = await runDaily({}, 'America/New_York');
    const utcMonday = localDayWindow(MONDAY, 'UTC');
    expect(result).toMatchObject({ cost_start_time: utcMonday.start, cost_end_time: utcMonday.end });
    expect(result.total_cost_usd).toBeCloseTo(usd(sum(costOf(STEADY, utcMonday).values())), 6);
    const [email] = await harness.ses.emails();
    expect(email?.body.text).toContain('code interpreter cost (cost: 23 Nov, UTC day)');
    expect(email?.body.html).toContain('(cost: 23 Nov, UTC day)');
  });

  it('follows the cost pages to the end, counting each day once', async () => {
    harness.usageApi.configure({ costBucketsPerPage: 7 });
    const window = {
      start: localDayWindow('2026-10-01', 'UTC').start,
      end: localDayWindow('2026-11-01', 'UTC').start,
    };
    const result = await harness.handler({ REPORT_TIMEZONE: 'UTC' }, { now: () => TUESDAY_MORNING })(
      { start_time: window.start, end_time: window.end, dry_run: true },
      lambdaContext(),
    );
    expect(harness.usageApi.costRequests()).toHaveLength(5);
    expect(result.total_cost_usd).toBeCloseTo(usd(sum(costOf(STEADY, window).values())), 6);
  });

  it('merges a day whose cost rows continue on the next page, as usage does', async () => {
    // Twelve projects × three line items a day, seven rows a page: every day is cut mid-way.
    harness.usageApi.configure({ costRowsPerPage: 7 });
    const window = {
      start: localDayWindow('2026-11-16', 'UTC').start,
      end: localDayWindow('2026-11-23', 'UTC').start,
    };
    const result = await harness.handler({ REPORT_TIMEZONE: 'UTC' }, { now: () => TUESDAY_MORNING })(
      { start_time: window.start, end_time: window.end, dry_run: true },
      lambdaContext(),
    );
    const pages = harness.usageApi.costRequests();
    expect(pages.length).toBeGreaterThan(7);
    // Each page after the first continues the day the one before it cut.
    expect(new Set(pages.map((page) => page.params.get('page'))).size).toBe(pages.length);
    const expected = costOf(STEADY, window);
    expect(result.total_cost_usd).toBeCloseTo(usd(sum(expected.values())), 6);
    for (const row of result.projects) {
      expect(row.cost_usd).toBeCloseTo(usd(expected.get(row.project_id) ?? 0), 6);
    }
    expect(harness.logs()).not.toContain('cost unavailable');
  });

  it('asks for cost alongside usage: no extra round trip', async () => {
    harness.usageApi.configure({ latencyMs: 60 });
    try {
      await runDaily();
    } finally {
      harness.usageApi.configure({ latencyMs: 0 });
    }
    // The day by project and line item; a scheduled digest's runway days by project alone and by line item alone (issue 20).
    expect(
      harness.usageApi
        .costRequests()
        .map((r) => r.params.getAll('group_by').join('+'))
        .sort(),
    ).toEqual(['line_item', 'project_id', 'project_id+line_item']);
    // Without a table every run reads the projects' spend limits once the costs are in (issue 20):
    // the cost itself still rides in the usage's wave.
    const projectLimits = new Set(
      harness.usageApi.spendLimitRequests().filter((r) => r.path.includes('/projects/')),
    );
    expect(countWaves(harness.usageApi.requests.filter((r) => !projectLimits.has(r)))).toBe(
      countWaves(harness.usageApi.usageRequests()),
    );
  });

  it('gives a row to a project billed on a day it had no sessions', async () => {
    const ghost = {
      time: monday.start + 60,
      project_id: 'proj_billed_only',
      line_item: 'code interpreter sessions',
      cents: 123,
    };
    harness.usageApi.configure({ extraCosts: [ghost] });
    const result = await runDaily();
    expect(result.projects.at(-1)).toEqual({
      project_id: 'proj_billed_only',
      num_sessions: 0,
      cost_usd: 1.23,
      month_to_date_cost_usd: 1.23,
    });
  });

  it.each([
    [{ kind: 'status', status: 500 } as const, 'GET /organization/costs failed: HTTP 500'],
    [
      { kind: 'status', status: 403 } as const,
      'the OpenAI admin key was rejected (403): the costs API takes only',
    ],
    [
      { kind: 'cost-value', value: 'twelve dollars' } as const,
      'data[0].results[0].amount.value is "twelve dollars", not a number',
    ],
    [{ kind: 'currency', currency: 'eur' } as const, 'amount.currency is "eur", not usd'],
  ])('sends the digest without cost, saying why, when the Costs API fails: %j', async (fault, reason) => {
    // 500s are retried: fail every attempt of each of the digest's three cost queries.
    harness.usageApi.inject('costs', ...Array.from({ length: 18 }, () => fault));
    const result = await runDaily();
    expect(result.total_cost_usd).toBeNull();
    expect(result).not.toHaveProperty('cost_start_time');
    expect(result.projects.every((p) => p.cost_usd === null)).toBe(true);
    expect(result.total_sessions).toBeGreaterThan(0);
    const [email] = await harness.ses.emails();
    expect(email?.subject).not.toContain('$');
    expect(email?.body.text).toContain(`Cost unavailable: ${'' /* the reason follows */}`);
    expect(email?.body.text).toContain(reason);
    expect(harness.logs()).toContain('cost unavailable; the report shows sessions only');
  });
});

describe('Unusual first', () => {
  it('flags a spike, a new project and a cost alert, biggest first, in the subject and before the table', async () => {
    harness.usageApi.configure({ log: UNUSUAL, extraCosts: BILLED_75 });
    const result = await runDaily({ ALERT_COST_USD: '50' });
    expect(result.unusual?.map((u) => [u.project_id, u.reason])).toEqual([
      [SPIKING.id, 'spike'],
      [NEW_PROJECT.id, 'new'],
      [BILLED.id, 'cost'],
    ]);
    const spike = result.unusual?.[0];
    expect(spike?.num_sessions).toBeGreaterThanOrEqual(3 * (spike?.mean_7d ?? 0));
    expect(result.unusual?.[1]).toMatchObject({ num_sessions: 80, mean_7d: 0 });
    expect(result.unusual?.[2]?.cost_usd).toBeGreaterThanOrEqual(75);
    const [email] = await harness.ses.emails();
    expect(email?.subject).toMatch(/^⚠ 3 unusual · Code interpreter sessions 2026-11-23 \(UTC\): /);
    const text = email?.body.text ?? '';
    expect(text.indexOf('⚠ Needs a look (3):')).toBeLessThan(text.indexOf(`${BUSY.name} (${BUSY.id})`));
    expect(text).toContain(
      `- ${NEW_PROJECT.name} (${NEW_PROJECT.id})\n  new: 80 sessions, none in the 7 days before`,
    );
    expect(text).toContain('(alert at $50.00)');
    const html = email?.body.html ?? '';
    expect(html.indexOf('⚠ 3 unusual')).toBeGreaterThan(0);
    expect(html.indexOf('⚠ 3 unusual')).toBeLessThan(html.indexOf('>Project</th>'));
  });

  it('names the keys behind each unusual project, from one more wave, in the result and the email', async () => {
    harness.usageApi.configure({ log: withSampleKeys(UNUSUAL) });
    const result = await runDaily();
    const spike = result.unusual?.find((u) => u.project_id === SPIKING.id);
    const keys = spike?.keys ?? [];
    expect(keys[0]).toMatchObject({ name: 'eval-runner', owner: 'ci-bot' });
    expect(keys[0]?.redacted_value).toMatch(/^sk-\.\.\./);
    // The keys' costs are the project's day, split: nothing lost, nothing counted twice.
    expect(sum(keys.map((k) => k.cost_usd))).toBeCloseTo(spike?.cost_usd ?? Number.NaN, 6);
    const keyCosts = harness.usageApi.requests.filter((r) =>
      r.params.getAll('group_by').includes('api_key_id'),
    );
    expect(keyCosts.map((r) => [r.params.getAll('project_ids'), r.params.getAll('line_items')])).toEqual(
      result.unusual?.map((u) => [[u.project_id], ['Code Interpreter sessions']]),
    );
    const keyWave = harness.usageApi.requests.filter(
      (r) => r.path.endsWith('/api_keys') || r.params.getAll('group_by').includes('api_key_id'),
    );
    expect(keyWave).toHaveLength(2 * (result.unusual?.length ?? 0));
    expect(countWaves(keyWave)).toBe(1);
    const [email] = await harness.ses.emails();
    expect(email?.body.text).toMatch(/\d+% from key "eval-runner" \(sk-\.\.\.\w+\), owned by ci-bot/);
  });

  it('asks for no key on a day with nothing unusual', async () => {
    harness.usageApi.configure({ log: withSampleKeys(STEADY) });
    const result = await runDaily();
    expect(result.unusual).toEqual([]);
    const asked = harness.usageApi.requests.filter(
      (r) => r.path.endsWith('/api_keys') || r.params.getAll('group_by').includes('api_key_id'),
    );
    expect(asked).toEqual([]);
  });

  it('flags nothing in a steady week', async () => {
    const result = await runDaily();
    expect(result.unusual).toEqual([]);
    const [email] = await harness.ses.emails();
    expect(email?.subject).toMatch(/^Code interpreter sessions 2026-11-23 \(UTC\): /);
    expect(email?.body.text).not.toContain('Needs a look');
  });

  it('compares a Monday with the Monday before, not with Sunday', async () => {
    expect(monday.end - monday.start).toBe(DAY);
    const result = await runDaily();
    const lastMonday = localDayWindow('2026-11-16', 'UTC');
    const sunday = localDayWindow('2026-11-22', 'UTC');
    const count = (w: { start: number; end: number }) =>
      sum([...STEADY.sessions.values()].map((t) => t.filter((x) => x >= w.start && x < w.end).length));
    expect(count(lastMonday)).not.toBe(count(sunday));
    const [email] = await harness.ses.emails();
    expect(email?.body.text).toContain(
      `Last Mon: ${count(lastMonday).toLocaleString('en-US')}; 7-day average:`,
    );
    expect(email?.body.html).toContain('Vs last Mon</th>');
    expect(result.total_sessions).toBeGreaterThan(0);
  });

  it('has no unusual list for a range', async () => {
    const result = await harness.handler({ REPORT_TIMEZONE: 'UTC' }, { now: () => TUESDAY_MORNING })(
      { start_time: '2026-11-01', end_time: '2026-11-08', dry_run: true },
      lambdaContext(),
    );
    expect(result).not.toHaveProperty('unusual');
  });
});

describe('QUIET=true', () => {
  it('sends nothing on an ordinary day, and says so in the log', async () => {
    const result = await runDaily({ QUIET: 'true' });
    expect(result.unusual).toEqual([]);
    expect(await harness.ses.emails()).toHaveLength(0);
    expect(harness.logs()).toContain('quiet: nothing unusual');
  });

  it('sends on a day with something unusual', async () => {
    harness.usageApi.configure({ log: UNUSUAL });
    await runDaily({ QUIET: 'true' });
    const emails = await harness.ses.emails();
    expect(emails).toHaveLength(1);
    expect(emails[0]?.subject).toMatch(/^⚠ 2 unusual/);
    expect(emails[0]?.destination.to.flatMap((to) => to.split(/,\s*/))).toEqual(RECIPIENTS);
  });
});
