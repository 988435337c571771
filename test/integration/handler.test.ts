import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import {
  ADMIN_KEY,
  expectedCostUsd,
  expectedRows,
  expectedTotal,
  Harness,
  lambdaContext,
  RECIPIENTS,
  SAMPLE_LOG,
  SENDER,
  scheduledEvent,
  usd,
  utcDay,
} from '../support/harness';
import type { StoredEmail } from '../support/local-aws';

const harness = new Harness();
/** aws-ses-v2-local keeps the To header as text: split it back into addresses. */
const recipientsOf = (email?: StoredEmail) => email?.destination.to.flatMap((to) => to.split(/,\s*/)) ?? [];
const sortRows = <T extends { project_id: string | null }>(rows: readonly T[]) =>
  [...rows].sort((a, b) => String(a.project_id).localeCompare(String(b.project_id)));
const withoutNames = (rows: readonly { project_id: string | null; num_sessions: number }[]) =>
  sortRows(rows.map(({ project_id, num_sessions }) => ({ project_id, num_sessions })));

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.requests.length = 0;
});

describe('Handler: scheduled daily report', () => {
  it('reports the previous Berlin day exactly and mails it once', async () => {
    // Prepare
    const handler = harness.handler();
    const day = localDayWindow('2026-11-22', 'Europe/Berlin');

    // Act
    const result = await handler(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());

    // Assess
    expect(result.start_time).toBe(day.start);
    expect(result.end_time).toBe(day.end);
    expect(withoutNames(result.projects)).toEqual(sortRows(expectedRows(day.start, day.end)));
    expect(result.total_sessions).toBe(expectedTotal(day.start, day.end));
    const counts = result.projects.map((p) => p.num_sessions);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const unattributed = result.projects.find((p) => p.project_id === null);
    expect(unattributed).toBeDefined();
    expect(unattributed).not.toHaveProperty('project_name');
    const named = result.projects.find((p) => p.project_id === SAMPLE_LOG.projects[0]?.id);
    expect(named?.project_name).toBe(SAMPLE_LOG.projects[0]?.name);

    const emails = await harness.ses.emails();
    expect(emails).toHaveLength(1);
    const [email] = emails;
    expect(email?.from).toBe(SENDER);
    expect(recipientsOf(email)).toEqual(RECIPIENTS);
    expect(email?.subject).toBe(
      `Code interpreter sessions 2026-11-22 (Europe/Berlin): ${result.total_sessions.toLocaleString('en-US')} · ${usd(expectedCostUsd(utcDay('2026-11-22').start, utcDay('2026-11-22').end))}`,
    );
    expect(email?.body.text).toContain('unattributed');
    expect(email?.body.html).toContain('Legal &lt;Review&gt;');
    expect(email?.body.html).not.toContain('Legal <Review>');
    expect(email?.body.text).toContain('7-day avg');
  });

  it('asks only aligned, grouped queries within the API limits, trend days included, in one batch', async () => {
    await harness.handler()(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());

    const usage = harness.usageApi.usageRequests();
    // The report day and the 30 Berlin days before it (the chart's; 25 Oct has 25 hours) are 745
    // hourly buckets: five queries.
    expect(usage).toHaveLength(5);
    for (const { params } of usage) {
      const width = params.get('bucket_width');
      const size = width === '1d' ? 86_400 : width === '1h' ? 3_600 : 60;
      expect(Number(params.get('start_time')) % size).toBe(0);
      expect(Number(params.get('end_time')) % size).toBe(0);
      expect(params.get('group_by')).toBe('project_id');
      expect((Number(params.get('end_time')) - Number(params.get('start_time'))) / size).toBe(
        Number(params.get('limit')),
      );
    }
    const projects = harness.usageApi.requests.filter((r) => r.path.endsWith('/projects'));
    expect(projects).toHaveLength(1);
    expect(projects[0]?.params.get('include_archived')).toBe('true');
    expect(projects[0]?.params.get('limit')).toBe('100');
  });

  it('reports the previous UTC day for {} with REPORT_TIMEZONE unset', async () => {
    const result = await harness.handler({ REPORT_TIMEZONE: undefined })({}, lambdaContext());
    const day = localDayWindow('2026-11-22', 'UTC');
    expect([result.start_time, result.end_time]).toEqual([day.start, day.end]);
    expect(withoutNames(result.projects)).toEqual(sortRows(expectedRows(day.start, day.end)));
    expect(harness.usageApi.usageRequests()).toHaveLength(1);
    expect(harness.usageApi.usageRequests()[0]?.params.get('bucket_width')).toBe('1d');
  });

  it('accepts an EventBridge rule event and reads its time', async () => {
    const event = {
      version: '0',
      id: 'c7d1',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: '2026-11-20T07:00:00Z',
      region: 'eu-west-1',
      resources: [],
      detail: {},
    };
    const result = await harness.handler({ REPORT_TIMEZONE: 'Asia/Kolkata' })(event, lambdaContext());
    const day = localDayWindow('2026-11-19', 'Asia/Kolkata');
    expect([result.start_time, result.end_time]).toEqual([day.start, day.end]);
    expect(withoutNames(result.projects)).toEqual(sortRows(expectedRows(day.start, day.end)));
  });

  it('gives a :30 zone exact trend figures too, in one batch of queries', async () => {
    await harness.handler({ REPORT_TIMEZONE: 'Asia/Kolkata' })(
      scheduledEvent('2026-11-23T02:00:00Z'),
      lambdaContext(),
    );
    const total = (date: string) => {
      const window = localDayWindow(date, 'Asia/Kolkata');
      return expectedTotal(window.start, window.end);
    };
    const history = [
      '2026-11-15',
      '2026-11-16',
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
    ];
    const mean = Math.round((history.reduce((sum, date) => sum + total(date), 0) / 7) * 10) / 10;
    const [email] = await harness.ses.emails();
    expect(email?.subject).toBe(
      `Code interpreter sessions 2026-11-22 (Asia/Kolkata): ${total('2026-11-22').toLocaleString('en-US')} · ${usd(expectedCostUsd(utcDay('2026-11-22').start, utcDay('2026-11-22').end))}`,
    );
    expect(email?.body.text).toContain(
      `Last Sun: ${total('2026-11-15').toLocaleString('en-US')}; 7-day average: ${mean.toLocaleString('en-US')}`,
    );
    // Five hourly queries across the 31 days; the nine midnights of the report day and its trend
    // days in five minute queries, two to a query.
    expect(harness.usageApi.usageRequests()).toHaveLength(10);
  });
});

