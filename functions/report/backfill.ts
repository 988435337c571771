import type { Context } from 'aws-lambda';
import type { DailyCosts, UsageApi, UsageApiOptions } from './adapters/usage-api';
import type { ReportConfig } from './config';
import { UsageTally } from './core/aggregate';
import {
  BACKFILL_CHUNK_DAYS,
  type BackfillRange,
  backfillChunks,
  datesOf,
  parseBackfillEvent,
} from './core/backfill-event';
import { costWindowOf, roundUsd } from './core/cost';
import { type HistoryRow, historyRows } from './core/history-rows';
import { addDays, type LocalDate, localDayWindow } from './core/local-time';
import { planQueries } from './core/plan';
import { buildReport, type ReportResult, unusualOf } from './core/report';
import type { UnusualThresholds } from './core/unusual';
import { TREND_DAYS } from './core/windows';
import { ConfigError, ReportError, redactError } from './errors';
import type { HistoryDayWriter } from './history-day';
import type { ReportLogger } from './logger';

/** A route as the history's `routes` column names it. */
export interface HistoryRoute {
  readonly name: string;
  readonly projectIds: readonly string[];
}

/** One chunk done: what a progress line shows. */
export interface BackfillProgress {
  /** 1-based. */
  readonly chunk: number;
  readonly chunks: number;
  readonly first: LocalDate;
  readonly last: LocalDate;
  /** Days written so far, this chunk's included, and of how many. */
  readonly daysWritten: number;
  readonly days: number;
  /** How long the chunk took, fetch and writes. */
  readonly ms: number;
}

export interface BackfillOptions {
  readonly usageApi: UsageApi;
  readonly store: HistoryDayWriter;
  readonly timeZone: string;
  /** The local days to write, any order; those already written are left out by the caller (or not: a write overwrites). */
  readonly dates: Iterable<LocalDate>;
  /** The routes, for the `routes` column, as the daily digest has them. */
  readonly routes: readonly HistoryRoute[];
  /** When a day is unusual, as the daily digest judges it. */
  readonly thresholds: UnusualThresholds;
  readonly onProgress?: (progress: BackfillProgress) => void;
  /**
   * Milliseconds left before the caller must return (a Lambda's remaining time, less its reserve).
   * A chunk starts only with twice the longest chunk so far still left. Unlimited when absent.
   */
  readonly remainingMs?: () => number;
}

/** What a backfill wrote. */
export interface BackfillSummary {
  readonly days_written: number;
  /** The first and last day written; absent when there was nothing to write. */
  readonly first_date?: LocalDate;
  readonly last_date?: LocalDate;
  readonly chunks: number;
}

/**
 * A backfill that stopped part-way: the days before `resumeFrom` (of those asked for) are written;
 * from `resumeFrom` on some may be missing (a chunk's days are written at once). `reason` is why;
 * the message says both, and `advice` how to go on.
 */
export class BackfillIncompleteError extends ReportError {
  constructor(
    readonly reason: string,
    readonly resumeFrom: LocalDate,
    readonly daysWritten: number,
    options?: ErrorOptions & { readonly advice?: string },
  ) {
    super(
      `${reason}; ${daysWritten} day(s) written, not all from ${resumeFrom} on${options?.advice ? `: ${options.advice}` : ''}`,
      options,
    );
  }
}

/**
 * Writes each of `dates` to the history exactly as the daily digest of that day writes it: the
 * day's sessions per project (local day in `timeZone`), the code interpreter cost and the total
 * spend of the UTC day with that date, the unusual reason judged on the 7 days before, the routes.
 * The dates go in chunks of at most 31 days, one after another; each chunk is one wave: its days'
 * usage with the 7 days before (planQueries), their cost per UTC day, and (once) the project names,
 * all at once. A chunk's days are written once it is fetched; a failure stops the backfill with a
 * BackfillIncompleteError saying how many days are written and from which day some may be missing.
 */
