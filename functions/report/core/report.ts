import { SumOverflowError } from '../errors';
import { type ProjectTotals, sumTotals } from './aggregate';
import type { DigestChart } from './chart-series';
import { roundUsd } from './cost';
import type { Window } from './local-time';
import type { LimitEntry } from './runway';
import { findUnusual, type UnusualProject, type UnusualThresholds } from './unusual';

export interface ProjectRow {
  readonly project_id: string | null;
  readonly project_name?: string;
  readonly num_sessions: number;
  /** Code interpreter cost (USD) over the cost window; 0 without any; null when cost is unavailable. */
  readonly cost_usd?: number | null;
  /** The project's OpenAI spend (all line items) this month through the cost day; null when unknown. */
  readonly month_to_date_cost_usd?: number | null;
}

/** The month's spend through the cost day C and where it is heading (core/runway.ts defines each figure). */
export interface MonthToDate {
  /** The 1st of C's month, 00:00 UTC. */
  readonly start_time: number;
  /** The end of C, 00:00 UTC the next day. */
  readonly end_time: number;
  /** All line items. */
  readonly cost_usd: number;
  readonly code_interpreter_cost_usd: number;
  /** Spend over C-6..C divided by 7. */
  readonly pace_usd_per_day: number;
  /** Month to date + pace × the days of the month after C. */
  readonly forecast_usd: number;
}

export interface ProjectTrend {
  readonly project_id: string | null;
  /** Sessions in the period compared with: the same weekday a week before (daily), the week or month before. */
  readonly compared_sessions: number;
  /** Daily only: mean sessions a day over the TREND_DAYS days before the report day. */
  readonly seven_day_mean_sessions?: number;
}

/** The contract's return value (Unix seconds, `end_time` exclusive). */
export interface ReportResult {
  /** Which digest this is, or `range` for a manual start/end. */
  readonly kind: 'daily' | 'weekly' | 'monthly' | 'range';
  readonly start_time: number;
  readonly end_time: number;
  readonly total_sessions: number;
  /** Code interpreter cost in USD over the cost window, or null when unavailable. */
  readonly total_cost_usd: number | null;
  /** The UTC days the cost covers; present whenever `total_cost_usd` is a number. */
  readonly cost_start_time?: number;
  readonly cost_end_time?: number;
  readonly projects: readonly ProjectRow[];
  /** Daily reports only: what needs a look, biggest first (empty when nothing does). */
  readonly unusual?: readonly UnusualProject[];
  /** Scheduled digests: the month's spend through the cost day; null when it could not be read. */
  readonly month_to_date?: MonthToDate | null;
  /** Scheduled digests: every known hard limit and budget, worst status first. */
  readonly limits?: readonly LimitEntry[];
}

/** Context for a digest: the period compared with and, for a daily one, the mean of the 7 days before. */
export interface Trend {
  readonly compared_sessions: number;
  readonly seven_day_mean_sessions?: number;
  /** In the same order as the report's `projects`. */
  readonly projects: readonly ProjectTrend[];
  /** Scheduled digests: the days the digest draws (core/chart-series.ts). */
  readonly chart?: DigestChart;
}

/** Cost per project over `window` (UTC days), or null when the Costs API could not say. */
export interface ReportCosts {
  readonly window: Window;
  readonly perProject: ReadonlyMap<string | null, number> | null;
}

/**
 * Builds the result: projects by sessions, descending (then cost, then id, unattributed last),
 * names where known. A project with cost but no sessions still gets a row.
 */
