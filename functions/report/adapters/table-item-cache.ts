import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
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
   * Stores `value` unless one whose reads began later is already stored. Returns false, writing
   * nothing, when it does not fit in one item.
   */
  write(cached: CachedItem<T>): Promise<boolean>;
}

/**
 * A value stored as gzipped JSON in attribute `attribute` of item `key`, with `listed_at` (epoch
 * seconds) and the table's TTL attribute 30 days later. `encode` gives the JSON-able form;
 * `decode` gives the value back, or undefined for anything that is not what `encode` writes.
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
}): TableItemCache<T> {
  const { client, tableName, attribute, encode, decode } = options;
  const maxBytes = options.maxBytes ?? MAX_CACHED_ITEM_BYTES;
  const Key = { [IDEMPOTENCY_TABLE_KEY]: { S: options.key } };
  return {
    async read() {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key }));
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
    },

    async write({ value, listedAt }) {
      // gzip: ids share a prefix and names repeat words, so 1,500 projects take some 30 KB.
      const packed = gzipSync(JSON.stringify(encode(value)));
      if (packed.byteLength > maxBytes) return false;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...Key,
              [attribute]: { B: packed },
              listed_at: { N: String(listedAt) },
              [IDEMPOTENCY_TTL_ATTRIBUTE]: { N: String(listedAt + CACHE_TTL_SECONDS) },
            },
            // Two runs refreshing at once: the later reads win, whichever finishes first.
            ConditionExpression: 'attribute_not_exists(#key) OR listed_at < :listed',
            ExpressionAttributeNames: { '#key': IDEMPOTENCY_TABLE_KEY },
            ExpressionAttributeValues: { ':listed': { N: String(listedAt) } },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
      return true;
    },
  };
}
