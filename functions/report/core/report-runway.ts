import { roundUsd } from './cost';
import { projectSetKey, type SpendByDay } from './daily-spend';
import type { LocalDate, Window } from './local-time';
import type { MonthToDate, ReportResult } from './report';
import {
  buildLimits,
  type DailySpend,
  type LimitEntry,
  type LimitsInput,
  monthToDateUsd,
  monthToDateWindow,
  runwayOf,
  runwaySpendWindow,
  sumDailySpend,
} from './runway';
import type { SpendLimit } from './spend-limit';

const DAY = 86_400;

/** A route as the runway sees it: its projects, and its own monthly budget when it has one. */
export interface RouteBudget {
  readonly name: string;
  readonly projectIds: readonly string[];
  readonly monthlyBudgetUsd?: number;
}

/** Everything a scheduled digest's month to date and limits are worked out from, fetched once. */
export interface RunwayInputs {
  /** The report's cost window (whole UTC days); its last day is the cost day C. */
  readonly costWindow: Window;
  /** Spend per project and UTC day through C; null when the Costs API could not say. */
  readonly spend: SpendByDay | null;
  /** The organization's hard limit; undefined when it could not be read. */
  readonly organizationLimit?: SpendLimit;
  /** Hard limits of the projects with spend this month, as far as they could be read. */
  readonly projectLimits: ReadonlyMap<string, SpendLimit>;
  readonly budgets?: LimitsInput['budgets'];
  readonly warnAt?: number;
  readonly routes?: readonly RouteBudget[];
}

/** What a result gains from the runway. */
export interface RunwayFigures {
  readonly month_to_date: MonthToDate | null;
  /** A project's month to date (all line items), or null when spend is unknown. */
  projectMonthToDate(projectId: string | null): number | null;
  readonly limits: LimitEntry[];
}

/**
 * The UTC days of spend a scheduled digest reads in one go: the runway's (runwaySpendWindow of C)
 * and, from `chartFrom` (the first local date its chart draws, whose cost is the UTC day with that
 * date) on, the chart's. Month to date and pace still pick their own days out of it by date.
 */
export function digestSpendWindow(costWindow: Window, chartFrom?: LocalDate): Window {
  const runway = runwaySpendWindow(costDayOf(costWindow));
  if (chartFrom === undefined) return runway;
  return { start: Math.min(runway.start, Date.parse(`${chartFrom}T00:00:00Z`) / 1000), end: runway.end };
}

/**
 * Each project's spend (all line items) on the cost day C, from the runway's daily spend: what the
 * history records per project and day.
 */
export function spendOnCostDay(spend: SpendByDay, costWindow: Window): Map<string | null, number> {
  const costDay = costDayOf(costWindow);
  const usd = new Map<string | null, number>();
  for (const [id, series] of spend.total) {
    const day = series.filter((row) => row.date === costDay);
    if (day.length) usd.set(id, roundUsd(day.reduce((sum, row) => sum + row.usd, 0)));
  }
  return usd;
}

/** C: the UTC day a cost window closes on. */
export function costDayOf(costWindow: Window): LocalDate {
  return new Date((costWindow.end - DAY) * 1000).toISOString().slice(0, 10);
}

/**
 * Month to date, each project's, and the limits list, for the organization or (with `route`) for
 * one route: its projects' spend, their hard limits and budgets, and the route's own budget, never
 * the organization's entries. Without spend, only enforcing hard limits are listed (a scope whose
 * requests fail must never drop out), and month to date is null.
 */
