import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableItemCache, MAX_CACHED_ITEM_BYTES } from './table-item-cache';

/**
 * The project id → name map, kept as one item of the stack's table beside the delivery records
 * (whose keys are `<function>#<hash>`), so a run names 1,500 projects with one read instead of
 * 15 listing pages one after another.
 */
export const NAMES_CACHE_KEY = 'usage-digest#project-names';
/** DynamoDB's item limit is 400 KB; the rest is the key and the timestamps, with room to spare. */
export const MAX_NAMES_BYTES = MAX_CACHED_ITEM_BYTES;

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

/** The names item of the table, stored as gzipped `[[id, name], …]` in attribute `names`. */
export function createNamesCache(options: {
  client: DynamoDBClient;
  tableName: string;
  maxBytes?: number;
}): NamesCache {
  const item = createTableItemCache<ReadonlyMap<string, string>>({
    ...options,
    key: NAMES_CACHE_KEY,
    attribute: 'names',
    maxBytes: options.maxBytes ?? MAX_NAMES_BYTES,
    encode: (names) => [...names],
    decode: decodeNames,
  });
  return {
    async read() {
      const cached = await item.read();
      return cached && { names: cached.value, listedAt: cached.listedAt };
    },
    write: ({ names, listedAt }) => item.write({ value: names, listedAt }),
  };
}

function decodeNames(pairs: unknown): Map<string, string> | undefined {
  if (!Array.isArray(pairs)) return undefined;
  const names = new Map<string, string>();
  for (const pair of pairs) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return undefined;
    names.set(pair[0], pair[1]);
  }
  return names;
}
