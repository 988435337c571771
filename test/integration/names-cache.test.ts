import { gzipSync } from 'node:zlib';
import { type AttributeValue, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createNamesCache,
  MAX_NAMES_BYTES,
  NAMES_CACHE_KEY,
} from '../../functions/report/adapters/names-cache';
import { startLocalDynamoDb } from '../support/local-aws';

/** The names item in a DynamoDB table (dynalite), through the real SDK client. */
const TABLE = 'names-cache-test';
let db: Awaited<ReturnType<typeof startLocalDynamoDb>>;

beforeAll(async () => {
  db = await startLocalDynamoDb(TABLE);
});
afterAll(() => db.stop());
beforeEach(() => db.clearItems());

const cache = (maxBytes?: number) =>
  createNamesCache({ client: db.client, tableName: TABLE, ...(maxBytes ? { maxBytes } : {}) });
const NAMES = new Map([
  ['proj_a', 'Support Copilot'],
  ['proj_b', 'Data — Ünïcode'],
]);
const T = 1_795_000_000;
const item = async () =>
  (await db.client.send(new GetItemCommand({ TableName: TABLE, Key: { id: { S: NAMES_CACHE_KEY } } }))).Item;
const put = (fields: Record<string, AttributeValue>) =>
  db.client.send(new PutItemCommand({ TableName: TABLE, Item: { id: { S: NAMES_CACHE_KEY }, ...fields } }));

describe('Function: createNamesCache', () => {
  it('reads nothing from an empty table', async () => {
    expect(await cache().read()).toBeUndefined();
  });

  it('writes the names gzipped under its own key, with the listing time and a 30-day expiry', async () => {
    expect(await cache().write({ names: NAMES, listedAt: T })).toBe(true);
    const stored = await item();
    expect(stored?.listed_at).toEqual({ N: String(T) });
    expect(stored?.expiration).toEqual({ N: String(T + 30 * 86_400) });
    expect(await cache().read()).toEqual({ names: NAMES, listedAt: T });
    expect(NAMES_CACHE_KEY).toBe('usage-digest#project-names');
  });

  it('keeps the names stored by a listing that began at the same time or later', async () => {
    await cache().write({ names: NAMES, listedAt: T });
    expect(await cache().write({ names: new Map([['proj_a', 'older']]), listedAt: T })).toBe(true);
    expect(await cache().write({ names: new Map([['proj_a', 'oldest']]), listedAt: T - 1 })).toBe(true);
    expect((await cache().read())?.names).toEqual(NAMES);
    await cache().write({ names: new Map([['proj_a', 'newer']]), listedAt: T + 1 });
    expect(await cache().read()).toEqual({ names: new Map([['proj_a', 'newer']]), listedAt: T + 1 });
  });

  it('writes nothing, and says so, when the names do not fit in the bytes allowed', async () => {
    expect(await cache(20).write({ names: NAMES, listedAt: T })).toBe(false);
    expect(await item()).toBeUndefined();
    const packed = gzipSync(JSON.stringify([...NAMES])).byteLength;
    expect(await cache(packed).write({ names: NAMES, listedAt: T })).toBe(true);
    expect(MAX_NAMES_BYTES).toBe(350_000);
  });

  it('passes on a table error other than a lost race', async () => {
    const missing = createNamesCache({ client: db.client, tableName: 'no-such-table' });
    await expect(missing.write({ names: NAMES, listedAt: T })).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(missing.read()).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it.each([
    ['no names', { listed_at: { N: String(T) } }],
    ['no listing time', { names: { B: gzipSync('[]') } }],
    ['a listing time that is no number', { listed_at: { S: 'yesterday' }, names: { B: gzipSync('[]') } }],
    ['names not gzipped', { listed_at: { N: String(T) }, names: { B: Buffer.from('[]') } }],
    ['names not JSON', { listed_at: { N: String(T) }, names: { B: gzipSync('[[') } }],
    ['names not a list', { listed_at: { N: String(T) }, names: { B: gzipSync('{"a":"b"}') } }],
    ['a pair that is not a pair', { listed_at: { N: String(T) }, names: { B: gzipSync('[["a","b"],"c"]') } }],
    ['an id that is not text', { listed_at: { N: String(T) }, names: { B: gzipSync('[[1,"b"]]') } }],
    ['a name that is not text', { listed_at: { N: String(T) }, names: { B: gzipSync('[["a",null]]') } }],
  ])('reads an item with %s as no cache', async (_, fields) => {
    await put(fields as Record<string, AttributeValue>);
    expect(await cache().read()).toBeUndefined();
  });

  it('reads an empty listing as an empty map, not as none', async () => {
    await put({ listed_at: { N: String(T) }, names: { B: gzipSync('[]') } });
    expect(await cache().read()).toEqual({ names: new Map(), listedAt: T });
  });
});

describe('Function: createNamesCache, line item names', () => {
  it('reads an item written before line items were kept: the names, and no line items', async () => {
    // The item as the previous version put it: names and listed_at only.
    await put({
      names: { B: gzipSync(JSON.stringify([...NAMES])) },
      listed_at: { N: String(T) },
      expiration: { N: String(T + 30 * 86_400) },
    });
    expect(await cache().read()).toEqual({ names: NAMES, listedAt: T });
    expect(await cache().readWithLineItems()).toEqual({ names: { names: NAMES, listedAt: T } });
  });

  it('adds line items as a set (a union), kept when the names are rewritten, and readable before any names', async () => {
    await cache().learnLineItems(['code interpreter sessions'], T);
    expect(await cache().readWithLineItems()).toEqual({ lineItems: ['code interpreter sessions'] });
    expect((await item())?.expiration).toEqual({ N: String(T + 30 * 86_400) });
    await cache().write({ names: NAMES, listedAt: T });
    await cache().learnLineItems(['Code Interpreter sessions', 'code interpreter sessions'], T + 1);
    await cache().write({ names: new Map([['proj_a', 'newer']]), listedAt: T + 2 });
    expect(await cache().readWithLineItems()).toEqual({
      names: { names: new Map([['proj_a', 'newer']]), listedAt: T + 2 },
      lineItems: ['Code Interpreter sessions', 'code interpreter sessions'],
    });
    expect((await item())?.expiration).toEqual({ N: String(T + 2 + 30 * 86_400) });
  });
});
