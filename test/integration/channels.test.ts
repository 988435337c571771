import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTEMPT_TIMEOUT_MS,
  ATTEMPTS,
  BACKOFF_MS,
  postJson,
} from '../../functions/report/channels/http-post';
import { localDayWindow } from '../../functions/report/core/local-time';
import { AFTER_POSTS_MS, SEND_RESERVE_MS } from '../../functions/report/handler';
import {
  expectedTotal,
  Harness,
  lambdaContext,
  RECIPIENTS,
  SAMPLE_LOG,
  scheduledEvent,
} from '../support/harness';
import { WebhookReceiver } from '../support/receiver';

const harness = new Harness({ idempotency: true });
const receiver = new WebhookReceiver();
const SIGNING_KEY = 'whsec-known-test-key';
/** A token in the Slack URL: a credential that must never reach a log or an error. */
const SLACK_TOKEN = 'T000-B000-SECRETTOKEN42';
const TEAMS_PATH = '/teams?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sig=TEAMSSIG42';
let base: string;

/** The Block Kit block types Slack documents; anything else would be rejected. */
const BLOCK_TYPES = new Set(['header', 'section', 'divider', 'context']);

function env() {
  return {
    SLACK_WEBHOOK_SECRET_ID: 'usage-digest/slack',
    TEAMS_WEBHOOK_SECRET_ID: 'usage-digest/teams',
    WEBHOOK_URL: `${base}/hook`,
    WEBHOOK_SIGNING_SECRET_ID: 'usage-digest/webhook-key',
  };
}

/** Where the receiver accepted posts (first path segment), sorted: the channels post concurrently. */
const receivedAt = () => receiver.posts.map((p) => p.path.split(/[/?]/)[1]).sort();