export function runwayFigures(
  inputs: RunwayInputs,
  route?: { readonly projectIds: ReadonlySet<string>; readonly budget?: RouteBudget },
): RunwayFigures {
  const costDay = costDayOf(inputs.costWindow);
  const keep = (id: string | null) => !route || (id !== null && route.projectIds.has(id));
  const filter = (series: ReadonlyMap<string | null, readonly DailySpend[]> | undefined) =>
    new Map([...(series ?? [])].filter(([id]) => keep(id)));
  const total = filter(inputs.spend?.total);
  const organizationSpend = sumDailySpend([...total.values()]);
  const projectSpend = new Map(
    [...total].filter((entry): entry is [string, readonly DailySpend[]] => entry[0] !== null),
  );
  const budgets = inputs.budgets ?? {};
  const limits = buildLimits({
    costDay,
    ...(inputs.warnAt === undefined ? {} : { warnAt: inputs.warnAt }),
    organizationSpend,
    projectSpend,
    ...(route || !inputs.organizationLimit ? {} : { organizationHardLimit: inputs.organizationLimit }),
    projectHardLimits: new Map([...inputs.projectLimits].filter(([id]) => keep(id))),
    budgets: {
      ...(route || budgets.organizationUsd === undefined ? {} : { organizationUsd: budgets.organizationUsd }),
      projects: Object.fromEntries(Object.entries(budgets.projects ?? {}).filter(([id]) => keep(id))),
    },
    routes: route ? (route.budget ? [route.budget] : []) : (inputs.routes ?? []),
  });
  if (!inputs.spend) {
    return {
      month_to_date: null,
      projectMonthToDate: () => null,
      limits: limits.filter((entry) => entry.status === 'enforcing'),
    };
  }
  const runway = runwayOf(organizationSpend, costDay);
  const window = monthToDateWindow(costDay);
  // Code interpreter's part per day was fetched for the organization and for each route's projects
  // (a set of projects that is no route's has none: its month to date is then unknown).
  const codeInterpreter = route
    ? inputs.spend.routeCodeInterpreter.get(projectSetKey(route.projectIds))
    : inputs.spend.codeInterpreter;
  const monthToDate = monthToDateOf(inputs.spend, costDay);
  return {
    month_to_date: codeInterpreter
      ? {
          start_time: window.start,
          end_time: window.end,
          cost_usd: runway.monthToDateUsd,
          code_interpreter_cost_usd: monthToDateUsd(codeInterpreter, costDay),
          pace_usd_per_day: runway.paceUsdPerDay,
          forecast_usd: runway.forecastUsd,
        }
      : null,
    projectMonthToDate: (id) => (keep(id) ? (monthToDate.get(id) ?? 0) : 0),
    limits,
  };
}

/** Each project's month to date, worked out once per fetched spend (the digest and every route read it). */
const monthToDates = new WeakMap<SpendByDay, { costDay: LocalDate; usd: Map<string | null, number> }>();

function monthToDateOf(spend: SpendByDay, costDay: LocalDate): ReadonlyMap<string | null, number> {
  const known = monthToDates.get(spend);
  if (known?.costDay === costDay) return known.usd;
  const usd = new Map([...spend.total].map(([id, series]) => [id, monthToDateUsd(series, costDay)]));
  monthToDates.set(spend, { costDay, usd });
  return usd;
}

/** The projects with spend (any line item) from the 1st of C's month through C: those whose hard limits matter. */
export function projectsSpendingThisMonth(spend: SpendByDay, costWindow: Window): string[] {
  return [...monthToDateOf(spend, costDayOf(costWindow))]
    .filter((entry): entry is [string, number] => entry[0] !== null && entry[1] !== 0)
    .map(([id]) => id)
    .sort();
}

/**
 * `result` with month to date, each project's month to date and the limits list. With `only` (a
 * route's projects), the route's figures: see {@link runwayFigures}; the route is the one whose
 * projects are `only`.
 */
export function withRunway(
  result: ReportResult,
  inputs: RunwayInputs,
  only?: ReadonlySet<string>,
): ReportResult {
  const budget = only
    ? inputs.routes?.find(
        (route) =>
          route.projectIds.length > 0 &&
          new Set(route.projectIds).size === only.size &&
          route.projectIds.every((id) => only.has(id)),
      )
    : undefined;
  const figures = runwayFigures(
    inputs,
    only ? { projectIds: only, ...(budget ? { budget } : {}) } : undefined,
  );
  return {
    ...result,
    projects: result.projects.map((row) => ({
      ...row,
      month_to_date_cost_usd: figures.projectMonthToDate(row.project_id),
    })),
    month_to_date: figures.month_to_date,
    limits: figures.limits,
  };
}
