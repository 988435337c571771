import { roundUsd } from './cost';
import type { LocalDate } from './local-time';
import type { ReportResult } from './report';
import type { UnusualProject } from './unusual';

/** One project's day as the history keeps it: one row per project and day, so sums never double-count. */
export interface HistoryRow {
  /** The local report date, YYYY-MM-DD. */
  readonly date: string;
  /** The IANA zone the date is local to. */
  readonly time_zone: string;
  /** The local day's start, epoch seconds. */
  readonly start_time: number;
  /** The local day's end (exclusive), epoch seconds. */
  readonly end_time: number;
  /** Null: usage no project owns (unattributed). */
  readonly project_id: string | null;
  readonly project_name: string | null;
  readonly num_sessions: number;
  /** The report's code interpreter cost (its cost window, the UTC day); null when unavailable. */
  readonly code_interpreter_cost_usd: number | null;
  /** The day's spend over all line items; null when unknown. */
  readonly total_cost_usd: number | null;
  readonly unusual_reason: UnusualProject['reason'] | null;
  /** The names of the routes the project belongs to, in configuration order; empty when none. */
  readonly routes: readonly string[];
}

/** What `historyRows` turns into rows. */
export interface HistoryRowsInput {
  /** The daily report over every project. */
  readonly result: ReportResult;
  readonly timeZone: string;
  readonly date: LocalDate;
  /** Each project's spend that day over all line items; null or absent when unknown. */
  readonly totalCostByProject?: ReadonlyMap<string | null, number> | null;
  readonly routes: readonly { readonly name: string; readonly projectIds: readonly string[] }[];
}

/**
 * The history rows of one report day: a row for each project the report shows, in its order, then
 * one with 0 sessions for each project billed only for other line items, so that `total_cost_usd`
 * sums to the day's spend.
 */
export function historyRows(input: HistoryRowsInput): HistoryRow[] {
  const { result } = input;
  const totals = input.totalCostByProject ?? null;
  const costKnown = result.total_cost_usd !== null;
  // Stryker disable next-line ArrayDeclaration: a stray entry would be keyed undefined, which no project id (a string or null) matches
  const reasons = new Map((result.unusual ?? []).map((u) => [u.project_id, u.reason]));
  const row = (
    project_id: string | null,
    rest: Pick<HistoryRow, 'project_name' | 'num_sessions' | 'code_interpreter_cost_usd'>,
  ): HistoryRow => ({
    date: input.date,
    time_zone: input.timeZone,
    start_time: result.start_time,
    end_time: result.end_time,
    project_id,
    ...rest,
    total_cost_usd: totals ? roundUsd(totals.get(project_id) ?? 0) : null,
    unusual_reason: reasons.get(project_id) ?? null,
    // Unattributed usage belongs to no route: routes list project ids only.
    routes:
      // Stryker disable next-line ConditionalExpression: route project ids are strings, so none includes null either way
      project_id === null
        ? []
        : input.routes.filter((r) => r.projectIds.includes(project_id)).map((r) => r.name),
  });
  const rows = result.projects.map((p) =>
    row(p.project_id, {
      project_name: p.project_name ?? null,
      num_sessions: p.num_sessions,
      code_interpreter_cost_usd: costKnown ? (p.cost_usd ?? 0) : null,
    }),
  );
  const shown = new Set(result.projects.map((p) => p.project_id));
  const billedOnly = [...(totals ?? [])]
    .filter(([id, usd]) => !shown.has(id) && usd !== 0)
    .sort(([a, x], [b, y]) => y - x || compareIds(a, b));
  for (const [id] of billedOnly) {
    rows.push(
      row(id, { project_name: null, num_sessions: 0, code_interpreter_cost_usd: costKnown ? 0 : null }),
    );
  }
  return rows;
}

/** Unattributed last, the rest in code-point order. */
function compareIds(a: string | null, b: string | null): number {
  // Stryker disable next-line ConditionalExpression: ids are a map's keys, so sort never compares two equal ones
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  // Stryker disable next-line EqualityOperator: equal ids returned 0 above, so <= orders as <
  return a < b ? -1 : 1;
}
