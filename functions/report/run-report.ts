import type { UsageApi } from './adapters/usage-api';
import { UsageTally } from './core/aggregate';
import type { ReportRequest } from './core/event';
import { planQueries } from './core/plan';
import { buildReport, buildTrend, type ReportResult, type Trend } from './core/report';
import { errorSummary } from './errors';

export interface ReportLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ComputedReport {
  readonly result: ReportResult;
  readonly trend?: Trend;
  /** Usage queries planned (pages and retries come on top). */
  readonly queries: number;
}

/** For terminals: warnings, with their reason, on stderr; nothing else. */
export const stderrLogger: ReportLogger = {
  info: () => {},
  warn: (message, ...extra) => {
    const reason = (extra[0]?.error as { message?: string } | undefined)?.message;
    process.stderr.write(`warning: ${message}${reason ? ` (${reason})` : ''}\n`);
  },
};

/**
 * Plans, fetches and aggregates one report. The trend days of a daily report ride in the same
 * concurrent batch as the day itself, and project names are listed alongside: one round trip.
 */
export async function computeReport(
  request: ReportRequest,
  usageApi: UsageApi,
  logger: ReportLogger,
  onProgress?: (done: number, total: number) => void,
): Promise<ComputedReport> {
  const windows = [...request.trendWindows, request.window];
  const { queries, segments } = planQueries(windows, request.projectIds);
  logger.info('usage plan', {
    window: request.window,
    time_zone: request.timeZone,
    windows: windows.length,
    queries: queries.length,
    buckets: queries.reduce((sum, q) => sum + q.limit, 0),
  });
  const names = usageApi.listProjectNames().catch((error: unknown) => {
    logger.warn('project names unavailable; the report shows project ids', { error: errorSummary(error) });
    return new Map<string, string>();
  });
  const tally = new UsageTally(segments, windows.length);
  await usageApi.fetchUsage(queries, tally, onProgress);
  const totals = tally.windowTotals();
  const dayTotals = totals.at(-1) ?? new Map();
  const result = buildReport({ window: request.window, totals: dayTotals, names: await names });
  const trend = request.kind === 'daily' ? buildTrend(result.projects, totals.slice(0, -1)) : undefined;
  return { result, ...(trend ? { trend } : {}), queries: queries.length };
}
