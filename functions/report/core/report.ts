import { type ProjectTotals, sumTotals } from './aggregate';
import { roundUsd } from './cost';
import type { Window } from './local-time';
import type { UnusualProject } from './unusual';

export interface ProjectRow {
  readonly project_id: string | null;
  readonly project_name?: string;
  readonly num_sessions: number;
  /** Code interpreter cost (USD) over the cost window; 0 without any; null when cost is unavailable. */
  readonly cost_usd?: number | null;
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
}

/** Context for a digest: the period compared with and, for a daily one, the mean of the 7 days before. */
export interface Trend {
  readonly compared_sessions: number;
  readonly seven_day_mean_sessions?: number;
  /** In the same order as the report's `projects`. */
  readonly projects: readonly ProjectTrend[];
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
  for (const [id, usd] of costs ?? []) if (usd !== 0) ids.add(id);
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
  const total = costs ? roundUsd([...costs.values()].reduce((sum, usd) => sum + usd, 0)) : null;
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
    compared_sessions: sumTotals(compared),
    ...mean(history.reduce((sum, day) => sum + sumTotals(day), 0) / history.length),
    projects: projects.map((row) => ({
      project_id: row.project_id,
      compared_sessions: compared.get(row.project_id) ?? 0,
      ...mean(meanOf(row.project_id, history)),
    })),
  };
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
