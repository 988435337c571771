import { type ProjectTotals, sumTotals } from './aggregate';
import type { Window } from './local-time';

export interface ProjectRow {
  readonly project_id: string | null;
  readonly project_name?: string;
  readonly num_sessions: number;
}

export interface ProjectTrend {
  readonly project_id: string | null;
  readonly previous_day_sessions: number;
  /** Mean sessions a day over the TREND_DAYS days before the report day. */
  readonly seven_day_mean_sessions: number;
}

/** The contract's return value (Unix seconds, `end_time` exclusive). */
export interface ReportResult {
  readonly start_time: number;
  readonly end_time: number;
  readonly total_sessions: number;
  readonly projects: readonly ProjectRow[];
}

/** Context for a daily email: the day before and the mean of the days before that. */
export interface Trend {
  readonly previous_day_sessions: number;
  readonly seven_day_mean_sessions: number;
  /** In the same order as the report's `projects`. */
  readonly projects: readonly ProjectTrend[];
}

/** Builds the result: projects by sessions, descending (ties by id, unattributed last), names where known. */
export function buildReport(input: {
  window: Window;
  totals: ProjectTotals;
  names: ReadonlyMap<string, string>;
}): ReportResult {
  const projects = [...input.totals.entries()]
    .filter(([, count]) => count > 0)
    .sort(([idA, a], [idB, b]) => b - a || compareIds(idA, idB))
    .map(([project_id, num_sessions]): ProjectRow => {
      // Stryker disable next-line ConditionalExpression: names has no null key, so both branches give undefined
      const name = project_id === null ? undefined : input.names.get(project_id);
      return name === undefined
        ? { project_id, num_sessions }
        : { project_id, project_name: name, num_sessions };
    });
  return {
    start_time: input.window.start,
    end_time: input.window.end,
    total_sessions: sumTotals(input.totals),
    projects,
  };
}

/** Trend columns for each reported project from `history`, the days before the report day, oldest first. */
export function buildTrend(
  projects: readonly ProjectRow[],
  history: readonly ProjectTotals[],
): Trend | undefined {
  const previous = history.at(-1);
  if (!previous) return undefined;
  const mean = (id: string | null) =>
    round1(history.reduce((sum, day) => sum + (day.get(id) ?? 0), 0) / history.length);
  return {
    previous_day_sessions: sumTotals(previous),
    seven_day_mean_sessions: round1(history.reduce((sum, day) => sum + sumTotals(day), 0) / history.length),
    projects: projects.map((row) => ({
      project_id: row.project_id,
      previous_day_sessions: previous.get(row.project_id) ?? 0,
      seven_day_mean_sessions: mean(row.project_id),
    })),
  };
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