export function buildReport(input: {
  kind: ReportResult['kind'];
  window: Window;
  totals: ProjectTotals;
  names: ReadonlyMap<string, string>;
  costs?: ReportCosts;
}): ReportResult {
  const costs = input.costs?.perProject ?? null;
  const ids = new Set<string | null>([...input.totals].filter(([, n]) => n > 0).map(([id]) => id));
  for (const [id, usd] of costs ?? []) {
    if (!Number.isFinite(usd)) {
      throw new SumOverflowError(
        `cost_usd of project ${id ?? 'unattributed'}`,
        `${usd} is not a finite amount`,
      );
    }
    if (usd !== 0) ids.add(id);
  }
  const projects = [...ids]
    .map((project_id): ProjectRow => {
      // Stryker disable next-line ConditionalExpression: names has no null key, so both branches give undefined
      const name = project_id === null ? undefined : input.names.get(project_id);
      return {
        project_id,
        ...(name === undefined ? {} : { project_name: name }),
        num_sessions: input.totals.get(project_id) ?? 0,
        cost_usd: costs ? (costs.get(project_id) ?? 0) : null,
      };
    })
    .sort(
      (a, b) =>
        b.num_sessions - a.num_sessions ||
        (b.cost_usd ?? 0) - (a.cost_usd ?? 0) ||
        compareIds(a.project_id, b.project_id),
    );
  const total = costs ? totalCost(costs) : null;
  return {
    kind: input.kind,
    start_time: input.window.start,
    end_time: input.window.end,
    total_sessions: sumTotals(input.totals),
    total_cost_usd: total,
    ...(total !== null && input.costs
      ? { cost_start_time: input.costs.window.start, cost_end_time: input.costs.window.end }
      : {}),
    projects,
  };
}

/** The largest cost a report sums: rounding to a millionth multiplies by 1e6, which must stay finite. */
const MAX_COST_USD = Number.MAX_VALUE / 1e6;

/** The report's cost: every project's, summed; two huge amounts that sum to Infinity fail, never `$∞`. */
function totalCost(costs: ReadonlyMap<string | null, number>): number {
  let sum = 0;
  for (const usd of costs.values()) sum += usd;
  if (!(Math.abs(sum) <= MAX_COST_USD)) {
    throw new SumOverflowError(
      'total_cost_usd',
      `the projects' costs sum past ±${MAX_COST_USD.toPrecision(2)} USD, more than a number holds to the millionth of a dollar`,
    );
  }
  return roundUsd(sum);
}

/**
 * Trend columns for each reported project from `history`, the trend windows, oldest first. The
 * first is what the period is compared with: for a daily report the same weekday a week before
 * (a Monday with a Monday), of whose 7 days it also gives the mean; for a weekly or monthly one
 * the week or month before.
 */
export function buildTrend(
  projects: readonly ProjectRow[],
  history: readonly ProjectTotals[],
  daily = true,
): Trend | undefined {
  const compared = history[0];
  if (!compared) return undefined;
  const mean = (value: number) => (daily ? { seven_day_mean_sessions: round1(value) } : {});
  return {
    compared_sessions: sumTotals(compared, 'compared_sessions'),
    ...mean(
      history.reduce((sum, day) => sum + sumTotals(day, 'seven_day_mean_sessions'), 0) / history.length,
    ),
    projects: projects.map((row) => ({
      project_id: row.project_id,
      compared_sessions: compared.get(row.project_id) ?? 0,
      ...mean(meanOf(row.project_id, history)),
    })),
  };
}

/** A daily report's unusual projects: each row judged against its mean over `history`, the 7 days before. */
export function unusualOf(
  projects: readonly ProjectRow[],
  history: readonly ProjectTotals[],
  thresholds: UnusualThresholds,
): UnusualProject[] {
  return findUnusual(
    projects.map((row) => ({
      project_id: row.project_id,
      num_sessions: row.num_sessions,
      mean_7d: meanOf(row.project_id, history),
      cost_usd: row.cost_usd ?? null,
    })),
    thresholds,
  );
}

/** Mean sessions a day of one project over `history` (unrounded). */
export function meanOf(id: string | null, history: readonly ProjectTotals[]): number {
  return history.length === 0
    ? 0
    : history.reduce((sum, day) => sum + (day.get(id) ?? 0), 0) / history.length;
}

/** Ids are unique keys, never equal: unattributed last, the rest in code-point order. */
function compareIds(a: string | null, b: string | null): number {
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
