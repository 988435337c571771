import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExtraCost, FakeUsageApiOptions } from '../../dev/fake-usage-api';
import type { SessionLog } from '../../dev/sample-usage';
import { createLimitsCache, LIMITS_CACHE_KEY } from '../../functions/report/adapters/limits-cache';
import { createOpenAiHttp } from '../../functions/report/adapters/openai-http';
import { fetchSpendLimit } from '../../functions/report/adapters/spend-limits';
import { MalformedSpendLimitError, NO_SPEND_LIMIT } from '../../functions/report/core/spend-limit';
import { AuthError, UsageApiError } from '../../functions/report/errors';
import { ADMIN_KEY, Harness, IDEMPOTENCY_TABLE, lambdaContext, scheduledEvent } from '../support/harness';

const harness = new Harness({ idempotency: true });
const DAY = 86_400;
const A = 'proj_alpha';
const B = 'proj_beta';
const C = 'proj_gamma';
const utc = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

/** Three projects billing every day of November (no sessions: the runway is about spend). */
const LINES: ExtraCost[] = [];
for (let t = utc('2026-10-20'); t < utc('2026-12-01'); t += DAY) {
  LINES.push(
    { time: t + 60, project_id: A, line_item: 'gpt-4.1-2025-04-14, input', cents: 2_000 },
    { time: t + 60, project_id: A, line_item: 'Code Interpreter sessions', cents: 100 },
    { time: t + 60, project_id: B, line_item: 'gpt-4.1-2025-04-14, input', cents: 500 },
    { time: t + 60, project_id: C, line_item: 'File search tool calls', cents: 40 },
  );
}
const LOG: SessionLog = {
  projects: [A, B, C].map((id) => ({ id, name: id })),
  sessions: new Map(),
};
const LIMITS: NonNullable<FakeUsageApiOptions['spendLimits']> = {
  organization: { cents: 500_000 },
  projects: { [A]: { cents: 40_000, enforcing: true }, [B]: { cents: 0 } },
};

beforeAll(() => harness.start({ log: LOG, extraCosts: LINES, spendLimits: LIMITS }));
afterAll(() => harness.stop());
beforeEach(async () => {
  harness.usageApi.reset();
  harness.usageApi.configure({ log: LOG, extraCosts: LINES, spendLimits: LIMITS });
  await harness.ses.clear();
  await harness.clearDeliveryRecords();
});