/** The ten-line check the README shows a receiver: HMAC-SHA256 of "<timestamp>.<body>". */
function verify(headers: Record<string, unknown>, body: string, key: string): boolean {
  const timestamp = String(headers['x-usage-digest-timestamp']);
  const given = Buffer.from(String(headers['x-usage-digest-signature']));
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`,
  );
  return given.length === expected.length && timingSafeEqual(given, expected);
}

beforeAll(async () => {
  await harness.start();
  base = await receiver.start();
  harness.secrets.secrets.set('usage-digest/slack', `${base}/slack/${SLACK_TOKEN}`);
  // A Teams workflow URL carries its signature in the query string.
  harness.secrets.secrets.set('usage-digest/teams', JSON.stringify({ url: `${base}${TEAMS_PATH}` }));
  harness.secrets.secrets.set('usage-digest/webhook-key', SIGNING_KEY);
});
afterAll(async () => {
  await harness.stop();
  await receiver.stop();
});
beforeEach(async () => {
  harness.usageApi.reset();
  await harness.ses.clear();
  await harness.clearDeliveryRecords();
  receiver.reset();
});

describe('Channels: Slack, Teams and a signed webhook beside the email', () => {
  it('posts Block Kit to Slack: a header with the date, totals and cost, the top 10 and how many more', async () => {
    const result = await harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    const [post] = receiver.to(`/slack/${SLACK_TOKEN}`);
    expect(post?.headers['content-type']).toBe('application/json');
    const message = JSON.parse(post?.body ?? '{}');
    for (const block of message.blocks) expect(BLOCK_TYPES).toContain(block.type);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Code interpreter sessions 2026-11-22 (Europe/Berlin)' },
    });
    expect(message.blocks[1].text.type).toBe('mrkdwn');
    expect(message.blocks[1].text.text).toMatch(
      new RegExp(
        `^${result.total_sessions.toLocaleString('en-US')} sessions · \\$[\\d.,]+ code interpreter cost \\(cost: 22 Nov, UTC day\\)\nLast 14 days: \`[▁-█]{14}\`$`,
      ),
    );
    const top = message.blocks.find(
      (b: { type: string; text?: { text: string } }) =>
        b.type === 'section' && b.text?.text.includes('proj_'),
    );
    expect(top.text.text.split('\n')).toHaveLength(10);
    expect(top.text.text).toContain('vs last Sun');
    // mrkdwn gives <, > and & meaning: a name cannot make a link or a mention.
    expect(top.text.text).toContain('*Checkout &amp; Payments*');
    expect(message.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: `${result.projects.length - 10} more in the email`, verbatim: true },
      ],
    });
    expect(message.text).toContain('Code interpreter sessions 2026-11-22 (Europe/Berlin)');
  });

  it('posts an Adaptive Card 1.5 to the Teams workflow', async () => {
    await harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    const message = JSON.parse(receiver.to(TEAMS_PATH)[0]?.body ?? '{}');
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment.content).toMatchObject({
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.5',
    });
    // Names in TextRuns, never markdown: one RichTextBlock a project, name, id, then the figures.
    const rows = attachment.content.body.filter(
      (b: { type: string; inlines?: { text: string }[] }) =>
        b.type === 'RichTextBlock' && b.inlines?.some((run) => run.text.startsWith(' (proj_')),
    );
    expect(rows).toHaveLength(10);
    expect(rows[0].inlines).toEqual([
      { type: 'TextRun', text: expect.any(String), weight: 'Bolder' },
      { type: 'TextRun', text: expect.stringMatching(/^ \(proj_\w+\)$/), isSubtle: true },
      { type: 'TextRun', text: expect.stringMatching(/^: [\d,]+ · \$[\d.]+ · [▲▼=]/) },
      { type: 'TextRun', text: ' · ' },
      { type: 'TextRun', text: expect.stringMatching(/^[▁-█]{14}$/), fontType: 'Monospace' },
    ]);
    expect(attachment.content.body.at(-1)).toEqual({
      type: 'RichTextBlock',
      inlines: [{ type: 'TextRun', text: expect.stringMatching(/^\d+ more in the email$/), isSubtle: true }],
    });
  });

  it('POSTs the result to the webhook, signed with HMAC-SHA256 over "<timestamp>.<body>"', async () => {
    const result = await harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    const [post] = receiver.to('/hook');
    expect(post?.headers['content-type']).toBe('application/json');
    expect(Number(post?.headers['x-usage-digest-timestamp'])).toBe(Date.parse('2026-11-23T07:00:00Z') / 1000);
    expect(verify(post?.headers ?? {}, post?.body ?? '', SIGNING_KEY)).toBe(true);
    expect(verify(post?.headers ?? {}, post?.body ?? '', 'another-key')).toBe(false);
    expect(verify(post?.headers ?? {}, `${post?.body} `, SIGNING_KEY)).toBe(false);
    expect(JSON.parse(post?.body ?? '{}')).toEqual({
      ...result,
      kind: 'daily',
      date: '2026-11-22',
      time_zone: 'Europe/Berlin',
      projects_truncated: 0,
    });
  });

  it('delivers each channel once when the same day is delivered twice', async () => {
    const handler = harness.handler(env());
    await handler(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    await harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(receivedAt()).toEqual(['hook', 'slack', 'teams']);
  });

  it('tries every channel when Slack fails, fails the run naming Slack, and the retry posts to Slack only', async () => {
    receiver.failWith(`/slack/${SLACK_TOKEN}`, 500, 3);
    const error = await harness
      .handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext())
      .catch((e: Error) => e);
    if (!(error instanceof Error)) throw new Error('the run should have failed');
    expect(error.message).toBe('slack: the receiver answered HTTP 500');
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(receivedAt()).toEqual(['hook', 'teams']);

    await harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(receivedAt()).toEqual(['hook', 'slack', 'teams']);
    expect(harness.logs()).not.toContain(SLACK_TOKEN);
    expect(harness.logs()).not.toContain('TEAMSSIG42');
  });

  it('says how to create a channel secret that does not exist, and still mails', async () => {
    const error = await harness
      .handler({ TEAMS_WEBHOOK_SECRET_ID: 'usage-digest/missing' })(
        scheduledEvent('2026-11-23T06:00:00Z'),
        lambdaContext(),
      )
      .catch((e: Error) => e);
    if (!(error instanceof Error)) throw new Error('the run should have failed');
    expect(error.message).toContain(
      'could not read the secret "usage-digest/missing": there is no such secret in this account and region; create it with `aws secretsmanager create-secret --name usage-digest/missing',
    );
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('refuses a channel URL that is not https, without sending to it, and still mails', async () => {
    harness.secrets.secrets.set('usage-digest/plain-http', 'http://hooks.slack.example/services/T0/B0/x');
    const error = await harness
      .handler({ SLACK_WEBHOOK_SECRET_ID: 'usage-digest/plain-http' })(
        scheduledEvent('2026-11-23T06:00:00Z'),
        lambdaContext(),
      )
      .catch((e: Error) => e);
    if (!(error instanceof Error)) throw new Error('the run should have failed');
    expect(error.message).toBe('slack: its URL must be https:// (http only for localhost)');
    expect(await harness.ses.emails()).toHaveLength(1);
  });
});

