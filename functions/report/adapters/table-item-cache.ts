import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_TABLE_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from '../table-schema';

/** DynamoDB's item limit is 400 KB; the rest is the key and the timestamps, with room to spare. */
export const MAX_CACHED_ITEM_BYTES = 350_000;
/** Kept this long after its last refresh, then removed by the table's TTL (a removed install cleans up). */
const CACHE_TTL_SECONDS = 30 * 86_400;

/** A cached value with the time the reads behind it began. */
export interface CachedItem<T> {
  readonly value: T;
  /** Epoch seconds when the reads behind `value` began. */
  readonly listedAt: number;
}

/** One value kept as one item of the stack's table, beside the delivery records. */
export interface TableItemCache<T> {
  /** The cached value, or undefined when there is none (or none readable). Throws on a table error. */
  read(): Promise<CachedItem<T> | undefined>;
  /**
   * The cached value as `read` gives it, and the item's string set (`setAttribute`, sorted), from
   * one read: the set is there even when the value is not. Throws on a table error.
   */
  readWithSet(): Promise<{ cached?: CachedItem<T>; set?: readonly string[] }>;
  /**
   * Stores `value` unless one whose reads began later is already stored. Returns false, writing
   * nothing, when it does not fit in one item.
   */
  write(cached: CachedItem<T>): Promise<boolean>;
  /**
   * Adds `values` to the item's string set (`setAttribute`), whatever its value's age: a union
   * DynamoDB makes atomically (`ADD`), so two runs adding at once both count, and rewrites of the
   * value keep it. `now`: epoch seconds, from which an item holding only the set expires.
   */
  addToSet(values: readonly string[], now: number): Promise<void>;
}

/**
 * A value stored as gzipped JSON in attribute `attribute` of item `key`, with `listed_at` (epoch
 * seconds) and the table's TTL attribute 30 days later. `encode` gives the JSON-able form;
 * `decode` gives the value back, or undefined for anything that is not what `encode` writes.
 * With `setAttribute`, the item also keeps a string set beside the value (an item without it
 * reads as before).
 */
export function createTableItemCache<T>(options: {
  client: DynamoDBClient;
  tableName: string;
  /** The item's partition key value, e.g. `usage-digest#project-names`. */
  key: string;
  /** The attribute holding the gzipped JSON. */
  attribute: string;
  /** @default MAX_CACHED_ITEM_BYTES */
  maxBytes?: number;
  encode: (value: T) => unknown;
  decode: (json: unknown) => T | undefined;
  /** A DynamoDB string set kept beside the value, read with it and added to by `addToSet`. */
  setAttribute?: string;
}): TableItemCache<T> {
  const { client, tableName, attribute, encode, decode, setAttribute } = options;
  const maxBytes = options.maxBytes ?? MAX_CACHED_ITEM_BYTES;
  const Key = { [IDEMPOTENCY_TABLE_KEY]: { S: options.key } };
  const decodeItem = (Item: Record<string, AttributeValue> | undefined): CachedItem<T> | undefined => {
    const listedAt = Number(Item?.listed_at?.N);
    const packed = Item?.[attribute]?.B;
    if (!packed || !Number.isFinite(listedAt)) return undefined;
    try {
      const value = decode(JSON.parse(gunzipSync(packed).toString('utf8')));
      return value === undefined ? undefined : { value, listedAt };
      // Stryker disable next-line BlockStatement: an emptied catch falls through to the same undefined
    } catch {
      // Not what this code writes (an older format, a hand edit): as good as no cache.
      return undefined;
    }
  };
  const readWithSet = async () => {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key }));
    const cached = decodeItem(Item);
    const set = setAttribute ? Item?.[setAttribute]?.SS : undefined;
    return { ...(cached ? { cached } : {}), ...(set ? { set: [...set].sort() } : {}) };
  };
  return {
    read: async () => (await readWithSet()).cached,
    readWithSet,

    async write({ value, listedAt }) {
      // gzip: ids share a prefix and names repeat words, so 1,500 projects take some 30 KB.
      const packed = gzipSync(JSON.stringify(encode(value)));
      if (packed.byteLength > maxBytes) return false;
      try {
        await client.send(
          // An update, not a put: the item's other attributes (its string set) stay.
          new UpdateItemCommand({
            TableName: tableName,
            Key,
            UpdateExpression: 'SET #value = :value, listed_at = :listed, #ttl = :ttl',
            // Two runs refreshing at once: the later reads win, whichever finishes first. An item
            // with no listing yet (only a set) takes any.
            ConditionExpression: 'attribute_not_exists(listed_at) OR listed_at < :listed',
            ExpressionAttributeNames: { '#value': attribute, '#ttl': IDEMPOTENCY_TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':value': { B: packed },
              ':listed': { N: String(listedAt) },
              ':ttl': { N: String(listedAt + CACHE_TTL_SECONDS) },
            },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
      return true;
    },

    async addToSet(values, now) {
      if (!setAttribute) throw new Error(`the cached item ${options.key} keeps no set`);
      if (values.length === 0) return;
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key,
          // A set alone (no value listed yet) still expires with the table's TTL.
          UpdateExpression: 'ADD #set :values SET #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#set': setAttribute, '#ttl': IDEMPOTENCY_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':values': { SS: [...new Set(values)] },
            ':ttl': { N: String(now + CACHE_TTL_SECONDS) },
          },
        }),
      );
    },
  };
}
