import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LIMITS_CACHE_KEY } from '../../functions/report/adapters/limits-cache';
import { createMailer } from '../../functions/report/adapters/mailer';
import { NAMES_CACHE_KEY } from '../../functions/report/adapters/names-cache';
import { IDEMPOTENCY_TTL_ATTRIBUTE } from '../../infra/idempotency-schema';
import { Harness, IDEMPOTENCY_TABLE, lambdaContext, scheduledEvent } from '../support/harness';

const harness = new Harness({ idempotency: true });
const EVENT = scheduledEvent('2026-11-23T06:00:00Z');

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
  await harness.clearDeliveryRecords();
});

/** The delivery records: every item of the table but the cached project names and spend limits. */
async function records() {
  const client = harness.dynamodb?.client;
  if (!client) throw new Error('no DynamoDB');
  const { Items = [] } = await client.send(new ScanCommand({ TableName: IDEMPOTENCY_TABLE }));
  return Items.filter((item) => item.id?.S !== NAMES_CACHE_KEY && item.id?.S !== LIMITS_CACHE_KEY);
}

/** A handler whose SES endpoint refuses connections, as during an SES outage. */
function handlerWithBrokenSes() {
  const deadSes = new SESClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 2 });
  return harness.handler({}, { mailer: (sender) => createMailer(deadSes, sender) });
}