export async function backfillHistory(options: BackfillOptions): Promise<BackfillSummary> {
  const { usageApi, timeZone } = options;
  const chunks = backfillChunks(options.dates, BACKFILL_CHUNK_DAYS);
  const days = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  let names: Promise<Map<string, string>> | undefined;
  let written = 0;
  let longestMs = 0;
  for (const [index, chunk] of chunks.entries()) {
    const first = chunk[0] as LocalDate;
    const last = chunk.at(-1) as LocalDate;
    const remaining = options.remainingMs?.();
    if (remaining !== undefined && remaining < 2 * longestMs) {
      throw new BackfillIncompleteError(
        `stopped before the time left (${Math.round(remaining / 1000)} s) ran out: a chunk takes up to ${Math.round(longestMs / 1000)} s`,
        first,
        written,
      );
    }
    const startedAt = performance.now();
    try {
      names ??= usageApi.listProjectNames();
      const fetched = await fetchChunk(usageApi, first, last, timeZone, names);
      await Promise.all(chunk.map((date) => options.store.writeDay(date, dayRows(fetched, date, options))));
    } catch (error) {
      const reason =
        error instanceof ReportError
          ? error.message
          : `${(error as Error).name}: ${(error as Error).message}`;
      throw new BackfillIncompleteError(reason, first, written, { cause: error });
    }
    const ms = Math.round(performance.now() - startedAt);
    longestMs = Math.max(longestMs, ms);
    written += chunk.length;
    options.onProgress?.({
      chunk: index + 1,
      chunks: chunks.length,
      first,
      last,
      daysWritten: written,
      days,
      ms,
    });
  }
  const firstDate = chunks[0]?.[0];
  const lastDate = chunks.at(-1)?.at(-1);
  return {
    days_written: written,
    ...(firstDate ? { first_date: firstDate } : {}),
    ...(lastDate ? { last_date: lastDate } : {}),
    chunks: chunks.length,
  };
}

/** One chunk's numbers: sessions per local day from TREND_DAYS before `first` through `last`, and cost. */
interface FetchedChunk {
  /** The local days fetched, the TREND_DAYS before the chunk first. */
  readonly dates: readonly LocalDate[];
  readonly totals: readonly Map<string | null, number>[];
  readonly costs: DailyCosts;
  readonly names: ReadonlyMap<string, string>;
}

async function fetchChunk(
  usageApi: UsageApi,
  first: LocalDate,
  last: LocalDate,
  timeZone: string,
  names: Promise<Map<string, string>>,
): Promise<FetchedChunk> {
  const dates = datesOf({ from: addDays(first, -TREND_DAYS), to: addDays(last, 1) });
  const windows = dates.map((date) => localDayWindow(date, timeZone));
  const { queries, segments } = planQueries(windows);
  const tally = new UsageTally(segments, windows.length);
  // The UTC days with the chunk's dates: each day's cost window, as the daily digest has it.
  const costWindow = costWindowOf(
    { start: localDayWindow(first, timeZone).start, end: localDayWindow(last, timeZone).end },
    timeZone,
  );
  const [, costs, listed] = await Promise.all([
    usageApi.fetchUsage(queries, tally),
    usageApi.fetchDailyCosts(costWindow),
    names,
  ]);
  return { dates, totals: tally.windowTotals(), costs, names: listed };
}

/** The rows of `date` as the daily digest of that day writes them (see run-report's daily result). */
function dayRows(fetched: FetchedChunk, date: LocalDate, options: BackfillOptions): HistoryRow[] {
  const { timeZone } = options;
  const index = fetched.dates.indexOf(date);
  const history = fetched.totals.slice(index - TREND_DAYS, index);
  const codeInterpreter = fetched.costs.codeInterpreter.get(date) ?? new Map<string | null, number>();
  const report = buildReport({
    kind: 'daily',
    window: localDayWindow(date, timeZone),
    totals: fetched.totals[index] as Map<string | null, number>,
    names: fetched.names,
    costs: {
      window: costWindowOf(localDayWindow(date, timeZone), timeZone),
      perProject: new Map([...codeInterpreter].map(([id, usd]) => [id, roundUsd(usd)])),
    },
  });
  const result: ReportResult = {
    ...report,
    unusual: unusualOf(report.projects, history, options.thresholds),
  };
  return historyRows({
    result,
    timeZone,
    date,
    totalCostByProject: fetched.costs.total.get(date) ?? new Map<string | null, number>(),
    routes: options.routes,
  });
}

