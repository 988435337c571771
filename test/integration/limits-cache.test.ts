import { gunzipSync, gzipSync } from 'node:zlib';
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createLimitsCache,
  LIMITS_CACHE_KEY,
  MAX_LIMITS_BYTES,
} from '../../functions/report/adapters/limits-cache';
import { NO_SPEND_LIMIT } from '../../functions/report/core/spend-limit';
import { startLocalDynamoDb } from '../support/local-aws';

/** The spend-limits item in a DynamoDB table (dynalite), through the real SDK client. */
const TABLE = 'limits-cache-test';
let db: Awaited<ReturnType<typeof startLocalDynamoDb>>;

beforeAll(async () => {
  db = await startLocalDynamoDb(TABLE);
});
afterAll(() => db.stop());
beforeEach(() => db.clearItems());

const cache = (maxBytes?: number) =>
  createLimitsCache({ client: db.client, tableName: TABLE, ...(maxBytes ? { maxBytes } : {}) });
const LIMITS = new Map([
  ['proj_a', { limitUsd: 400, enforcing: true }],
  ['proj_b', { limitUsd: 12.5, enforcing: false }],
  ['proj_c', NO_SPEND_LIMIT],
]);
const T = 1_795_000_000;
const item = async () =>
  (await db.client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: LIMITS_CACHE_KEY } } }))).Item;
const put = (fields: Record<string, AttributeValue>) =>
  db.client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: LIMITS_CACHE_KEY }, ...fields } }));
const rows = (json: string) => ({ listed_at: { N: String(T) }, limits: { B: gzipSync(json) } });

describe('Function: createLimitsCache', () => {
  it('reads nothing from an empty table', async () => {
    expect(await cache().read()).toBeUndefined();
  });

  it('writes the limits gzipped as [id, USD or null, 1 enforcing / 0] under its own key, with a 30-day expiry', async () => {
    expect(await cache().write({ limits: LIMITS, listedAt: T })).toBe(true);
    const stored = await item();
    expect(Object.keys(stored ?? {}).sort()).toEqual(['expiration', 'id', 'limits', 'listed_at']);
    expect(stored?.id).toEqual({ S: 'usage-digest#spend-limits' });
    expect(stored?.listed_at).toEqual({ N: String(T) });
    expect(stored?.expiration).toEqual({ N: String(T + 30 * 86_400) });
    expect(JSON.parse(gunzipSync(stored?.limits?.B as Uint8Array).toString('utf8'))).toEqual([
      ['proj_a', 400, 1],
      ['proj_b', 12.5, 0],
      ['proj_c', null, 0],
    ]);
    expect(await cache().read()).toEqual({ limits: LIMITS, listedAt: T });
    expect(LIMITS_CACHE_KEY).toBe('usage-digest#spend-limits');
  });

  it('keeps the limits stored by reads that began at the same time or later', async () => {
    const older = new Map([['proj_a', NO_SPEND_LIMIT]]);
    await cache().write({ limits: LIMITS, listedAt: T });
    expect(await cache().write({ limits: older, listedAt: T })).toBe(true);
    expect(await cache().write({ limits: older, listedAt: T - 1 })).toBe(true);
    expect(await cache().read()).toEqual({ limits: LIMITS, listedAt: T });
    await cache().write({ limits: older, listedAt: T + 1 });
    expect(await cache().read()).toEqual({ limits: older, listedAt: T + 1 });
  });

  it('writes nothing, and says so, when the limits do not fit in the bytes allowed', async () => {
    expect(await cache(20).write({ limits: LIMITS, listedAt: T })).toBe(false);
    expect(await item()).toBeUndefined();
    const packed = gzipSync(
      JSON.stringify([
        ['proj_a', 400, 1],
        ['proj_b', 12.5, 0],
        ['proj_c', null, 0],
      ]),
    ).byteLength;
    expect(await cache(packed + 1).write({ limits: LIMITS, listedAt: T })).toBe(true);
    await db.clearItems();
    expect(await cache(packed).write({ limits: LIMITS, listedAt: T })).toBe(true);
    await db.clearItems();
    expect(await cache(packed - 1).write({ limits: LIMITS, listedAt: T })).toBe(false);
    expect(MAX_LIMITS_BYTES).toBe(350_000);
  });

  it('passes on a table error other than a lost race', async () => {
    const missing = createLimitsCache({ client: db.client, tableName: 'no-such-table' });
    await expect(missing.write({ limits: LIMITS, listedAt: T })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(missing.read()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it.each([
    ['no limits', { listed_at: { N: String(T) } }],
    ['no listing time', { limits: { B: gzipSync('[]') } }],
    ['a listing time that is no number', { listed_at: { S: 'yesterday' }, limits: { B: gzipSync('[]') } }],
    ['limits not gzipped', { listed_at: { N: String(T) }, limits: { B: Buffer.from('[]') } }],
    ['limits not JSON', rows('[[')],
    ['limits not a list', rows('{"a":[null,0]}')],
    ['limits an empty text', rows('""')],
    ['a row that is not a list', rows('[["a",null,0],"b"]')],
    ['a row of two', rows('[["a",null]]')],
    ['a row of four', rows('[["a",null,0,0]]')],
    ['an id that is not text', rows('[[1,null,0]]')],
    ['a limit that is text', rows('[["a","5",0]]')],
    ['a negative limit', rows('[["a",-1,0]]')],
    ['a limit past any number', rows('[["a",1e999,0]]')],
    ['an enforcement that is true', rows('[["a",5,true]]')],
    ['an enforcement of 2', rows('[["a",5,2]]')],
    ['a second row that is malformed', rows('[["a",5,1],["b",5,"1"]]')],
  ])('reads an item with %s as no cache', async (_, fields) => {
    await put(fields as Record<string, AttributeValue>);
    expect(await cache().read()).toBeUndefined();
  });

  it('reads an empty list as no limits known, not as none; a zero limit as zero', async () => {
    await put(rows('[]'));
    expect(await cache().read()).toEqual({ limits: new Map(), listedAt: T });
    await put(rows('[["a",0,1],["b",null,0]]'));
    expect(await cache().read()).toEqual({
      limits: new Map([
        ['a', { limitUsd: 0, enforcing: true }],
        ['b', { limitUsd: null, enforcing: false }],
      ]),
      listedAt: T,
    });
  });
});