/** The error a run ended in; fails the test if it succeeded. */
async function failureOf(run: Promise<unknown>): Promise<Error> {
  const error = await run.catch((e: unknown) => e);
  if (!(error instanceof Error)) throw new Error('the run should have failed');
  return error;
}

/** A delivery reserve that leaves the posts 1.5 s: a hung receiver costs the test that, not 16 s. */
const POSTS_WINDOW_MS = 1_500;
const SHORT_RESERVE = { sendReserveMs: AFTER_POSTS_MS + POSTS_WINDOW_MS };

describe('Channels bounded: posted at once, each within its own deadline', () => {
  it("keeps a post's every try and wait inside the production reserve, and the reserve inside the timeout", () => {
    const waits = Array.from({ length: ATTEMPTS - 1 }, (_, i) => BACKOFF_MS * 2 ** (i + 1));
    expect(waits).toEqual([400, 800]);
    expect(ATTEMPTS * ATTEMPT_TIMEOUT_MS + waits.reduce((a, b) => a + b)).toBeLessThanOrEqual(
      SEND_RESERVE_MS - AFTER_POSTS_MS,
    );
    // infra/report-function.ts: the function's timeout defaults to 2 minutes; most of it is the fetch's.
    expect(SEND_RESERVE_MS).toBeLessThanOrEqual(120_000 / 4);
  });

  it('posts every channel at once: two hung receivers end at the one posts deadline, both named', async () => {
    receiver.hang(`/slack/${SLACK_TOKEN}`);
    receiver.hang(TEAMS_PATH);
    const error = await failureOf(
      harness.handler(env(), SHORT_RESERVE)(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext(60_000)),
    );
    const done = performance.now();
    // One after another, the second would have found no time left and said so.
    expect(error.message).toBe(
      'delivery failed on 2 channels: slack: the receiver did not answer in time; teams: the receiver did not answer in time',
    );
    const [slack] = receiver.requestsTo(`/slack/${SLACK_TOKEN}`);
    const [teams] = receiver.requestsTo(TEAMS_PATH);
    expect(receiver.requestsTo(`/slack/${SLACK_TOKEN}`)).toHaveLength(1);
    expect(receiver.requestsTo(TEAMS_PATH)).toHaveLength(1);
    expect(Math.abs((slack?.at ?? 0) - (teams?.at ?? Number.POSITIVE_INFINITY))).toBeLessThan(500);
    // The hung posts were waited for until the deadline, and not much longer.
    expect(done - (slack?.at ?? 0)).toBeGreaterThanOrEqual(POSTS_WINDOW_MS - 500);
    expect(done - (slack?.at ?? 0)).toBeLessThan(POSTS_WINDOW_MS + 1_000);
    // Every channel was tried: the email and the webhook went out beside the hung ones.
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(receivedAt()).toEqual(['hook']);
  });

  it('stops a post at its deadline, mid-try, when less time is left than its tries would take', async () => {
    receiver.hang('/hook');
    const started = performance.now();
    const error = await postJson('webhook', `${base}/hook`, '{}', { deadline: Date.now() + 1_500 }).catch(
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect((error as Error).message).toBe('webhook: the receiver did not answer in time');
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(2_500);
  });

  it('refuses a redirect at once, naming its status: one request, no retry', async () => {
    receiver.failWith('/hook', 302, 3, { location: 'https://elsewhere.example/hook' });
    const error = await failureOf(
      harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext()),
    );
    expect(error.message).toBe(
      'webhook: the receiver answered HTTP 302 (a redirect; webhook URLs must be the final URL)',
    );
    expect(receiver.requestsTo('/hook')).toHaveLength(1);
    expect(receivedAt()).toEqual(['slack', 'teams']);
  });

  it('waits as long as a Retry-After asks when that fits the deadline, then delivers', async () => {
    receiver.failWith(`/slack/${SLACK_TOKEN}`, 503, 1, { 'retry-after': '1' });
    await harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    const [first, second] = receiver.requestsTo(`/slack/${SLACK_TOKEN}`);
    expect(receiver.requestsTo(`/slack/${SLACK_TOKEN}`)).toHaveLength(2);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(receivedAt()).toEqual(['hook', 'slack', 'teams']);
  });

  it('ends a Retry-After past the deadline in a clear error at once, an absurd one too', async () => {
    receiver.failWith(`/slack/${SLACK_TOKEN}`, 429, 3, { 'retry-after': '9999999999999' });
    const error = await failureOf(
      harness.handler(env())(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext()),
    );
    expect(error).not.toBeInstanceOf(RangeError);
    expect(error.message).toBe(
      "slack: the receiver answered HTTP 429 and asked to wait 9,999,999,999,999 s, past this delivery's deadline",
    );
    expect(receiver.requestsTo(`/slack/${SLACK_TOKEN}`)).toHaveLength(1);
  });
});

