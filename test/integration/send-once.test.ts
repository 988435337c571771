import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSendOnce, DELIVERY_RECORD_TTL_SECONDS } from '../../functions/report/adapters/send-once';
import type { DeliveryKey } from '../../functions/report/core/delivery-key';
import { DeliveryInProgressError } from '../../functions/report/errors';
import { lambdaContext } from '../support/harness';
import { startLocalDynamoDb } from '../support/local-aws';

/** At-most-once delivery records in a DynamoDB table (dynalite), through Powertools and the real SDK. */
const TABLE = 'send-once-test';
let db: Awaited<ReturnType<typeof startLocalDynamoDb>>;
beforeAll(async () => {
  db = await startLocalDynamoDb(TABLE);
});
afterAll(() => db.stop());
beforeEach(() => db.clearItems());

const KEY: DeliveryKey = {
  kind: 'daily',
  report: 'daily:2026-11-22',
  start_time: 1_795_302_000,
  end_time: 1_795_388_400,
  time_zone: 'Europe/Berlin',
  project_ids: null,
  recipients: ['ops@example.com'],
};
const records = async () => (await db.client.send(new ScanCommand({ TableName: TABLE }))).Items ?? [];
const sendOnce = () => createSendOnce({ tableName: TABLE, client: db.client });

describe('Function: createSendOnce', () => {
  it('sends, then answers the same key from its completed record, kept three days', async () => {
    let sent = 0;
    const send = async () => `m-${++sent}`;
    const before = Math.floor(Date.now() / 1000);
    expect(await sendOnce()(KEY, lambdaContext(), send)).toEqual({ status: 'sent', messageId: 'm-1' });
    expect(await sendOnce()(KEY, lambdaContext(), send)).toEqual({
      status: 'already-sent',
      messageId: 'm-1',
    });
    expect(sent).toBe(1);
    const [record] = await records();
    expect(record?.status?.S).toBe('COMPLETED');
    expect(Number(record?.expiration?.N) - before).toBeGreaterThanOrEqual(DELIVERY_RECORD_TTL_SECONDS);
    expect(Number(record?.expiration?.N) - before).toBeLessThan(DELIVERY_RECORD_TTL_SECONDS + 5);
    expect(DELIVERY_RECORD_TTL_SECONDS).toBe(3 * 86_400);
  });

  it('sends again for another key', async () => {
    await sendOnce()(KEY, lambdaContext(), async () => 'm-1');
    const other = await sendOnce()({ ...KEY, channel: 'slack' }, lambdaContext(), async () => 'm-2');
    expect(other).toEqual({ status: 'sent', messageId: 'm-2' });
    expect(await records()).toHaveLength(2);
  });

  it('leaves no record when the send fails, so the retry sends', async () => {
    await expect(
      sendOnce()(KEY, lambdaContext(), async () => Promise.reject(new Error('SES down'))),
    ).rejects.toThrow('SES down');
    expect(await records()).toEqual([]);
    expect(await sendOnce()(KEY, lambdaContext(), async () => 'm-2')).toEqual({
      status: 'sent',
      messageId: 'm-2',
    });
  });

  it('marks a delivery in progress until the invocation’s own deadline, and refuses a second meanwhile', async () => {
    let release: (id: string) => void = () => {};
    const before = Date.now();
    const first = sendOnce()(
      KEY,
      lambdaContext(30_000, 'a'),
      () => new Promise((resolve) => (release = resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const [record] = await records();
    expect(record?.status?.S).toBe('INPROGRESS');
    // The record expires with the invocation that holds it: a crashed one frees the key for its retry.
    const until = Number(record?.in_progress_expiration?.N);
    expect(until).toBeGreaterThanOrEqual(before + 29_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 30_000);
    const refused = await sendOnce()(KEY, lambdaContext(30_000, 'b'), async () => 'never').catch(
      (error: unknown) => error as Error,
    );
    expect(refused).toBeInstanceOf(DeliveryInProgressError);
    expect((refused as Error).message).toBe(
      'another delivery of this digest is in progress (or crashed before SES answered); retry after it completes or its record expires',
    );
    expect(((refused as Error).cause as Error).name).toBe('IdempotencyAlreadyInProgressError');
    release('m-1');
    expect(await first).toEqual({ status: 'sent', messageId: 'm-1' });
  });

  it('passes on a table error as it is', async () => {
    const missing = createSendOnce({ tableName: 'no-such-table', client: db.client });
    const error = (await missing(KEY, lambdaContext(), async () => 'm').catch((e: unknown) => e)) as Error;
    expect(error).not.toBeInstanceOf(DeliveryInProgressError);
    expect(error.name).toMatch(/Idempotency/);
  });
});
