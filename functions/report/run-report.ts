import type { UsageApi } from './adapters/usage-api';
import { type ProjectTotals, UsageTally } from './core/aggregate';
import { costWindowOf } from './core/cost';
import type { ReportRequest } from './core/event';
import { planQueries } from './core/plan';
import {
  buildReport,
  buildTrend,
  meanOf,
  type ReportCosts,
  type ReportResult,
  type Trend,
} from './core/report';
import { DEFAULT_THRESHOLDS, findUnusual, type UnusualThresholds } from './core/unusual';
import { errorSummary } from './errors';
import { listedNames, type ProjectNames } from './project-names';

export interface ReportLogger {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ComputedReport {
  readonly result: ReportResult;
  readonly trend?: Trend;
  /** Usage queries planned (pages and retries come on top). */
  readonly queries: number;
  /** Why cost is missing from the report, in a sentence, when it is. */
  readonly costUnavailable?: string;
  /** The same report over some projects only (a route's), from the same fetch: no request more. */
  forProjects(projectIds: readonly string[]): { readonly result: ReportResult; readonly trend?: Trend };
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
  thresholds: UnusualThresholds = DEFAULT_THRESHOLDS,
  projectNames: ProjectNames = listedNames(() => usageApi.listProjectNames()),
): Promise<ComputedReport> {
  const windows = [...request.trendWindows, request.window];
  const { queries, segments } = planQueries(windows, request.projectIds);
  const costWindow = costWindowOf(request.window, request.timeZone);
  logger.info('usage plan', {
    window: request.window,
    time_zone: request.timeZone,
    windows: windows.length,
    queries: queries.length,
    buckets: queries.reduce((sum, q) => sum + q.limit, 0),
    cost_window: { start: costWindow.start, end: costWindow.end },
  });
  // Names (cached or listed, started by their source) and cost run alongside the usage queries:
  // neither adds a round trip, and neither fails the digest (it goes out with ids, or with "cost
  // unavailable" and why).
  let costUnavailable: string | undefined;
  const costs = usageApi.fetchCosts(costWindow, request.projectIds).catch((error: unknown) => {
    costUnavailable = errorSummary(error).message;
    logger.warn('cost unavailable; the report shows sessions only', { error: errorSummary(error) });
    return null;
  });
  const tally = new UsageTally(segments, windows.length);
  await usageApi.fetchUsage(queries, tally, onProgress);
  const totals = tally.windowTotals();
  const dayTotals = totals.at(-1) ?? new Map<string | null, number>();
  const perProject = await costs;
  // The projects the report shows: those with sessions, and those billed without any.
  const shown = new Set([...dayTotals.keys(), ...(perProject?.keys() ?? [])]);
  shown.delete(null);
  const names = await projectNames.namesFor([...shown] as string[]).catch((error: unknown) => {
    logger.warn('project names unavailable; the report shows project ids', { error: errorSummary(error) });
    return new Map<string, string>();
  });
  const parts: ReportParts = {
    request,
    dayTotals,
    history: totals.slice(0, -1),
    names,
    costs: { window: costWindow, perProject },
    thresholds,
  };
  return {
    ...assemble(parts),
    queries: queries.length,
    ...(costUnavailable ? { costUnavailable } : {}),
    forProjects: (projectIds) => assemble(parts, new Set(projectIds)),
  };
}

/** What one fetch yields, from which the whole report and every route's report are assembled. */
interface ReportParts {
  readonly request: ReportRequest;
  readonly dayTotals: ProjectTotals;
  readonly history: readonly ProjectTotals[];
  readonly names: ReadonlyMap<string, string>;
  readonly costs: ReportCosts;
  readonly thresholds: UnusualThresholds;
}

/** The result and trend over every project, or over `only` (a route's projects: its totals, its unusual). */
function assemble(parts: ReportParts, only?: ReadonlySet<string>): Pick<ComputedReport, 'result' | 'trend'> {
  const keep = <V>(map: Map<string | null, V>): Map<string | null, V> =>
    only ? new Map([...map].filter(([id]) => id !== null && only.has(id))) : map;
  const { request } = parts;
  const history = parts.history.map(keep);
  const perProject = parts.costs.perProject;
  const report = buildReport({
    kind: request.kind,
    window: request.window,
    totals: keep(parts.dayTotals),
    names: parts.names,
    costs: { window: parts.costs.window, perProject: perProject ? keep(new Map(perProject)) : null },
  });
  const daily = request.kind === 'daily';
  const result: ReportResult = daily
    ? {
        ...report,
        unusual: findUnusual(
          report.projects.map((row) => ({
            project_id: row.project_id,
            num_sessions: row.num_sessions,
            mean_7d: meanOf(row.project_id, history),
            cost_usd: row.cost_usd ?? null,
          })),
          parts.thresholds,
        ),
      }
    : report;
  const trend = request.kind === 'range' ? undefined : buildTrend(result.projects, history, daily);
  return { result, ...(trend ? { trend } : {}) };
}
