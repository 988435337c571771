import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import { ADMIN_KEY, expectedTotal, Harness, lambdaContext, scheduledEvent } from '../support/harness';

const harness = new Harness();
const BERLIN_DAY = localDayWindow('2026-11-22', 'Europe/Berlin');
const UTC_EVENT = scheduledEvent('2026-11-23T06:00:00Z');
const exactTotal = expectedTotal(BERLIN_DAY.start, BERLIN_DAY.end);

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
  harness.usageApi.configure({ rowsPerPage: undefined, legacyFields: false, alignment: 'utc' });
});

const retryLogs = () =>
  harness
    .logs()
    .split('\n')
    .filter((line) => line.includes('retrying usage API request'))
    .map((line) => JSON.parse(line) as { delay_ms: number; reason: string });

describe('Faults that end in an exact report', () => {
  it.each([
    ['a 500', { kind: 'status', status: 500 } as const],
    ['a 503', { kind: 'status', status: 503 } as const],
    ['an HTML error page', { kind: 'html' } as const],
    ['a connection reset', { kind: 'reset' } as const],
    ['a truncated JSON body', { kind: 'garbage-json' } as const],
    ['a request that hangs past its timeout', { kind: 'hang', ms: 2_500 } as const],
  ])('retries after %s', async (_, fault) => {
    harness.usageApi.inject('usage', fault);
    const result = await harness.handler()(UTC_EVENT, lambdaContext());
    expect(result.total_sessions).toBe(exactTotal);
    // Five planned queries (the report day and the 30 before it, hour by hour) plus the one retried.
    expect(harness.usageApi.usageRequests()).toHaveLength(6);
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    harness.usageApi.inject('usage', { kind: 'status', status: 429, retryAfter: '1' });
    const result = await harness.handler()(UTC_EVENT, lambdaContext());
    expect(result.total_sessions).toBe(exactTotal);
    const [retry] = retryLogs().slice(-1);
    expect(retry?.reason).toBe('HTTP 429');
    expect(retry?.delay_ms).toBeGreaterThanOrEqual(1_000);
  });

  it('honours Retry-After as an HTTP date on a 429', async () => {
    const inTwoSeconds = new Date(Date.now() + 2_000).toUTCString();
    harness.usageApi.inject('usage', { kind: 'status', status: 429, retryAfter: inTwoSeconds });
    const result = await harness.handler()(UTC_EVENT, lambdaContext());
    expect(result.total_sessions).toBe(exactTotal);
    expect(retryLogs().at(-1)?.delay_ms).toBeGreaterThan(500);
  });

  it('counts each row once when buckets continue across pages', async () => {
    harness.usageApi.configure({ rowsPerPage: 4 });
    const result = await harness.handler()(UTC_EVENT, lambdaContext());
    expect(result.total_sessions).toBe(exactTotal);
    expect(harness.usageApi.usageRequests().length).toBeGreaterThan(20);
    // Every continuation page carried a cursor and the same query parameters.
    const pages = harness.usageApi.usageRequests().filter((r) => r.params.has('page'));
    expect(pages.every((r) => r.status === 200)).toBe(true);
  });

  it('reads the older field names result and sessions', async () => {
    harness.usageApi.configure({ legacyFields: true });
    const result = await harness.handler()(UTC_EVENT, lambdaContext());
    expect(result.total_sessions).toBe(exactTotal);
  });

  it('is exact when the API aligns buckets to the query start instead of UTC', async () => {
    harness.usageApi.configure({ alignment: 'start' });
    const result = await harness.handler({ REPORT_TIMEZONE: 'Asia/Kathmandu' })(UTC_EVENT, lambdaContext());
    const day = localDayWindow('2026-11-22', 'Asia/Kathmandu');
    expect(result.total_sessions).toBe(expectedTotal(day.start, day.end));
  });

  it('falls back to project ids when the projects list fails', async () => {
    harness.usageApi.inject('projects', { kind: 'status', status: 404 });
    const result = await harness.handler()(UTC_EVENT, lambdaContext());
    expect(result.total_sessions).toBe(exactTotal);
    expect(result.projects.every((p) => p.project_name === undefined)).toBe(true);
    expect(harness.logs()).toContain('project names unavailable');
    expect(await harness.ses.emails()).toHaveLength(1);
  });
});

describe('Faults that end in a clear error and no email', () => {
  it('gives up on a usage API that keeps failing, within the deadline', async () => {
    // More failures than every usage query's attempts together (a daily run reads its chart's 31
    // days in several queries): no query may outlast them however fast the retries come.
    harness.usageApi.inject(
      'usage',
      ...Array.from({ length: 100 }, () => ({ kind: 'status', status: 503 }) as const),
    );
    // 33 s left, of which 30 s are kept for delivery: about 3 s for the API.
    const error = await harness
      .handler()(UTC_EVENT, lambdaContext(33_000))
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('UsageApiError');
    expect((error as Error).message).toMatch(
      /GET \/organization\/usage\/code_interpreter_sessions failed: HTTP 503/,
    );
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('stops the other queries, retries included, once one query fails the run', async () => {
    harness.usageApi.inject(
      'usage',
      { kind: 'status', status: 503, retryAfter: '1' },
      { kind: 'status', status: 401 },
    );
    const year = { start_time: '2025-11-22', end_time: '2026-11-22' };
    const error = await harness
      .handler({ REPORT_TIMEZONE: 'UTC', USAGE_CONCURRENCY: '1' })(year, lambdaContext())
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      /^the OpenAI admin key was rejected \(401\): the usage API takes only an organization admin key/,
    );
    // The 503'd query would have retried after a second; nothing else may start either.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(harness.usageApi.usageRequests()).toHaveLength(2);
  });

  it.each([
    ['a cursor seen twice', [{ kind: 'pass' }, { kind: 'repeat-cursor' }], /repeated a next_page cursor/],
    ['has_more without next_page', [{ kind: 'missing-cursor' }], /has_more but gave no next_page/],
    ['an endless cursor', [{ kind: 'endless' }], /kept paginating past/],
  ] as const)('fails on %s', async (_, faults, message) => {
    harness.usageApi.configure({ rowsPerPage: 20 });
    harness.usageApi.inject('usage', ...faults);
    const error = await harness
      .handler({ REPORT_TIMEZONE: 'UTC' })(UTC_EVENT, lambdaContext())
      .catch((e: Error) => e);
    expect((error as Error).name).toBe('PaginationError');
    expect((error as Error).message).toMatch(message);
    expect(await harness.ses.emails()).toHaveLength(0);
    expect(harness.logs()).not.toContain(ADMIN_KEY);
  });
});