describe('Exactly one digest per scheduled day', () => {
  it('sends once when the same day is delivered twice in a row, and answers both', async () => {
    const first = await harness.handler()(EVENT, lambdaContext(60_000, 'delivery-1'));
    const second = await harness.handler()(EVENT, lambdaContext(60_000, 'delivery-2'));
    expect(second).toEqual(first);
    expect(await harness.ses.emails()).toHaveLength(1);
    const [record] = await records();
    expect(record?.status?.S).toBe('COMPLETED');
    const ttl = Number(record?.[IDEMPOTENCY_TTL_ATTRIBUTE]?.N);
    expect(ttl - Date.now() / 1000).toBeGreaterThan(2.9 * 86_400);
    const [email] = await harness.ses.emails();
    const lines = harness
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(lines.filter((l) => l.message === 'email sent').at(-1)).toMatchObject({
      delivery: 'sent',
      message_id: email?.messageId,
    });
    expect(
      lines.filter((l) => l.message === 'email not sent again: duplicate delivery').at(-1),
    ).toMatchObject({
      delivery: 'already-sent',
      message_id: email?.messageId,
    });
  });

  it('sends once when two deliveries run at the same time: the loser fails, and its retry finds it sent', async () => {
    const outcomes = await Promise.allSettled([
      harness.handler()(EVENT, lambdaContext(60_000, 'delivery-a')),
      harness.handler()(EVENT, lambdaContext(60_000, 'delivery-b')),
    ]);
    const won = outcomes.find((o) => o.status === 'fulfilled');
    const lost = outcomes.find((o) => o.status === 'rejected');
    expect(lost?.reason).toMatchObject({ name: 'DeliveryInProgressError', retryable: true });
    expect(await harness.ses.emails()).toHaveLength(1);
    // Lambda's retry of the loser, a minute later: the record is completed, nothing is sent.
    const retried = await harness.handler()(EVENT, lambdaContext(60_000, 'delivery-b-retry'));
    expect(retried).toEqual(won?.value);
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('fails, rather than reports success, while another delivery holds the record', async () => {
    // A run that wrote its record and then died before SES answered: the record stays in progress.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowSes = harness.handler(
      {},
      {
        mailer: (sender) => {
          const real = createMailer(new SESClient({}), sender);
          return {
            send: async (email) => {
              await held;
              return real.send(email);
            },
          };
        },
      },
    );
    const first = slowSes(EVENT, lambdaContext(60_000, 'first'));
    await vi.waitFor(async () => expect(await records()).toHaveLength(1));
    const refused = (await harness
      .handler()(EVENT, lambdaContext(60_000, 'retry'))
      .catch((e: unknown) => e)) as Error;
    expect(refused.message).toMatch(/another delivery of this digest is in progress/);
    expect((refused.cause as Error).name).toBe('IdempotencyAlreadyInProgressError');
    expect(harness.logs()).toContain('DeliveryInProgressError');
    release();
    await first;
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('sends once when a run fails before sending and is retried', async () => {
    harness.usageApi.inject(
      'usage',
      // Five attempts for each of the daily run's five usage queries: one of them gives up.
      ...Array.from({ length: 25 }, () => ({ kind: 'status', status: 500 }) as const),
    );
    await expect(harness.handler()(EVENT, lambdaContext(32_000))).rejects.toThrow(/HTTP 500/);
    expect(await records()).toHaveLength(0);
    harness.usageApi.reset();
    await harness.handler()(EVENT, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('leaves no completed record when SES fails, so the retry sends', async () => {
    const error = (await handlerWithBrokenSes()(EVENT, lambdaContext()).catch((e: unknown) => e)) as Error;
    // SES's own failure, not taken for a delivery in progress.
    expect(error.name).not.toBe('DeliveryInProgressError');
    expect(error.message).toMatch(/ECONNREFUSED|connect/);
    expect(await harness.ses.emails()).toHaveLength(0);
    expect((await records()).filter((r) => r.status?.S === 'COMPLETED')).toHaveLength(0);

    await harness.handler()(EVENT, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('treats another recipient list as another digest', async () => {
    await harness.handler()(EVENT, lambdaContext());
    await harness.handler()({ ...EVENT, recipients: ['cfo@example.com'] }, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(2);
  });

  it('treats the same recipients, spelled otherwise, as the same digest', async () => {
    await harness.handler()(EVENT, lambdaContext());
    await harness.handler()(
      { ...EVENT, recipients: ' Finance@EXAMPLE.com,ops@example.com, OPS@example.com ' },
      lambdaContext(),
    );
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('never lets a filtered run of the day stand in for the full digest', async () => {
    await harness.handler()({ ...EVENT, project_ids: ['proj_01'] }, lambdaContext());
    await harness.handler()({}, lambdaContext());
    const full = await harness.handler()(EVENT, lambdaContext());
    const emails = await harness.ses.emails();
    expect(emails).toHaveLength(2);
    expect(emails[1]?.subject).toContain(full.total_sessions.toLocaleString('en-US'));
    // The same filter in another order is the same digest.
    await harness.handler()({ ...EVENT, project_ids: ['proj_02', 'proj_01'] }, lambdaContext());
    await harness.handler()({ ...EVENT, project_ids: ['proj_01', 'proj_02'] }, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(3);
  });
});

describe('Weekly and monthly digests, once each', () => {
  it('sends a weekly digest once however often it is delivered, and the daily digest of the same morning too', async () => {
    const handler = harness.handler();
    const weekly = { digest: 'weekly', time: '2026-11-23T06:00:00Z' };
    await handler(weekly, lambdaContext());
    await handler(weekly, lambdaContext());
    await handler({ digest: 'monthly', time: '2026-11-23T06:00:00Z' }, lambdaContext());
    await handler({ digest: 'monthly', time: '2026-11-23T06:00:00Z' }, lambdaContext());
    await handler(scheduledEvent('2026-11-23T06:00:00Z'), lambdaContext());
    const subjects = (await harness.ses.emails()).map((e) => e.subject.split(' 20')[0]);
    expect(subjects).toEqual([
      'Weekly code interpreter sessions',
      'Monthly code interpreter sessions',
      'Code interpreter sessions',
    ]);
  });
});

describe('Manual invokes', () => {
  const RANGE = { start_time: '2026-11-01', end_time: '2026-11-08' };

  it('are not deduplicated without an idempotency_key', async () => {
    await harness.handler()(RANGE, lambdaContext());
    await harness.handler()(RANGE, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(2);
    expect(await records()).toHaveLength(0);
  });

  it('are deduplicated on their idempotency_key', async () => {
    await harness.handler()({ ...RANGE, idempotency_key: 'november-week-1' }, lambdaContext());
    await harness.handler()({ ...RANGE, idempotency_key: 'november-week-1' }, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('never write a record on dry_run', async () => {
    await harness.handler()({ ...EVENT, dry_run: true }, lambdaContext());
    expect(await records()).toHaveLength(0);
    expect(await harness.ses.emails()).toHaveLength(0);
  });
});
