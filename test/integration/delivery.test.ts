import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSendOnce } from '../../functions/report/adapters/send-once';
import { deliveryKey } from '../../functions/report/core/delivery-key';
import { parseEvent } from '../../functions/report/core/event';
import {
  Harness,
  IDEMPOTENCY_TABLE,
  lambdaContext,
  NOW,
  RECIPIENTS,
  SAMPLE_LOG,
  scheduledEvent,
} from '../support/harness';
import { WebhookReceiver } from '../support/receiver';

/**
 * deliverDigest through the handler: who gets which channel, what each delivery logs, and how
 * failures come back, with SES, DynamoDB and the receivers behind their real protocols.
 */
const harness = new Harness({ idempotency: true });
const receiver = new WebhookReceiver();
const DAY = scheduledEvent('2026-11-23T06:00:00Z');
let base: string;

const [pay1, pay2, third, fourth] = SAMPLE_LOG.projects.slice(0, 4).map(({ id }) => id) as [
  string,
  string,
  string,
  string,
];

function channels() {
  return {
    SLACK_WEBHOOK_SECRET_ID: 'delivery/slack',
    TEAMS_WEBHOOK_SECRET_ID: 'delivery/teams',
    WEBHOOK_URL: `${base}/hook`,
    WEBHOOK_SIGNING_SECRET_ID: 'delivery/webhook-key',
  };
}

function route(recipients: readonly string[] | undefined, extra: Record<string, unknown> = {}) {
  return JSON.stringify([
    {
      name: 'payments',
      project_ids: [pay1, pay2],
      recipients,
      slack_secret_id: 'delivery/route-slack',
      ...extra,
    },
  ]);
}

/** The function's JSON log lines since the test began. */
function logLines(): Record<string, unknown>[] {
  return harness
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}
let logStart = 0;
const logsOfTest = () => logLines().slice(logStart);
const messages = (message: string) => logsOfTest().filter((l) => l.message === message);

beforeAll(async () => {
  await harness.start();
  base = await receiver.start();
  harness.secrets.secrets.set('delivery/slack', `${base}/slack`);
  harness.secrets.secrets.set('delivery/route-slack', `${base}/route-slack`);
  harness.secrets.secrets.set('delivery/teams', `${base}/teams`);
  harness.secrets.secrets.set('delivery/webhook-key', 'whsec-delivery');
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
  logStart = logLines().length;
});

