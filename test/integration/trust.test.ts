import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import {
  ADMIN_KEY,
  expectedTotal,
  Harness,
  lambdaContext,
  SAMPLE_LOG,
  SECRET_ID,
  scheduledEvent,
} from '../support/harness';

/**
 * What an operator must be able to trust without reading logs: numbers that are right or a clear
 * error (never a wrong email), and a key that never leaks. All through the fake API over HTTP.
 */
const harness = new Harness();
const UTC_DAY = localDayWindow('2026-11-22', 'UTC');
const EVENT = scheduledEvent('2026-11-23T06:00:00Z');
// In UTC the daily run is one query: the day and the 30 before it (its chart's) as 31 daily buckets.
const utcHandler = (env: Record<string, string> = {}) => harness.handler({ REPORT_TIMEZONE: 'UTC', ...env });

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
  harness.usageApi.configure({ rowsPerPage: undefined });
  harness.secrets.secrets.set(SECRET_ID, ADMIN_KEY);
  harness.output.length = 0;
});

async function expectFailureWithoutEmail(run: Promise<unknown>, message: string | RegExp) {
  await expect(run).rejects.toThrow(message);
  expect(await harness.ses.emails()).toHaveLength(0);
  expect(harness.logs()).not.toContain(ADMIN_KEY);
}