/** What the invoke `{ "backfill": … }` returns: the range it wrote, every day of it. */
export interface BackfillResult {
  readonly backfill: {
    /** The first day written (local date). */
    readonly start_time: LocalDate;
    /** The day after the last one written. */
    readonly end_time: LocalDate;
    readonly time_zone: string;
    readonly days_written: number;
  };
}

/**
 * The invoke's backfill: every day of `range`, written whatever the bucket holds (the function
 * may only PutObject under `daily/`, so it cannot list what is there; a day written again is the
 * same object). It stops before the function's time runs out, saying which event writes the rest.
 */
export async function invokeBackfill(input: {
  readonly range: BackfillRange;
  readonly usageApi: UsageApi;
  readonly store: HistoryDayWriter;
  readonly routes: readonly HistoryRoute[];
  readonly thresholds: UnusualThresholds;
  /** Milliseconds the function may still spend before it must return. */
  readonly remainingMs: () => number;
  readonly logger: ReportLogger;
}): Promise<BackfillResult> {
  const { range, logger } = input;
  logger.info('backfill requested', { from: range.from, to: range.to, time_zone: range.timeZone });
  try {
    const summary = await backfillHistory({
      usageApi: input.usageApi,
      store: input.store,
      timeZone: range.timeZone,
      dates: datesOf(range),
      routes: input.routes,
      thresholds: input.thresholds,
      remainingMs: input.remainingMs,
      onProgress: (p) =>
        logger.info('backfill chunk written', {
          first: p.first,
          last: p.last,
          days_written: p.daysWritten,
          ms: p.ms,
        }),
    });
    return {
      backfill: {
        start_time: range.from,
        end_time: range.to,
        time_zone: range.timeZone,
        days_written: summary.days_written,
      },
    };
  } catch (error) {
    if (!(error instanceof BackfillIncompleteError)) throw error;
    const rest = { backfill: { start_time: error.resumeFrom, end_time: range.to } };
    throw new BackfillIncompleteError(error.reason, error.resumeFrom, error.daysWritten, {
      cause: error.cause,
      advice: `invoke again with ${JSON.stringify(rest)} to write the rest`,
    });
  }
}

/**
 * The handler's side of `{ "backfill": … }`: validated before any secret or API call, then every
 * day of the range written to HISTORY_BUCKET. The usage API's deadline and the chunks stop
 * `reserveMs` before the function's timeout.
 */
export async function backfillFromEvent(
  event: unknown,
  wiring: {
    readonly config: ReportConfig;
    /** The handler's (HandlerDeps). */
    readonly deps: {
      readonly now: () => number;
      readonly readAdminKey: (secretId: string) => Promise<string>;
      readonly createUsageApi: (options: UsageApiOptions) => UsageApi;
      readonly historyStore?: (bucket: string) => Promise<HistoryDayWriter>;
      readonly logger: ReportLogger;
    };
    readonly context: Pick<Context, 'getRemainingTimeInMillis'>;
    readonly reserveMs: number;
  },
): Promise<BackfillResult> {
  const { config, deps, context, reserveMs } = wiring;
  const range = parseBackfillEvent(event, { now: Math.floor(deps.now() / 1000), timeZone: config.timeZone });
  const bucket = config.historyBucket;
  if (!bucket || !deps.historyStore) {
    throw new ConfigError(
      'HISTORY_BUCKET: not set; a backfill writes the history bucket (the `history` setting)',
    );
  }
  let adminKey: string | undefined;
  try {
    adminKey = await deps.readAdminKey(config.secretId);
    const remainingMs = () => context.getRemainingTimeInMillis() - reserveMs;
    return await invokeBackfill({
      range,
      usageApi: deps.createUsageApi({
        baseUrl: config.baseUrl,
        adminKey,
        concurrency: config.concurrency,
        requestTimeoutMs: config.requestTimeoutMs,
        deadline: Date.now() + remainingMs(),
      }),
      store: await deps.historyStore(bucket),
      routes: config.routes,
      thresholds: config.thresholds,
      remainingMs,
      logger: deps.logger,
    });
  } catch (error) {
    throw redactError(error, adminKey ? [adminKey] : []);
  }
}