/** What `promise` rejects with; fails the test when it resolves. */
async function thrown(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

const http = (options: { maxAttempts?: number; requestTimeoutMs?: number } = {}) =>
  createOpenAiHttp({ baseUrl: harness.usageApi.baseUrl, adminKey: ADMIN_KEY, maxAttempts: 1, ...options });

describe('Function: fetchSpendLimit', () => {
  it('reads cents as USD and the enforcement status, for the organization and a project', async () => {
    expect(await fetchSpendLimit(http(), null)).toEqual({ limitUsd: 5_000, enforcing: false });
    expect(await fetchSpendLimit(http(), A)).toEqual({ limitUsd: 400, enforcing: true });
    expect(harness.usageApi.spendLimitRequests().map((r) => r.path)).toEqual([
      '/v1/organization/spend_limit',
      `/v1/organization/projects/${A}/spend_limit`,
    ]);
  });

  it('reads threshold 0 and not found (404) as no limit', async () => {
    expect(await fetchSpendLimit(http(), B)).toEqual(NO_SPEND_LIMIT);
    expect(await fetchSpendLimit(http(), C)).toEqual(NO_SPEND_LIMIT);
    expect(harness.usageApi.spendLimitRequests().map((r) => r.status)).toEqual([200, 404]);
  });

  it('throws on 403 (a key without the scope), 500 after its retries, a timeout and a malformed body', async () => {
    harness.usageApi.inject('organizationSpendLimit', { kind: 'status', status: 403 });
    expect(await thrown(fetchSpendLimit(http(), null))).toBeInstanceOf(AuthError);
    harness.usageApi.inject(
      'organizationSpendLimit',
      { kind: 'status', status: 500 },
      { kind: 'status', status: 500 },
    );
    const failed = await thrown(fetchSpendLimit(http({ maxAttempts: 2 }), null));
    expect(failed).toBeInstanceOf(UsageApiError);
    expect((failed as Error).message).toBe('GET /organization/spend_limit failed: HTTP 500');
    harness.usageApi.inject('organizationSpendLimit', { kind: 'hang', ms: 1_000 });
    expect((await thrown(fetchSpendLimit(http({ requestTimeoutMs: 100 }), null))).message).toMatch(
      /timed out after 100 ms/,
    );
    harness.usageApi.configure({ spendLimits: { projects: { [A]: { body: { threshold_amount: 12.5 } } } } });
    expect(await thrown(fetchSpendLimit(http(), A))).toBeInstanceOf(MalformedSpendLimitError);
  });

  it('throws on a 4xx other than not found, naming it; asks for a project id as one path segment', async () => {
    const odd = 'proj a/b?c';
    harness.usageApi.configure({ spendLimits: { projects: { [odd]: { status: 400 } } } });
    const error = await thrown(fetchSpendLimit(http(), odd));
    expect(error).toBeInstanceOf(UsageApiError);
    expect(error.message).toBe('the projects API answered HTTP 400: spend limit fault');
    expect((error as UsageApiError).status).toBe(400);
    expect(harness.usageApi.spendLimitRequests().map((r) => r.path)).toEqual([
      '/v1/organization/projects/proj%20a%2Fb%3Fc/spend_limit',
    ]);
  });

  it('asks nothing once cancelled', async () => {
    const cancel = AbortSignal.abort(new Error('the run failed'));
    expect((await thrown(fetchSpendLimit(http(), A, cancel))).message).toBe('the run failed');
    expect(harness.usageApi.spendLimitRequests()).toEqual([]);
  });
});

describe('Handler: spend limits in the daily digest', () => {
  const run = (now: number, env: Record<string, string> = {}) =>
    harness.handler({ REPORT_TIMEZONE: 'UTC', ...env }, { now: () => now })(
      scheduledEvent('2026-11-16T06:00:00Z'),
      lambdaContext(),
    );
  const T = Date.parse('2026-11-16T07:00:00Z');
  const HOUR = 3_600_000;
  const projectLimitRequests = () =>
    harness.usageApi.spendLimitRequests().filter((r) => r.path.includes('/projects/'));
  const cache = () =>
    createLimitsCache({ client: harness.dynamodb?.client as never, tableName: IDEMPOTENCY_TABLE });
  const keepCaches = () => harness.dynamodb?.clearItems([LIMITS_CACHE_KEY, 'usage-digest#project-names']);

  it('cold: reads the limits of the projects with spend, stores them; warm: asks for none; stale: refreshes in the background', async () => {
    await harness.dynamodb?.clearItems();
    const cold = await run(T);
    expect(cold.limits?.[0]).toMatchObject({ scope: 'project', id: A, status: 'enforcing' });
    expect(projectLimitRequests()).toHaveLength(3);
    expect(await cache().read()).toEqual({
      listedAt: T / 1000,
      limits: new Map([
        [A, { limitUsd: 400, enforcing: true }],
        [B, NO_SPEND_LIMIT],
        [C, NO_SPEND_LIMIT],
      ]),
    });

    harness.usageApi.reset();
    await keepCaches();
    const warm = await run(T + 2 * HOUR);
    expect(warm.limits).toEqual(cold.limits);
    expect(projectLimitRequests()).toHaveLength(0);
    // The organization's limit is read on every scheduled run, in the first wave.
    expect(harness.usageApi.spendLimitRequests()).toHaveLength(1);

    // OpenAI lifts A's block; a run 21 h later still shows the cached limits, and refreshes them.
    harness.usageApi.reset();
    harness.usageApi.configure({
      spendLimits: { ...LIMITS, projects: { ...LIMITS.projects, [A]: { cents: 90_000 } } },
    });
    await keepCaches();
    const stale = await run(T + 21 * HOUR);
    expect(stale.limits?.[0]).toMatchObject({ id: A, status: 'enforcing' });
    expect(projectLimitRequests()).toHaveLength(3);
    expect((await cache().read())?.limits.get(A)).toEqual({ limitUsd: 900, enforcing: false });
    expect((await cache().read())?.listedAt).toBe((T + 21 * HOUR) / 1000);

    harness.usageApi.reset();
    await keepCaches();
    const next = await run(T + 22 * HOUR);
    expect(next.limits?.find((l) => l.id === A)).toMatchObject({ limit_usd: 900, status: 'ok' });
    expect(projectLimitRequests()).toHaveLength(0);
  });

  it('limits unavailable (403): the digest is still sent', async () => {
    harness.usageApi.inject('organizationSpendLimit', { kind: 'status', status: 403 });
    const result = await run(T);
    expect(result.limits).toEqual([]);
    expect(result.month_to_date).toMatchObject({ cost_usd: (15 * 2_640) / 100 });
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(harness.logs()).toContain('spend limit unavailable');
  });

  it('QUIET still sends a day with a limit blocked, and nothing on a day without', async () => {
    harness.usageApi.configure({ spendLimits: {} });
    await harness.dynamodb?.clearItems();
    const calm = await run(T, { QUIET: 'true' });
    expect(calm.unusual).toEqual([]);
    expect(calm.limits).toEqual([]);
    expect(await harness.ses.emails()).toHaveLength(0);

    harness.usageApi.configure({ spendLimits: LIMITS });
    await harness.dynamodb?.clearItems();
    const blocked = await run(T, { QUIET: 'true' });
    expect(blocked.unusual).toEqual([]);
    expect(blocked.limits?.[0]?.status).toBe('enforcing');
    expect(await harness.ses.emails()).toHaveLength(1);
  });
});
