import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { IDEMPOTENCY_TABLE_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from '../table-schema';

/**
 * The project id → name map, kept as one item of the stack's table beside the delivery records
 * (whose keys are `<function>#<hash>`), so a run names 1,500 projects with one read instead of
 * 15 listing pages one after another.
 */
export const NAMES_CACHE_KEY = 'usage-digest#project-names';
/** DynamoDB's item limit is 400 KB; the rest is the key and the timestamps, with room to spare. */
export const MAX_NAMES_BYTES = 350_000;
/** Kept this long after its last refresh, then removed by the table's TTL (a removed install cleans up). */
const CACHE_TTL_SECONDS = 30 * 86_400;

export interface CachedNames {
  readonly names: ReadonlyMap<string, string>;
  /** Epoch seconds when the listing behind these names began. */
  readonly listedAt: number;
}

export interface NamesCache {
  /** The cached names, or undefined when there are none (or none readable). Throws on a table error. */
  read(): Promise<CachedNames | undefined>;
  /**
   * Stores `names` unless a listing that began later is already stored. Returns false, writing
   * nothing, when they do not fit in one item.
   */
  write(cached: CachedNames): Promise<boolean>;
}

export function createNamesCache(options: {
  client: DynamoDBClient;
  tableName: string;
  maxBytes?: number;
}): NamesCache {
  const { client, tableName } = options;
  const maxBytes = options.maxBytes ?? MAX_NAMES_BYTES;
  const Key = { [IDEMPOTENCY_TABLE_KEY]: { S: NAMES_CACHE_KEY } };
  return {
    async read() {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key }));
      const listedAt = Number(Item?.listed_at?.N);
      const packed = Item?.names?.B;
      if (!packed || !Number.isFinite(listedAt)) return undefined;
      try {
        const pairs: unknown = JSON.parse(gunzipSync(packed).toString('utf8'));
        if (!Array.isArray(pairs)) return undefined;
        const names = new Map<string, string>();
        for (const pair of pairs) {
          if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
            return undefined;
          }
          names.set(pair[0], pair[1]);
        }
        return { names, listedAt };
        // Stryker disable next-line BlockStatement: an emptied catch falls through to the same undefined
      } catch {
        // Not what this code writes (an older format, a hand edit): as good as no cache.
        return undefined;
      }
    },

    async write({ names, listedAt }) {
      // gzip: names repeat words and ids share a prefix, so 1,500 projects take some 30 KB.
      const packed = gzipSync(JSON.stringify([...names]));
      if (packed.byteLength > maxBytes) return false;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...Key,
              names: { B: packed },
              listed_at: { N: String(listedAt) },
              [IDEMPOTENCY_TTL_ATTRIBUTE]: { N: String(listedAt + CACHE_TTL_SECONDS) },
            },
            // Two runs refreshing at once: the later listing wins, whichever finishes first.
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
