import type { UsageApi } from './adapters/usage-api';
import { type ProjectTotals, sumDays, UsageTally } from './core/aggregate';
import { buildDigestChart } from './core/chart-series';
import { costWindowOf } from './core/cost';
import { projectSetKey } from './core/daily-spend';
import type { ReportRequest } from './core/event';
import type { Window } from './core/local-time';
import { planLocalDays, planQueries } from './core/plan';
import {
  buildReport,
  buildTrend,
  type ReportCosts,
  type ReportResult,
  type Trend,
  unusualOf,
} from './core/report';
import { type RunwayInputs, spendOnCostDay, withRunway } from './core/report-runway';
import { withSpikeKeys } from './core/spike-keys';
import { DEFAULT_THRESHOLDS, type SpikeKey, type UnusualThresholds } from './core/unusual';
import { MalformedPageError } from './core/usage-page';
import { type ChartDays, chartDays, reportMidnights } from './core/windows';
import { errorSummary, UsageApiError } from './errors';
import type { ReportLogger } from './logger';
import { listedNames, type ProjectNames } from './project-names';
import { type RunwaySettings, startCostAndRunway } from './runway-fetch';
import { fetchSpikeKeys } from './spike-keys-fetch';

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
  /**
   * A daily digest's spend per project (all line items) on its cost day C, for the history; undefined
   * when spend is unknown, and for other reports.
   */
  readonly totalCostByProject?: ReadonlyMap<string | null, number>;
  /** The same report over some projects only (a route's), from the same fetch: no request more. */
  forProjects(projectIds: readonly string[]): { readonly result: ReportResult; readonly trend?: Trend };
}

/**
 * Plans, fetches and aggregates one report. A scheduled digest is fetched day by day (chartDays:
 * a daily one's 30 days before, a weekly or monthly one's period before), its window and trend
 * windows summed from those days, all in the same concurrent batch, with the project names listed
 * alongside: one round trip.
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
  const days =
    request.kind === 'range' ? undefined : chartDays(request.kind, request.window, request.timeZone);
  const windows: readonly Window[] = days?.windows ?? [...request.trendWindows, request.window];
  const { queries, segments } = days
    ? planLocalDays(days.windows, reportMidnights(days), request.projectIds)
    : planQueries(windows, request.projectIds);
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
  const runwayAndLines = { lineItems: projectNames, ...runwaySettings };
  const spend = startCostAndRunway(request, costWindow, usageApi, logger, runwayAndLines, days?.dates[0]);
  const costs = spend.costs;
  const tally = new UsageTally(segments, windows.length);
  await usageApi.fetchUsage(queries, tally, onProgress);
  const totals = totalsOf(tally);
  const dayTotals = (days ? sumDays(totals, days.period) : totals.at(-1)) ?? new Map<string | null, number>();
  const history = days
    ? days.trend.map((range) => sumDays(totals, range, 'compared_sessions'))
    : totals.slice(0, -1);
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
  const fetched: ReportParts = {
    request,
    dayTotals,
    history,
    ...(days ? { chart: { days, totals, spendWindow: spend.spendWindow } } : {}),
    names,
    costs: { window: costWindow, perProject },
    thresholds,
    ...(runway ? { runway: runway.inputs } : {}),
  };
  // The keys behind what is unusual: one more wave, only on such days; routes' unusual projects
  // are among the organization's, so one map serves every route.
  const unusual = request.kind === 'daily' ? (assemble(fetched).result.unusual ?? []) : [];
  const parts: ReportParts =
    unusual.length > 0
      ? {
          ...fetched,
          spikeKeys: await fetchSpikeKeys(usageApi, unusual, costWindow, await spend.lineItems, logger),
        }
      : fetched;
  const costUnavailable = spend.costUnavailable();
  const spendByDay = runway?.inputs.spend;
  return {
    ...assemble(parts),
    queries: queries.length,
    ...(costUnavailable ? { costUnavailable } : {}),
    ...(runway?.limitsUnavailable ? { limitsUnavailable: runway.limitsUnavailable } : {}),
    ...(runway?.monthToDateUnavailable ? { monthToDateUnavailable: runway.monthToDateUnavailable } : {}),
    ...(request.kind === 'daily' && spendByDay
      ? { totalCostByProject: spendOnCostDay(spendByDay, costWindow) }
      : {}),
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
  /** Daily digests with something unusual: the API keys behind each unusual project's day. */
  readonly spikeKeys?: ReadonlyMap<string, readonly SpikeKey[]>;
  /** Scheduled digests: the days fetched, their sessions, and the UTC days their spend covers. */
  readonly chart?: {
    readonly days: ChartDays;
    readonly totals: readonly ProjectTotals[];
    readonly spendWindow?: Window;
  };
}

/** The tally's windows; a contradiction between its minute and hour buckets is the API's fault. */
function totalsOf(tally: UsageTally): ProjectTotals[] {
  try {
    return tally.windowTotals();
  } catch (error) {
    if (error instanceof MalformedPageError) {
      throw new UsageApiError(`the usage API sent inconsistent data: ${error.message}`);
    }
    throw error;
  }
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
        unusual: withSpikeKeys(
          unusualOf(report.projects, history, parts.thresholds),
          parts.spikeKeys ?? new Map(),
        ),
      }
    : report;
  // A range has no trend windows, so no history: buildTrend gives it none.
  const trend = buildTrend(result.projects, history, daily);
  const chart = trend && parts.chart ? chartOf(parts, result, trend, keep, only) : undefined;
  return {
    result: parts.runway ? withRunway(result, parts.runway, only) : result,
    ...(trend ? { trend: chart ? { ...trend, chart } : trend } : {}),
  };
}

/** The digest's chart over every project, or over `only` (a route's, with its own cost per day). */
function chartOf(
  parts: ReportParts,
  result: ReportResult,
  trend: Trend,
  keep: (map: Map<string | null, number>) => Map<string | null, number>,
  only?: ReadonlySet<string>,
): Trend['chart'] {
  const chart = parts.chart as NonNullable<ReportParts['chart']>;
  const { days } = chart;
  const spend = parts.runway?.spend;
  // A route's code interpreter spend per day was fetched for its projects (routeCodeInterpreter).
  const rows = spend
    ? only
      ? spend.routeCodeInterpreter.get(projectSetKey(only))
      : spend.codeInterpreter
    : undefined;
  const kind = parts.request.kind as 'daily' | 'weekly' | 'monthly';
  return buildDigestChart({
    kind,
    dates: days.dates,
    period: days.period,
    ...(kind === 'daily' ? {} : { previous: days.trend[0] }),
    dayTotals: chart.totals.map((day) => keep(day)),
    cost: rows && chart.spendWindow ? { window: chart.spendWindow, rows } : null,
    projects: result.projects.map((row) => row.project_id),
    ...(trend.seven_day_mean_sessions === undefined ? {} : { mean7d: trend.seven_day_mean_sessions }),
  });
}