describe('Handler: manual range', () => {
  it('reports 90 New York days exactly, filtered by project, without mailing on dry_run', async () => {
    const ids = [SAMPLE_LOG.projects[1]?.id as string, SAMPLE_LOG.projects[4]?.id as string];
    const result = await harness.handler({ REPORT_TIMEZONE: 'America/New_York' })(
      { start_time: '2026-08-20', end_time: '2026-11-18', project_ids: ids, dry_run: true },
      lambdaContext(),
    );
    const start = Date.parse('2026-08-20T04:00:00Z') / 1000;
    const end = Date.parse('2026-11-18T05:00:00Z') / 1000;
    expect([result.start_time, result.end_time]).toEqual([start, end]);
    expect(withoutNames(result.projects)).toEqual(sortRows(expectedRows(start, end, ids)));
    expect(await harness.ses.emails()).toHaveLength(0);
    for (const { params } of harness.usageApi.usageRequests())
      expect(params.getAll('project_ids')).toEqual(ids);
  });

  it('mails the recipients the event names, with Unix-second times', async () => {
    const start = Date.parse('2026-11-10T00:00:00Z') / 1000;
    const end = Date.parse('2026-11-12T12:30:00Z') / 1000;
    const result = await harness.handler()(
      { start_time: start, end_time: end, recipients: ['cto@example.com'] },
      lambdaContext(),
    );
    expect(withoutNames(result.projects)).toEqual(sortRows(expectedRows(start, end)));
    const emails = await harness.ses.emails();
    expect(emails.map(recipientsOf)).toEqual([['cto@example.com']]);
    expect(emails[0]?.subject).toContain('2026-11-10 01:00 – 2026-11-12 13:30 (Europe/Berlin)');
  });
});

describe('Handler: invalid input fails before any call', () => {
  it.each([
    [{ start_time: 'yesterday', end_time: '2026-11-20' }, /start_time/],
    [{ start_time: '2026-11-20', end_time: '2026-11-10' }, /end_time: must be after start_time/],
    [{ start_time: '2026-12-01', end_time: '2026-12-02' }, /start_time: is in the future/],
    [{ start_time: '2026-11-01', end_time: '2026-11-02', recipients: ['not-an-address'] }, /recipients/],
    [
      { start_time: '2026-11-01', end_time: '2026-11-02', project_ids: 'proj_a' },
      /project_ids: must be an array/,
    ],
    [{ start_time: '2026-11-01', end_time: '2026-11-02', timezone: 'Mars/Olympus' }, /timezone/],
    [{ start_time: 1_793_000_000_000, end_time: 1_793_500_000_000 }, /start_time: looks like milliseconds/],
    [{ time: 'not a time' }, /time/],
    ['just a string', /event: must be a JSON object/],
  ])('%j', async (event, message) => {
    const secretCalls = harness.secrets.calls.length;
    await expect(harness.handler()(event, lambdaContext())).rejects.toThrow(message);
    expect(harness.usageApi.requests).toHaveLength(0);
    expect(harness.secrets.calls.length).toBe(secretCalls);
    expect(await harness.ses.emails()).toHaveLength(0);
  });
});