describe('Function: deliverDigest', () => {
  it('logs each delivery: the email with its recipients and subject, a post with its status', async () => {
    await harness.handler(channels())(DAY, lambdaContext());
    const [email] = await harness.ses.emails();
    const [emailSent] = messages('email sent');
    expect(emailSent).toMatchObject({
      delivery: 'sent',
      message_id: email?.messageId,
      recipients: RECIPIENTS.length,
      subject: email?.subject,
    });
    expect(emailSent).not.toHaveProperty('route');
    const [slackSent] = messages('slack sent');
    expect(slackSent).toMatchObject({ delivery: 'sent', message_id: 'HTTP 200' });
    expect(slackSent).not.toHaveProperty('recipients');
    expect(slackSent).not.toHaveProperty('subject');
    expect(messages('teams sent')).toEqual([expect.objectContaining({ message_id: 'HTTP 200' })]);
    expect(messages('webhook sent')).toEqual([expect.objectContaining({ message_id: 'HTTP 200' })]);
  });

  it('logs a second delivery of the day as a duplicate, for the email and each post', async () => {
    await harness.handler(channels())(DAY, lambdaContext());
    logStart = logLines().length;
    await harness.handler(channels())(DAY, lambdaContext());
    expect(messages('email not sent again: duplicate delivery')).toEqual([
      expect.objectContaining({ delivery: 'already-sent', recipients: RECIPIENTS.length }),
    ]);
    expect(messages('slack not sent again: duplicate delivery')).toEqual([
      expect.objectContaining({ delivery: 'already-sent', message_id: 'HTTP 200' }),
    ]);
    expect(messages('slack sent')).toEqual([]);
    expect(receiver.requests).toHaveLength(3);
  });

  it('sends every time, and logs no delivery record, without a delivery table', async () => {
    for (let i = 0; i < 2; i++) {
      await harness.handler({ ...channels(), IDEMPOTENCY_TABLE: undefined })(DAY, lambdaContext());
    }
    expect(await harness.ses.emails()).toHaveLength(2);
    expect(receiver.to('/slack')).toHaveLength(2);
    const sent = messages('slack sent');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ message_id: 'HTTP 200' });
    expect(sent[0]).not.toHaveProperty('delivery');
  });

  it('sends every time when a manual run has no idempotency key', async () => {
    const event = { start_time: '2026-11-20', end_time: '2026-11-21' };
    await harness.handler(channels())(event, lambdaContext());
    await harness.handler(channels())(event, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(2);
    expect(messages('email sent')[0]).not.toHaveProperty('delivery');
  });

  it('logs and names a failed channel, and the route it was for', async () => {
    receiver.failWith('/route-slack', 404, 1);
    const error = await harness
      .handler({ ROUTES: route(['payments@example.com']) })(DAY, lambdaContext())
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('slack: the receiver answered HTTP 404');
    expect(messages('delivery failed on a channel')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        route: 'payments',
        error: expect.objectContaining({ message: 'slack: the receiver answered HTTP 404' }),
      }),
    ]);
    expect(messages('slack sent')).toEqual([]);
    expect(messages('email sent').map((l) => l.route)).toEqual(
      expect.arrayContaining([undefined, 'payments']),
    );
  });

  it('logs a failure of the organization digest with no route', async () => {
    receiver.failWith('/slack', 404, 1);
    await harness
      .handler(channels())(DAY, lambdaContext())
      .catch(() => undefined);
    const [failed] = messages('delivery failed on a channel');
    expect(failed).toMatchObject({ error: { name: 'ChannelError' } });
    expect(failed).not.toHaveProperty('route');
  });

  it('gives a route its own trend: each project compared with its own figures, as in the whole digest', async () => {
    // Not the organization's top two: a route compared by the organization's rows would show their change.
    const projects = { project_ids: [third, fourth] };
    await harness.handler({ ...channels(), ROUTES: route(['payments@example.com'], projects) })(
      DAY,
      lambdaContext(),
    );
    /** The top-projects lines of a Slack post, by project id. */
    const linesOf = (path: string): Map<string, string> => {
      const slack = JSON.parse(receiver.to(path)[0]?.body ?? '{}');
      const top = slack.blocks.find((b: { text?: { text: string } }) => b.text?.text.startsWith('*'));
      return new Map(
        (top.text.text as string).split('\n').map((line) => [line.match(/`([^`]+)`/)?.[1] ?? '', line]),
      );
    };
    const whole = linesOf('/slack');
    const team = linesOf('/route-slack');
    expect([...team.keys()].sort()).toEqual([third, fourth].sort());
    expect([...whole.keys()].slice(0, 2)).not.toContain(third);
    for (const [id, line] of team) {
      expect(line).toMatch(/ vs last Sun · `[▁-█]{14}`$/);
      expect(line).toBe(whole.get(id));
    }
  });

  it('keys a route by its recipients in any case and order: a change of spelling sends nothing again', async () => {
    await harness.handler({ ROUTES: route(['B@example.com', 'a@example.com']) })(DAY, lambdaContext());
    await harness.handler({ ROUTES: route(['A@example.com', 'b@example.com']) })(DAY, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(2);
    await harness.handler({ ROUTES: route(['a@example.com', 'c@example.com']) })(DAY, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(3);
  });

  it.each([
    ['a filtered run', { time: '2026-11-23T06:00:00Z', project_ids: [pay1] }],
    ['a range', { start_time: '2026-11-20', end_time: '2026-11-21', idempotency_key: 'range-1' }],
    ['a day for its own recipients', { time: '2026-11-23T06:00:00Z', recipients: ['cto@example.com'] }],
  ])('sends %s by email alone: no chat, no webhook, no routes', async (_, event) => {
    await harness.handler({ ...channels(), ROUTES: route(['payments@example.com']) })(event, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(receiver.requests).toEqual([]);
  });

  it('mails nobody for a route without recipients, and still posts its channel', async () => {
    await harness.handler({ ROUTES: route(undefined) })(DAY, lambdaContext());
    const emails = await harness.ses.emails();
    expect(emails.map((e) => e.destination.to.flatMap((to) => to.split(/,\s*/)))).toEqual([RECIPIENTS]);
    expect(receiver.to('/route-slack')).toHaveLength(1);
  });

  it('on QUIET, leaves out each audience with nothing unusual, saying so for each', async () => {
    await harness.handler({ ...channels(), QUIET: 'true', ROUTES: route(['payments@example.com']) })(
      DAY,
      lambdaContext(),
    );
    expect(await harness.ses.emails()).toEqual([]);
    expect(receiver.requests).toEqual([]);
    const quiet = messages('quiet: nothing unusual');
    expect(quiet).toHaveLength(2);
    expect(quiet[0]).not.toHaveProperty('route');
    expect(quiet[1]).toMatchObject({ route: 'payments' });
  });

  it('on QUIET, still sends a digest that has no unusual list (a range)', async () => {
    await harness.handler({ ...channels(), QUIET: 'true' })(
      { start_time: '2026-11-16', end_time: '2026-11-23', idempotency_key: 'week-47' },
      lambdaContext(),
    );
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  describe('the delivery keys, as records already written under them', () => {
    /** Marks a delivery of DAY as done under `extra` added to the day's key, as an earlier run would have. */
    async function recordDone(extra: Record<string, unknown>): Promise<void> {
      const request = parseEvent(DAY, {
        now: Math.floor(NOW / 1000),
        timeZone: 'Europe/Berlin',
        recipients: RECIPIENTS,
        allowedRecipientDomains: ['example.com'],
      });
      const key = deliveryKey(request);
      if (!key || !harness.dynamodb) throw new Error('no key or no table');
      const sendOnce = createSendOnce({ tableName: IDEMPOTENCY_TABLE, client: harness.dynamodb.client });
      await sendOnce({ ...key, ...extra }, lambdaContext(), async () => 'sent-before');
    }

    it('keeps the email key as it always was: no channel in it', async () => {
      await recordDone({});
      await harness.handler()(DAY, lambdaContext());
      expect(await harness.ses.emails()).toEqual([]);
    });

    it('keys a route by its name and its recipients, lower-cased and sorted', async () => {
      await recordDone({ route: 'payments', recipients: ['a@example.com', 'b@example.com'] });
      await harness.handler({ ROUTES: route(['B@example.com', 'A@example.com']) })(DAY, lambdaContext());
      const emails = await harness.ses.emails();
      expect(emails.map((e) => e.destination.to.flatMap((to) => to.split(/,\s*/)))).toEqual([RECIPIENTS]);
    });
  });
});
