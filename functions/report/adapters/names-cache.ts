import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CachedItem, createTableItemCache, MAX_CACHED_ITEM_BYTES } from './table-item-cache';

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
   * The cached names as `read` gives them, and, from the same read, the exact code interpreter line
   * item names daily runs have seen in the Costs API (sorted), that range reports ask for alone:
   * absent until a daily run has stored some (and in items written before there were any).
   */
  readWithLineItems(): Promise<{ names?: CachedNames; lineItems?: readonly string[] }>;
  /**
   * Stores `names` unless a listing that began later is already stored. Returns false, writing
   * nothing, when they do not fit in one item.
   */
  write(cached: CachedNames): Promise<boolean>;
  /**
   * Adds code interpreter line item names to those stored (a union: none is ever dropped), in the
   * names item whatever its age; `now` in epoch seconds.
   */
  learnLineItems(names: readonly string[], now: number): Promise<void>;
}

/**
 * The names item of the table, stored as gzipped `[[id, name], …]` in attribute `names`, with the
 * learned line item names as a string set in attribute `line_items`.
 */
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
    setAttribute: 'line_items',
  });
  const namesOf = (cached: CachedItem<ReadonlyMap<string, string>>): CachedNames => ({
    names: cached.value,
    listedAt: cached.listedAt,
  });
  return {
    async read() {
      const cached = await item.read();
      return cached && namesOf(cached);
    },
    async readWithLineItems() {
      const { cached, set } = await item.readWithSet();
      return { ...(cached ? { names: namesOf(cached) } : {}), ...(set ? { lineItems: set } : {}) };
    },
    write: ({ names, listedAt }) => item.write({ value: names, listedAt }),
    learnLineItems: (names, now) => item.addToSet(names, now),
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
