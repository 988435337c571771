import type { LimitsCache } from './adapters/limits-cache';
import { MalformedSpendLimitError, type SpendLimit } from './core/spend-limit';
import { AuthError, errorSummary } from './errors';
import type { ReportLogger } from './logger';

/**
 * Cached limits are shown only while younger than this: a day, as a day runs in the report's zone
 * (25 hours when the clocks go back), so a daily schedule always finds what its previous run stored.
 * A limit OpenAI starts enforcing mid-day therefore shows by the next refresh at the latest.
 */
export const LIMITS_MAX_AGE_SECONDS = 25 * 3_600;
/**
 * A run that finds limits older than this reads them again in its background and stores them for
 * the next: a daily schedule refreshes them once a day, a manual run soon after does not.
 */
export const LIMITS_REFRESH_AFTER_SECONDS = 20 * 3_600;

/** The hard limits of some projects, as far as they could be read. */
export interface ProjectLimits {
  /** Project id → its hard limit, for the projects whose limit is known (no limit included). */
  readonly limits: ReadonlyMap<string, SpendLimit>;
  /** What is missing and why, in one sentence, when some limit could not be read. */
  readonly unavailable?: string;
}

/** The projects' hard spend limits for a report. */
export interface ProjectSpendLimits {
  /** The limits of `ids` (the projects with spend this month). Never throws: what fails is told in `unavailable`. */
  limitsFor(ids: readonly string[]): Promise<ProjectLimits>;
  /** Settles once a background refresh has been stored (or has failed, logged): await before returning. */
  settled(): Promise<void>;
}

/** Reads one project's limit (through the usage API client). */
export type ReadSpendLimit = (projectId: string) => Promise<SpendLimit>;

/** Why a limit could not be read, in words that fit "…unavailable: <why>". */
export function limitFailureReason(error: unknown, several = true): string {
  if (error instanceof AuthError) {
    return `the admin key may not read ${several ? 'them' : 'it'} (HTTP ${error.status})`;
  }
  if (error instanceof MalformedSpendLimitError) return `OpenAI sent a malformed limit: ${error.message}`;
  return errorSummary(error).message;
}

/** Reads the limits of `ids` at once (the HTTP client keeps them under its in-flight limit). */
async function readAll(ids: readonly string[], read: ReadSpendLimit): Promise<ProjectLimits> {
  const outcomes = await Promise.allSettled(ids.map((id) => read(id)));
  const limits = new Map<string, SpendLimit>();
  const failed = new Map<string, string[]>();
  outcomes.forEach((outcome, i) => {
    const id = ids[i] as string;
    if (outcome.status === 'fulfilled') {
      limits.set(id, outcome.value);
      return;
    }
    const reason = limitFailureReason(outcome.reason);
    failed.set(reason, [...(failed.get(reason) ?? []), id]);
  });
  const unavailable = [...failed]
    .map(([reason, projects]) =>
      projects.length === 1
        ? `the spend limit of project ${projects[0]} is unavailable: ${reason}`
        : `the spend limits of ${projects.length} projects (e.g. ${projects[0]}) are unavailable: ${reason}`,
    )
    .join('; ');
  return { limits, ...(unavailable ? { unavailable } : {}) };
}

/** Reads every project's limit on every run (the CLI, and the function without a table). */
export function readSpendLimits(read: ReadSpendLimit): ProjectSpendLimits {
  return { limitsFor: (ids) => readAll(ids, read), settled: async () => {} };
}

/**
 * Limits from the table while they are fresh, reading only projects the cache does not know; when
 * none are fresh (cold), all are read as the costs arrive, then stored. Once older than
 * LIMITS_REFRESH_AFTER_SECONDS they are read again in the background of the run and stored for
 * the next. A table that cannot be read or written costs the reads, never the report.
 */
export function cachedSpendLimits(options: {
  cache: LimitsCache;
  read: ReadSpendLimit;
  /** Epoch seconds. */
  now: () => number;
  logger: ReportLogger;
}): ProjectSpendLimits {
  const { cache, read, now, logger } = options;
  let refresh: Promise<void> | undefined;
  const store = async (limits: ReadonlyMap<string, SpendLimit>, listedAt: number): Promise<void> => {
    try {
      if (!(await cache.write({ limits, listedAt }))) {
        logger.warn('spend limits not cached: too many to fit in one item; every run reads them', {
          projects: limits.size,
        });
      }
    } catch (error) {
      logger.warn('spend limits not cached', { error: errorSummary(error) });
    }
  };
  const cached = cache.read().catch((error: unknown) => {
    logger.warn('spend limits cache unavailable; reading them', { error: errorSummary(error) });
    return undefined;
  });
  // Handled where it is awaited; this keeps an unawaited failure from being unhandled.
  // Stryker disable next-line CallExpression: cached cannot reject (caught above); a guard should that change
  cached.catch(() => {});

  return {
    async limitsFor(ids) {
      const found = await cached;
      const age = found ? now() - found.listedAt : Number.POSITIVE_INFINITY;
      if (!found || age > LIMITS_MAX_AGE_SECONDS) {
        logger.info('reading spend limits', {
          why: found ? `the cached limits are ${Math.round(age / 3_600)} h old` : 'none cached',
          projects: ids.length,
        });
        const listedAt = now();
        const read_ = await readAll(ids, read);
        await store(read_.limits, listedAt);
        return read_;
      }
      if (age > LIMITS_REFRESH_AFTER_SECONDS && !refresh) {
        const listedAt = now();
        logger.info('refreshing spend limits in the background', {
          why: `the cached limits are ${Math.round(age / 3_600)} h old`,
          projects: ids.length,
        });
        refresh = readAll(ids, read).then((fresh) => store(fresh.limits, listedAt));
        // Stryker disable next-line CallExpression: readAll settles every read and store catches; a guard for a bug
        refresh.catch(() => {});
      }
      const limits = new Map<string, SpendLimit>();
      const unknown: string[] = [];
      for (const id of ids) {
        const limit = found.limits.get(id);
        if (limit) limits.set(id, limit);
        else unknown.push(id);
      }
      // Stryker disable next-line ConditionalExpression: readAll([]) asks nothing and adds nothing; this only skips it
      if (unknown.length === 0) return { limits };
      // A project that began to spend since the limits were stored: read now, stored by the next refresh.
      const more = await readAll(unknown, read);
      for (const [id, limit] of more.limits) limits.set(id, limit);
      return { limits, ...(more.unavailable ? { unavailable: more.unavailable } : {}) };
    },
    async settled() {
      await cached;
      await refresh;
    },
  };
}
