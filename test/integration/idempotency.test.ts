import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from '../../functions/report/adapters/mailer';
import { IDEMPOTENCY_TTL_ATTRIBUTE } from '../../infra/idempotency-schema';
import { Harness, IDEMPOTENCY_TABLE, lambdaContext, scheduledEvent } from '../support/harness';

const harness = new Harness({ idempotency: true });
const EVENT = scheduledEvent('2026-11-23T06:00:00Z');

beforeAll(() => harness.start());
afterAll(() => harness.stop());
beforeEach(async () => {
  await harness.ses.clear();
  harness.usageApi.reset();
  await clearTable();
});

async function records() {
  const client = harness.dynamodb?.client;
  if (!client) throw new Error('no DynamoDB');
  const { Items = [] } = await client.send(new ScanCommand({ TableName: IDEMPOTENCY_TABLE }));
  return Items;
}

async function clearTable() {
  const client = harness.dynamodb?.client;
  if (!client) return;
  for (const item of await records()) {
    await client.send(
      new DeleteItemCommand({ TableName: IDEMPOTENCY_TABLE, Key: { id: item.id as { S: string } } }),
    );
  }
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
    expect(harness.logs()).toContain('duplicate delivery');
  });

  it('sends once when two deliveries run at the same time', async () => {
    const results = await Promise.all([
      harness.handler()(EVENT, lambdaContext(60_000, 'delivery-a')),
      harness.handler()(EVENT, lambdaContext(60_000, 'delivery-b')),
    ]);
    expect(results[0]).toEqual(results[1]);
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('sends once when a run fails before sending and is retried', async () => {
    harness.usageApi.inject(
      'usage',
      ...Array.from({ length: 10 }, () => ({ kind: 'status', status: 500 }) as const),
    );
    await expect(harness.handler()(EVENT, lambdaContext(12_000))).rejects.toThrow(/HTTP 500/);
    expect(await records()).toHaveLength(0);
    harness.usageApi.reset();
    await harness.handler()(EVENT, lambdaContext());
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('leaves no completed record when SES fails, so the retry sends', async () => {
    await expect(handlerWithBrokenSes()(EVENT, lambdaContext())).rejects.toThrow();
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
