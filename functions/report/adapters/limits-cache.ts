import { gunzipSync, gzipSync } from 'node:zlib';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { SpendLimit } from '../core/spend-limit';
import { IDEMPOTENCY_TABLE_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from '../table-schema';

/**
 * The projects' hard spend limits, kept as one item of the stack's table beside the names
 * (`usage-digest#project-names`) and the delivery records, so a daily run at 1,500 projects reads
 * them with one request instead of 1,500.
 */
export const LIMITS_CACHE_KEY = 'usage-digest#spend-limits';
/** DynamoDB's item limit is 400 KB; the rest is the key and the timestamps, with room to spare. */
export const MAX_LIMITS_BYTES = 350_000;
/** Kept this long after its last refresh, then removed by the table's TTL (a removed install cleans up). */
const CACHE_TTL_SECONDS = 30 * 86_400;

export interface CachedLimits {
  /** Project id → its hard limit (NO_SPEND_LIMIT's shape when it has none). */
  readonly limits: ReadonlyMap<string, SpendLimit>;
  /** Epoch seconds when the reads behind these limits began. */
  readonly listedAt: number;
}

export interface LimitsCache {
  /** The cached limits, or undefined when there are none (or none readable). Throws on a table error. */
  read(): Promise<CachedLimits | undefined>;
  /**
   * Stores `limits` unless reads that began later are already stored. Returns false, writing
   * nothing, when they do not fit in one item.
   */
  write(cached: CachedLimits): Promise<boolean>;
}

/** One project's limit as stored: `[id, limit USD or null, 1 when enforcing else 0]`. */
type StoredLimit = [string, number | null, 0 | 1];

export function createLimitsCache(options: {
  client: DynamoDBClient;
  tableName: string;
  maxBytes?: number;
}): LimitsCache {
  const { client, tableName } = options;
  const maxBytes = options.maxBytes ?? MAX_LIMITS_BYTES;
  const Key = { [IDEMPOTENCY_TABLE_KEY]: { S: LIMITS_CACHE_KEY } };
  return {
    async read() {
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key }));
      const listedAt = Number(Item?.listed_at?.N);
      const packed = Item?.limits?.B;
      if (!packed || !Number.isFinite(listedAt)) return undefined;
      try {
        const rows: unknown = JSON.parse(gunzipSync(packed).toString('utf8'));
        if (!Array.isArray(rows)) return undefined;
        const limits = new Map<string, SpendLimit>();
        for (const row of rows) {
          if (!isStoredLimit(row)) return undefined;
          limits.set(row[0], { limitUsd: row[1], enforcing: row[2] === 1 });
        }
        return { limits, listedAt };
      } catch {
        // Not what this code writes (an older format, a hand edit): as good as no cache.
      }
      return undefined;
    },

    async write({ limits, listedAt }) {
      const rows: StoredLimit[] = [...limits].map(([id, l]) => [id, l.limitUsd, l.enforcing ? 1 : 0]);
      const packed = gzipSync(JSON.stringify(rows));
      if (packed.byteLength > maxBytes) return false;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              ...Key,
              limits: { B: packed },
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

function isStoredLimit(row: unknown): row is StoredLimit {
  return (
    Array.isArray(row) &&
    row.length === 3 &&
    typeof row[0] === 'string' &&
    (row[1] === null || isUsd(row[1])) &&
    (row[2] === 0 || row[2] === 1)
  );
}

/** A stored limit in USD: finite (Number.isFinite is false of anything but a number) and not negative. */
function isUsd(value: unknown): value is number {
  return Number.isFinite(value) && (value as number) >= 0;
}
