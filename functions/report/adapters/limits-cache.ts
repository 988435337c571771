import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SpendLimit } from '../core/spend-limit';
import { createTableItemCache, MAX_CACHED_ITEM_BYTES } from './table-item-cache';

/**
 * The projects' hard spend limits, kept as one item of the stack's table beside the names
 * (`usage-digest#project-names`) and the delivery records, so a daily run at 1,500 projects reads
 * them with one request instead of 1,500.
 */
export const LIMITS_CACHE_KEY = 'usage-digest#spend-limits';
/** DynamoDB's item limit is 400 KB; the rest is the key and the timestamps, with room to spare. */
export const MAX_LIMITS_BYTES = MAX_CACHED_ITEM_BYTES;

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

/** The spend-limits item of the table, stored as gzipped StoredLimit rows in attribute `limits`. */
export function createLimitsCache(options: {
  client: DynamoDBClient;
  tableName: string;
  maxBytes?: number;
}): LimitsCache {
  const item = createTableItemCache<ReadonlyMap<string, SpendLimit>>({
    ...options,
    key: LIMITS_CACHE_KEY,
    attribute: 'limits',
    maxBytes: options.maxBytes ?? MAX_LIMITS_BYTES,
    encode: (limits) => [...limits].map(([id, l]): StoredLimit => [id, l.limitUsd, l.enforcing ? 1 : 0]),
    decode: decodeLimits,
  });
  return {
    async read() {
      const cached = await item.read();
      return cached && { limits: cached.value, listedAt: cached.listedAt };
    },
    write: ({ limits, listedAt }) => item.write({ value: limits, listedAt }),
  };
}

function decodeLimits(rows: unknown): Map<string, SpendLimit> | undefined {
  if (!Array.isArray(rows)) return undefined;
  const limits = new Map<string, SpendLimit>();
  for (const row of rows) {
    if (!isStoredLimit(row)) return undefined;
    limits.set(row[0], { limitUsd: row[1], enforcing: row[2] === 1 });
  }
  return limits;
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