describe('Handler: the admin key', () => {
  it('reads a JSON secret once per warm container', async () => {
    harness.secrets.secrets.set('openai/json-key', JSON.stringify({ apiKey: ADMIN_KEY }));
    const handler = harness.handler({ ADMIN_KEY_SECRET_ID: 'openai/json-key' });
    const before = harness.secrets.calls.filter((id) => id === 'openai/json-key').length;
    await handler({ dry_run: true }, lambdaContext());
    await handler({ dry_run: true }, lambdaContext());
    expect(harness.secrets.calls.filter((id) => id === 'openai/json-key').length - before).toBe(1);
  });

  it('fails naming a missing secret, before any API call', async () => {
    const error = await harness
      .handler({ ADMIN_KEY_SECRET_ID: 'openai/missing' })({}, lambdaContext())
      .catch((e) => e);
    expect(error.name).toBe('SecretError');
    expect(error.message).toContain('"openai/missing"');
    expect(error.message).toContain('ResourceNotFoundException');
    expect(error.message).toContain(
      'there is no such secret in this account and region; create it with `aws secretsmanager create-secret --name openai/missing --secret-string sk-admin-…`',
    );
    expect(harness.usageApi.requests).toHaveLength(0);
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('stops at once on a rejected key, never printing it', async () => {
    harness.secrets.secrets.set('openai/old-key', 'sk-admin-REVOKED-key-value-42');
    const error = await harness
      .handler({ ADMIN_KEY_SECRET_ID: 'openai/old-key' })({}, lambdaContext())
      .catch((e) => e);
    expect(error.message).toContain(
      'the OpenAI admin key was rejected (401): the usage API takes only an organization admin key',
    );
    // The five planned usage queries, the projects list, the three cost queries (the day by project
    // and line item, the runway's days by project and by line item) and the organization's spend
    // limit, each asked once: no retries.
    expect(harness.usageApi.requests.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(new Set(harness.usageApi.requests.map((r) => `${r.path}?${r.params}`)).size).toBe(10);
    expect(await harness.ses.emails()).toHaveLength(0);
    expect(harness.logs()).not.toContain('sk-admin-REVOKED-key-value-42');
    expect(harness.logs()).not.toContain(ADMIN_KEY);
    expect(JSON.stringify(error)).not.toContain('REVOKED');
  });

  it('fails naming a secret that holds no usable key, before any API call', async () => {
    harness.secrets.secrets.set('openai/bad-json', JSON.stringify({ user: 'x', password: 'y' }));
    const error = await harness
      .handler({ ADMIN_KEY_SECRET_ID: 'openai/bad-json' })({}, lambdaContext())
      .catch((e) => e);
    expect(error.name).toBe('SecretError');
    expect(error.message).toContain('"openai/bad-json" is JSON without a key field');
    expect(harness.usageApi.requests).toHaveLength(0);
  });

  it('stops at once on a 403 too', async () => {
    harness.usageApi.inject('usage', { kind: 'status', status: 403 });
    const error = await harness
      .handler({ REPORT_TIMEZONE: 'UTC' })({}, lambdaContext())
      .catch((e) => e);
    expect(error.message).toContain(
      'the OpenAI admin key was rejected (403): the usage API takes only an organization admin key',
    );
    expect(harness.usageApi.usageRequests()).toHaveLength(1);
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('logs structured JSON: the window, the plan, requests, retries and durations', async () => {
    harness.output.length = 0;
    harness.usageApi.inject('usage', { kind: 'status', status: 503 });
    const result = await harness.handler()({}, lambdaContext());
    const lines = harness
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const find = (message: string) => lines.find((line) => line.message === message);
    const day = localDayWindow('2026-11-22', 'Europe/Berlin');
    expect(find('report requested')).toMatchObject({
      level: 'INFO',
      kind: 'daily',
      period: '2026-11-22',
      window: day,
      time_zone: 'Europe/Berlin',
      dry_run: false,
    });
    expect(find('usage plan')).toMatchObject({
      window: day,
      time_zone: 'Europe/Berlin',
      windows: 31,
      queries: 5,
      buckets: 745,
    });
    expect(find('retrying usage API request')).toMatchObject({
      level: 'WARN',
      path: '/organization/usage/code_interpreter_sessions',
      attempt: 1,
      delay_ms: expect.any(Number),
      reason: 'HTTP 503',
    });
    expect(find('report computed')).toMatchObject({
      total_sessions: result.total_sessions,
      projects: result.projects.length,
      queries: 5,
      // Five usage queries and one retry, the names, three cost queries, and the spend limits
      // (without a table, read on every run).
      requests: 10 + harness.usageApi.spendLimitRequests().length,
      retries: 1,
      fetch_ms: expect.any(Number),
    });
    const [email] = await harness.ses.emails();
    expect(find('email sent')).toMatchObject({
      message_id: email?.messageId,
      recipients: 2,
      subject: email?.subject,
    });
    expect(find('report done')).toMatchObject({ service: 'usage-digest', duration_ms: expect.any(Number) });
    expect(find('report done')?.duration_ms).toBeLessThan(60_000);
  });

  it('keeps 30 s of the invocation for delivery: a hanging API fails the run that long before its end', async () => {
    harness.usageApi.inject('usage', { kind: 'hang', ms: 5_000 });
    const started = Date.now();
    await expect(harness.handler()({}, lambdaContext(31_000))).rejects.toThrow(/timed out after \d+ ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('shows no day-over-day trend for a range', async () => {
    await harness.handler()({ start_time: '2026-11-20', end_time: '2026-11-22' }, lambdaContext());
    const [email] = await harness.ses.emails();
    expect(email?.body.text).not.toContain('vs prev. day');
    expect(email?.body.text).not.toContain('Previous day');
  });

  it('logs a failure with its name, redacted message and duration', async () => {
    harness.output.length = 0;
    harness.usageApi.inject('usage', { kind: 'status', status: 400 });
    await expect(harness.handler()({}, lambdaContext())).rejects.toThrow('the usage API answered HTTP 400');
    const failed = harness
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
      .find((line) => line.message === 'report failed');
    expect(failed).toMatchObject({
      level: 'ERROR',
      error: { name: 'UsageApiError', message: 'the usage API answered HTTP 400: injected fault' },
      duration_ms: expect.any(Number),
    });
  });

  it('is never logged on a successful run either', async () => {
    await harness.handler()({}, lambdaContext());
    expect(harness.logs()).toContain('report done');
    expect(harness.logs()).not.toContain(ADMIN_KEY);
    for (const email of await harness.ses.emails()) expect(JSON.stringify(email)).not.toContain(ADMIN_KEY);
  });
});

describe('Handler: weekly and monthly digests', () => {
  const berlin = (date: string) => localDayWindow(date, 'Europe/Berlin').start;

  it('mails the week Monday to Monday, compared with the week before, with the cost of the same dates', async () => {
    const result = await harness.handler()(
      { digest: 'weekly', time: '2026-11-23T06:00:00Z' },
      lambdaContext(),
    );
    const week = { start: berlin('2026-11-16'), end: berlin('2026-11-23') };
    expect(result).toMatchObject({ kind: 'weekly', start_time: week.start, end_time: week.end });
    expect(result.total_sessions).toBe(expectedTotal(week.start, week.end));
    expect(result).toMatchObject({
      cost_start_time: utcDay('2026-11-16').start,
      cost_end_time: utcDay('2026-11-22').end,
    });
    expect(result).not.toHaveProperty('unusual');
    const [email] = await harness.ses.emails();
    expect(email?.subject).toBe(
      `Weekly code interpreter sessions 2026-11-16 – 2026-11-22 (Europe/Berlin): ${result.total_sessions.toLocaleString('en-US')} · ${usd(expectedCostUsd(utcDay('2026-11-16').start, utcDay('2026-11-22').end))}`,
    );
    const before = expectedTotal(berlin('2026-11-09'), berlin('2026-11-16'));
    expect(email?.body.text).toContain(`The week before: ${before.toLocaleString('en-US')}`);
    expect(email?.body.text).toContain('(cost: 16 Nov – 22 Nov, UTC days)');
  });

  it('mails October across the end of DST exactly, compared with September', async () => {
    const result = await harness.handler()(
      { digest: 'monthly', time: '2026-11-01T06:00:00Z' },
      lambdaContext(),
    );
    const october = { start: berlin('2026-10-01'), end: berlin('2026-11-01') };
    expect(october.end - october.start).toBe((31 * 24 + 1) * 3600);
    expect(result).toMatchObject({ kind: 'monthly', start_time: october.start, end_time: october.end });
    expect(result.total_sessions).toBe(expectedTotal(october.start, october.end));
    const [email] = await harness.ses.emails();
    expect(email?.subject).toMatch(
      /^Monthly code interpreter sessions 2026-10-01 – 2026-10-31 \(Europe\/Berlin\): /,
    );
    const september = expectedTotal(berlin('2026-09-01'), berlin('2026-10-01'));
    expect(email?.body.text).toContain(`The month before: ${september.toLocaleString('en-US')}`);
  });
});