describe('Numbers that are right or a clear error', () => {
  it('drops rows that arrive again on a rewound page, and reports the exact total', async () => {
    // One day, one query, its bucket cut into pages of 5 rows: the second page comes twice.
    harness.usageApi.configure({ rowsPerPage: 5 });
    harness.usageApi.inject('usage', { kind: 'pass' }, { kind: 'rewind' });
    const result = await utcHandler()({ start_time: '2026-11-22', end_time: '2026-11-23' }, lambdaContext());
    expect(harness.usageApi.usageRequests().length).toBeGreaterThan(3);
    expect(result.total_sessions).toBe(expectedTotal(UTC_DAY.start, UTC_DAY.end));
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('fails on a repeated row whose count contradicts the first, naming bucket and project', async () => {
    harness.usageApi.inject('usage', { kind: 'rewind' }, { kind: 'inflate' });
    await expectFailureWithoutEmail(
      utcHandler()(EVENT, lambdaContext()),
      /inconsistent data: bucket 2026-10-23T00:00Z–2026-10-24T00:00Z repeats project \S+ with \d+ sessions after \d+/,
    );
  });

  it('fails on a bucket outside the requested window, naming it', async () => {
    harness.usageApi.inject('usage', { kind: 'shift' });
    await expectFailureWithoutEmail(
      utcHandler()(EVENT, lambdaContext()),
      'bucket 2026-11-23T00:00Z–2026-11-24T00:00Z lies outside the requested 2026-10-23T00:00Z–2026-11-23T00:00Z',
    );
  });

  it.each([
    ['null', null, 'num_sessions is null'],
    ['missing', undefined, 'num_sessions is missing'],
    ['negative', -3, 'num_sessions is -3'],
    ['fractional', 2.5, 'num_sessions is 2.5'],
    ['a string', '12', 'num_sessions is "12"'],
    ['past the largest safe integer', 2 ** 53, 'num_sessions is 9007199254740992'],
  ])('fails on a count that is %s, never mailing it as 0', async (_, value, message) => {
    harness.usageApi.inject('usage', { kind: 'count', value });
    await expectFailureWithoutEmail(
      utcHandler()(EVENT, lambdaContext()),
      new RegExp(
        `malformed page: data\\[0\\]\\.results\\[0\\]\\.${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
      ),
    );
  });

  it('refuses a body that inflates past 32 MiB, without reading it all', async () => {
    harness.usageApi.inject('usage', { kind: 'bomb', bytes: 40 * 1024 * 1024 });
    // Reading 32 MiB takes a while on a loaded machine: a timeout would retry and hide the cap.
    await expectFailureWithoutEmail(
      utcHandler({ USAGE_REQUEST_TIMEOUT_MS: '30000' })(EVENT, lambdaContext()),
      'sent a body over 32 MiB',
    );
    // Not retried: a body that size is not a passing fault.
    expect(harness.usageApi.usageRequests()).toHaveLength(1);
  });

  it('refuses a body that declares more than 32 MiB before reading any of it', async () => {
    harness.usageApi.inject('usage', { kind: 'oversized', bytes: 2 * 1024 ** 3 });
    await expectFailureWithoutEmail(utcHandler()(EVENT, lambdaContext()), 'sent a body over 32 MiB');
    expect(harness.usageApi.usageRequests()).toHaveLength(1);
  });

  it('refuses a range over three years before any request', async () => {
    await expectFailureWithoutEmail(
      utcHandler()({ start_time: '2023-01-01', end_time: '2026-11-01' }, lambdaContext()),
      'end_time: the range is longer than 1096 days',
    );
    expect(harness.usageApi.requests).toHaveLength(0);
  });
});

describe('The key never leaks, and goes only over HTTPS', () => {
  it('redacts the key from an API error that echoes the Authorization header', async () => {
    harness.usageApi.inject('usage', { kind: 'echo-auth' });
    const run = utcHandler()(EVENT, lambdaContext());
    const error = (await run.catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('received headers: Authorization: Bearer [redacted]');
    expect(error.message).not.toContain(ADMIN_KEY);
    expect(error.stack).not.toContain(ADMIN_KEY);
    expect(harness.logs()).toContain('Bearer [redacted]');
    expect(harness.logs()).not.toContain(ADMIN_KEY);
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('redacts a key-shaped project name from the result and the email', async () => {
    const projects = SAMPLE_LOG.projects.map((p) => ({ ...p, name: `leak ${ADMIN_KEY}` }));
    harness.usageApi.configure({ log: { ...SAMPLE_LOG, projects } });
    try {
      const result = await utcHandler()(EVENT, lambdaContext());
      expect(result.projects[0]?.project_name).toBe('leak [redacted]');
      expect(JSON.stringify(result)).not.toContain(ADMIN_KEY);
      const [email] = await harness.ses.emails();
      expect(email?.body.text).toContain('leak [redacted]');
      expect(JSON.stringify(email)).not.toContain(ADMIN_KEY);
    } finally {
      harness.usageApi.configure({ log: SAMPLE_LOG });
    }
  });

  it('refuses plain http to any host but loopback, before the first request', async () => {
    await expectFailureWithoutEmail(
      utcHandler({ OPENAI_BASE_URL: 'http://api.openai.com/v1' })(EVENT, lambdaContext()),
      'OPENAI_BASE_URL: "http://api.openai.com" must be https://',
    );
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it.each([
    ['a line break inside', 'sk-admin-abc\ndef', 'contains whitespace'],
    ['a NUL', 'sk-admin-abc\u0000def', 'contains a control character'],
    ['quotes kept from JSON', '"sk-admin-abcdef"', 'contains a quote'],
  ])('reports a key with %s as a broken secret, not a network error', async (_, value, problem) => {
    harness.secrets.secrets.set(SECRET_ID, value);
    await expectFailureWithoutEmail(
      utcHandler()(EVENT, lambdaContext()),
      `the admin key in secret "${SECRET_ID}" ${problem}`,
    );
    expect(harness.usageApi.requests).toHaveLength(0);
    expect(harness.logs()).not.toContain(value);
  });
});

describe('Who may be mailed, and when', () => {
  it('refuses a manual recipient outside the allowed domains', async () => {
    await expectFailureWithoutEmail(
      utcHandler()(
        { start_time: '2026-11-20', end_time: '2026-11-21', recipients: ['someone@attacker.example'] },
        lambdaContext(),
      ),
      'recipients: someone@attacker.example is outside the allowed recipient domains (example.com)',
    );
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it('mails a manual recipient of an allowed domain', async () => {
    await utcHandler({ ALLOWED_RECIPIENT_DOMAINS: 'example.com,partner.example' })(
      { start_time: '2026-11-20', end_time: '2026-11-21', recipients: ['CTO@Partner.Example'] },
      lambdaContext(),
    );
    const [email] = await harness.ses.emails();
    expect(email?.destination.to).toEqual(['CTO@partner.example']);
  });

  it('refuses a scheduled time more than 5 minutes ahead', async () => {
    await expectFailureWithoutEmail(
      utcHandler()(scheduledEvent('2026-11-23T08:00:00Z'), lambdaContext()),
      'time: is more than 5 minutes in the future',
    );
  });
});