describe('Routes: a digest per team, from one fetch', () => {
  const [pay1, pay2, research] = SAMPLE_LOG.projects.slice(0, 3).map(({ id }) => ({ id })) as [
    { id: string },
    { id: string },
    { id: string },
  ];
  const routes = () =>
    JSON.stringify([
      {
        name: 'payments',
        project_ids: [pay1.id, pay2.id],
        recipients: ['payments-team@example.com'],
        slack_secret_id: 'usage-digest/slack',
      },
      {
        name: 'research',
        project_ids: [research.id],
        webhook_url: `${base}/research-hook`,
        webhook_signing_secret_id: 'usage-digest/webhook-key',
      },
    ]);

  it('splits one fetch into the organization digest and each team digest, with their own totals', async () => {
    const day = localDayWindow('2026-11-22', 'Europe/Berlin');
    const result = await harness.handler({ ROUTES: routes() })(
      scheduledEvent('2026-11-23T06:00:00Z'),
      lambdaContext(),
    );
    // The same usage requests as without routes: five hourly queries (the day and the 30 before it).
    expect(harness.usageApi.usageRequests()).toHaveLength(5);
    expect(result.total_sessions).toBe(expectedTotal(day.start, day.end));

    const emails = await harness.ses.emails();
    const to = (address: string) => emails.filter((e) => e.destination.to.join(',').includes(address));
    const payments = expectedTotal(day.start, day.end, [pay1.id, pay2.id]);
    expect(to('payments-team@example.com').map((e) => e.subject)).toEqual([
      expect.stringMatching(
        new RegExp(`^Code interpreter sessions 2026-11-22 \\(Europe/Berlin\\): ${payments} · \\$`),
      ),
    ]);
    const paymentsText = to('payments-team@example.com')[0]?.body.text ?? '';
    expect(paymentsText).not.toContain(research.id);
    expect(to(RECIPIENTS[0] as string)[0]?.body.text).toContain(research.id);

    const slack = JSON.parse(receiver.to(`/slack/${SLACK_TOKEN}`)[0]?.body ?? '{}');
    expect(slack.blocks[1].text.text).toMatch(new RegExp(`^${payments} sessions · `));
    const hook = receiver.to('/research-hook')[0];
    expect(verify(hook?.headers ?? {}, hook?.body ?? '', SIGNING_KEY)).toBe(true);
    const researchResult = JSON.parse(hook?.body ?? '{}');
    expect(researchResult.total_sessions).toBe(expectedTotal(day.start, day.end, [research.id]));
    expect(researchResult.projects.map((p: { project_id: string }) => p.project_id)).toEqual([research.id]);
  });

  it('delivers each route once per channel when the day is delivered twice', async () => {
    for (let i = 0; i < 2; i++) {
      await harness.handler({ ROUTES: routes() })(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    }
    expect((await harness.ses.emails()).length).toBe(2);
    expect(receivedAt()).toEqual(['research-hook', 'slack']);
  });

  it('sends a manual range with its own recipients to them alone: no chat, no routes', async () => {
    await harness.handler({ ...env(), ROUTES: routes() })(
      {
        start_time: '2026-11-20',
        end_time: '2026-11-21',
        recipients: ['cto@example.com'],
        idempotency_key: 'cto-1',
      },
      lambdaContext(),
    );
    expect((await harness.ses.emails()).map((e) => e.destination.to)).toEqual([['cto@example.com']]);
    expect(receiver.posts).toEqual([]);
  });
});
