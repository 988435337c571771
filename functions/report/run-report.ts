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
import { type RunwayInputs, withRunway } from './core/report-runway';
import { DEFAULT_THRESHOLDS, findUnusual, type UnusualThresholds } from './core/unusual';
import { errorSummary } from './errors';
import type { ReportLogger } from './logger';
import { listedNames, type ProjectNames } from './project-names';
import { type RunwaySettings, startCostAndRunway } from './runway-fetch';

/** Re-exported for the modules that import them from here. */
export { type ReportLogger, stderrLogger } from './logger';

export interface ComputedReport {
  readonly result: ReportResult;
  readonly trend?: Trend;
  /** Usage queries planned (pages and retries come on top). */
  readonly queries: number;
  /** Why cost is missing from the report, in a sentence, when it is. */
  readonly costUnavailable?: string;
  /** Which spend limits could not be read and why, in a sentence, when some could not. */
  readonly limitsUnavailable?: string;
  /** Why month to date is missing from a scheduled digest, in a sentence, when it is. */
  readonly monthToDateUnavailable?: string;
  /** The same report over some projects only (a route's), from the same fetch: no request more. */
  forProjects(projectIds: readonly string[]): { readonly result: ReportResult; readonly trend?: Trend };
}

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
  runwaySettings: RunwaySettings = {},
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
  // A scheduled digest's month to date and limits come from the same cost queries (see runway-fetch).
  const spend = startCostAndRunway(request, costWindow, usageApi, logger, runwaySettings);
  const costs = spend.costs;
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
  // Started with the cost; the projects' limits followed it while the usage and names finished.
  const runway = await spend.runway;
  const parts: ReportParts = {
    request,
    dayTotals,
    history: totals.slice(0, -1),
    names,
    costs: { window: costWindow, perProject },
    thresholds,
    ...(runway ? { runway: runway.inputs } : {}),
  };
  const costUnavailable = spend.costUnavailable();
  return {
    ...assemble(parts),
    queries: queries.length,
    ...(costUnavailable ? { costUnavailable } : {}),
    ...(runway?.limitsUnavailable ? { limitsUnavailable: runway.limitsUnavailable } : {}),
    ...(runway?.monthToDateUnavailable ? { monthToDateUnavailable: runway.monthToDateUnavailable } : {}),
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
  /** Scheduled digests: what month to date and the limits are worked out from. */
  readonly runway?: RunwayInputs;
}

/** The result and trend over every project, or over `only` (a route's projects: its totals, its unusual). */
function assemble(parts: ReportParts, only?: ReadonlySet<string>): Pick<ComputedReport, 'result' | 'trend'> {
  const keep = <V>(map: Map<string | null, V>): Map<string | null, V> =>
    // Unattributed usage (null) belongs to no route: a route's set holds project ids only.
    only ? new Map([...map].filter(([id]) => only.has(id as string))) : map;
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
  // A range has no trend windows, so no history: buildTrend gives it none.
  const trend = buildTrend(result.projects, history, daily);
  return {
    result: parts.runway ? withRunway(result, parts.runway, only) : result,
    ...(trend ? { trend } : {}),
  };
}
