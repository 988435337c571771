import type { NamesCache } from './adapters/names-cache';
import { isCodeInterpreterLine } from './core/cost';
import { errorSummary } from './errors';
import type { ReportLogger } from './logger';

/**
 * Cached names are shown only while younger than this: a day, as a day runs in the report's zone
 * (25 hours when the clocks go back), so a daily schedule always finds the names its previous run
 * stored, and no name is ever more than a day old.
 */
export const NAMES_MAX_AGE_SECONDS = 25 * 3_600;
/**
 * A run that finds names older than this lists the projects in its background and stores them for
 * the next: a daily schedule refreshes them once a day, a manual run soon after does not.
 */
export const NAMES_REFRESH_AFTER_SECONDS = 20 * 3_600;

/** Project id → name for a report, started when built so it runs alongside the usage queries. */
export interface ProjectNames {
  /** Names covering `ids` when it can; throws when the projects could not be listed and nothing fresh is cached. */
  namesFor(ids: readonly string[]): Promise<ReadonlyMap<string, string>>;
  /** Settles once a background refresh has been stored (or has failed, logged): await before returning. */
  settled(): Promise<void>;
  /**
   * The exact code interpreter line item names daily runs have seen, kept with the names: a range
   * report asks the Costs API for those lines alone. Undefined (or absent) when none are known: ask
   * for every line.
   */
  lineItems?(): Promise<readonly string[] | undefined>;
  /** Keeps the code interpreter line item names a daily run saw, for the ranges after it (in the background). */
  learnLineItems?(seen: Iterable<string>): void;
}

/** Lists the projects on every run (the CLI, and the function without a table). */
export function listedNames(list: () => Promise<Map<string, string>>): ProjectNames {
  const listing = list();
  // Handled where it is awaited; this keeps an unawaited failure from being unhandled.
  listing.catch(() => {});
  return { namesFor: () => listing, settled: async () => {} };
}

/**
 * Names from the table when they are fresh and know every project the report shows; otherwise
 * the listing, which is then stored. A table that cannot be read or written costs the listing,
 * never the report.
 */
export function cachedNames(options: {
  cache: NamesCache;
  list: () => Promise<Map<string, string>>;
  /** Epoch seconds. */
  now: () => number;
  logger: ReportLogger;
}): ProjectNames {
  const { cache, logger, now } = options;
  let listing: Promise<Map<string, string>> | undefined;
  const refresh = (why: string): Promise<Map<string, string>> => {
    if (listing) return listing;
    listing = (async () => {
      logger.info('listing project names', { why });
      const listedAt = now();
      const names = await options.list();
      try {
        if (!(await cache.write({ names, listedAt }))) {
          logger.warn('project names not cached: too many to fit in one item; every run lists them', {
            projects: names.size,
          });
        }
      } catch (error) {
        logger.warn('project names not cached', { error: errorSummary(error) });
      }
      return names;
    })();
    // Told once, with the reason it was started, however many callers await it.
    listing.catch((error: unknown) => {
      logger.warn('project names not listed', { why, error: errorSummary(error) });
    });
    return listing;
  };

  const stored = cache.readWithLineItems();
  const fresh = stored.then(
    ({ names: cached }) => {
      const age = cached ? now() - cached.listedAt : Number.POSITIVE_INFINITY;
      // Started at once when stale: alongside the usage queries when it is needed, else in the background.
      if (age > NAMES_REFRESH_AFTER_SECONDS) {
        void refresh(cached ? `the cached names are ${Math.round(age / 3_600)} h old` : 'none cached');
      }
      return cached && age <= NAMES_MAX_AGE_SECONDS ? cached.names : undefined;
    },
    (error: unknown) => {
      logger.warn('project names cache unavailable; listing them', { error: errorSummary(error) });
      void refresh('the cache is unavailable');
      return undefined;
    },
  );

  // Line item names are not names of projects: kept however old the names are.
  const known = stored.then(
    (read) => read.lineItems,
    () => undefined,
  );
  let learning: Promise<unknown> = Promise.resolve();

  return {
    lineItems: () => known,
    learnLineItems(seen) {
      const names = [...new Set(seen)].filter(isCodeInterpreterLine);
      const learned = (async () => {
        const before = new Set((await known) ?? []);
        const added = names.filter((name) => !before.has(name)).sort();
        if (added.length === 0) return;
        try {
          await cache.learnLineItems(added, now());
          logger.info('code interpreter line items learned', { line_items: added });
        } catch (error) {
          logger.warn('code interpreter line items not cached', { error: errorSummary(error) });
        }
      })();
      learning = Promise.all([learning, learned]);
    },
    async namesFor(ids) {
      const names = await fresh;
      // Stryker disable next-line StringLiteral: without fresh names the read has already started the listing, with its own reason
      if (!names) return refresh('no fresh names cached');
      const unknown = ids.filter((id) => !names.has(id));
      if (unknown.length === 0) return names;
      try {
        return await refresh(`the cache does not know ${unknown.length} project(s), e.g. ${unknown[0]}`);
      } catch {
        // Logged by refresh: the projects it knows keep their fresh names, the others show ids.
        return names;
      }
    },
    async settled() {
      await fresh;
      await listing?.catch(() => {});
      await learning;
    },
  };
}
