import { roundUsd } from './cost';
import { addDays, type LocalDate, parseLocalDate, type Window } from './local-time';
import type { SpendLimit } from './spend-limit';

/** Whole UTC days the pace is taken over: C-6..C. */
export const PACE_DAYS = 7;
/** The fraction of a limit at which a forecast warns, unless settings say otherwise. */
export const DEFAULT_BUDGET_WARN_AT = 0.8;

/** One UTC day's total spend (all line items) of one scope, in USD. Rows of the same date add up. */
export interface DailySpend {
  readonly date: LocalDate;
  readonly usd: number;
}

/** Month to date, pace and forecast of one scope on cost day C (the UTC day the cost window closes on). */
export interface Runway {
  readonly costDay: LocalDate;
  /** Spend over the UTC days from the 1st of C's month through C. */
  readonly monthToDateUsd: number;
  /** Spend over the 7 UTC days C-6..C, divided by 7 (those days may lie in the previous month). */
  readonly paceUsdPerDay: number;
  /** Month to date + pace × (UTC days of C's month after C). */
  readonly forecastUsd: number;
  /** UTC days of C's month after C. */
  readonly daysLeft: number;
}

const LIMIT_SCOPES = ['organization', 'project', 'route'] as const;
export type LimitScope = (typeof LIMIT_SCOPES)[number];
export type LimitKind = 'hard_limit' | 'budget';

/** Statuses, worst first. */
export const LIMIT_STATUSES = ['enforcing', 'reached', 'will_reach', 'warn', 'ok'] as const;
export type LimitStatus = (typeof LIMIT_STATUSES)[number];

/** One entry of the result's `limits` list. */
export interface LimitEntry {
  readonly scope: LimitScope;
  /** Project id, route name, or null for the organization. */
  readonly id: string | null;
  readonly kind: LimitKind;
  readonly limit_usd: number;
  readonly month_to_date_usd: number;
  /** The pace the forecast and `reaches_on` use, for the runway in words ("at $31/day"). */
  readonly pace_usd_per_day: number;
  readonly forecast_usd: number;
  readonly reaches_on: LocalDate | null;
  readonly status: LimitStatus;
}

/** The 1st of `day`'s month. */
export function firstOfMonth(day: LocalDate): LocalDate {
  const { year, month } = parse(day);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;
}

/** UTC days of `day`'s month after `day` (0 on its last day). */
export function daysLeftInMonth(day: LocalDate): number {
  const { year, month, day: date } = parse(day);
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate() - date;
}

/** The UTC days from the 1st of C's month through C, as a window in Unix seconds. */
export function monthToDateWindow(costDay: LocalDate): Window {
  return { start: utcStart(firstOfMonth(costDay)), end: utcStart(addDays(costDay, 1)) };
}

/**
 * The UTC days whose spend a runway needs: from the earlier of the 1st of C's month and C-6,
 * through C, as a window in Unix seconds.
 */
export function runwaySpendWindow(costDay: LocalDate): Window {
  const paceStart = addDays(costDay, 1 - PACE_DAYS);
  const first = firstOfMonth(costDay);
  return { start: utcStart(paceStart < first ? paceStart : first), end: utcStart(addDays(costDay, 1)) };
}

/** Total spend over the UTC days from the 1st of C's month through C, rounded to a millionth of a dollar. */
export function monthToDateUsd(spend: readonly DailySpend[], costDay: LocalDate): number {
  return roundUsd(sumBetween(spend, firstOfMonth(costDay), costDay));
}

/** Total spend over the 7 UTC days C-6..C, divided by 7, rounded to a millionth of a dollar. */
export function paceUsdPerDay(spend: readonly DailySpend[], costDay: LocalDate): number {
  return roundUsd(sumBetween(spend, addDays(costDay, 1 - PACE_DAYS), costDay) / PACE_DAYS);
}

/**
 * Month to date, pace and forecast of one scope on cost day C:
 * - month to date = spend over the UTC days from the 1st of C's month through C;
 * - pace = spend over the 7 UTC days C-6..C, divided by 7;
 * - forecast = month to date + pace × (UTC days of C's month after C).
 * Each is rounded to a millionth of a dollar; the forecast is computed from the rounded pace, so
 * anyone can check it from the published figures.
 */
export function runwayOf(spend: readonly DailySpend[], costDay: LocalDate): Runway {
  const monthToDate = monthToDateUsd(spend, costDay);
  const pace = paceUsdPerDay(spend, costDay);
  const daysLeft = daysLeftInMonth(costDay);
  return {
    costDay,
    monthToDateUsd: monthToDate,
    paceUsdPerDay: pace,
    forecastUsd: roundUsd(monthToDate + pace * daysLeft),
    daysLeft,
  };
}

/**
 * The UTC day a limit L is reached at the current pace: C + k days with
 * k = ceil((L − month to date) / pace), when month to date < L, pace > 0 and C + k is still in C's
 * month; otherwise null.
 */
export function reachesOn(limitUsd: number, runway: Runway): LocalDate | null {
  const limit = micros(limitUsd);
  const monthToDate = micros(runway.monthToDateUsd);
  const pace = micros(runway.paceUsdPerDay);
  if (monthToDate >= limit || pace <= 0) return null;
  // In whole micro-dollars, so a quotient that is a whole number is never pushed up by a rounding error.
  const k = ceilDivide(limit - monthToDate, pace);
  return k <= runway.daysLeft ? addDays(runway.costDay, k) : null;
}

/**
 * The status of a limit L, worst first: `enforcing` (OpenAI says it is refusing the scope's requests
 * now), `reached` (month to date ≥ L), `will_reach` (a `reaches_on` date), `warn` (forecast ≥
 * warnAt × L, the product rounded to a millionth of a dollar so 0.8 × $123.45 is $98.76), else `ok`.
 */
export function limitStatus(
  limitUsd: number,
  runway: Runway,
  options: { readonly enforcing?: boolean; readonly warnAt?: number } = {},
): LimitStatus {
  if (options.enforcing === true) return 'enforcing';
  if (micros(runway.monthToDateUsd) >= micros(limitUsd)) return 'reached';
  if (reachesOn(limitUsd, runway) !== null) return 'will_reach';
  const warnAt = options.warnAt ?? DEFAULT_BUDGET_WARN_AT;
  if (micros(runway.forecastUsd) >= micros(roundUsd(warnAt * limitUsd))) return 'warn';
  return 'ok';
}

/** One limit or budget to assess, with the daily spend it is measured against. */
export interface LimitSubject {
  readonly scope: LimitScope;
  readonly id: string | null;
  readonly kind: LimitKind;
  readonly limitUsd: number;
  /** OpenAI refuses the scope's requests now; only hard limits enforce. */
  readonly enforcing?: boolean;
  readonly spend: readonly DailySpend[];
}

/** One entry of the `limits` list for `subject` on cost day C. */
export function assessLimit(
  subject: LimitSubject,
  costDay: LocalDate,
  warnAt = DEFAULT_BUDGET_WARN_AT,
): LimitEntry {
  if (!Number.isFinite(subject.limitUsd) || subject.limitUsd < 0) {
    throw new RangeError(`the ${subject.kind} of ${subject.scope} ${subject.id ?? ''} is not an amount`);
  }
  const runway = runwayOf(subject.spend, costDay);
  return {
    scope: subject.scope,
    id: subject.id,
    kind: subject.kind,
    limit_usd: subject.limitUsd,
    month_to_date_usd: runway.monthToDateUsd,
    pace_usd_per_day: runway.paceUsdPerDay,
    forecast_usd: runway.forecastUsd,
    reaches_on: reachesOn(subject.limitUsd, runway),
    status: limitStatus(subject.limitUsd, runway, { enforcing: subject.enforcing === true, warnAt }),
  };
}

/**
 * Orders limits worst status first; ties go to the earliest `reaches_on` (none last), then the
 * highest month to date / limit, then the id (the organization's null first), then hard limits
 * before budgets.
 */
export function compareLimits(a: LimitEntry, b: LimitEntry): number {
  return (
    LIMIT_STATUSES.indexOf(a.status) - LIMIT_STATUSES.indexOf(b.status) ||
    compareReachesOn(a.reaches_on, b.reaches_on) ||
    usedShare(b) - usedShare(a) ||
    compareIds(a.id, b.id) ||
    (a.kind === b.kind ? 0 : a.kind === 'hard_limit' ? -1 : 1) ||
    LIMIT_SCOPES.indexOf(a.scope) - LIMIT_SCOPES.indexOf(b.scope)
  );
}

/** Daily spend of several scopes added up per date (a route's projects), in date order. */
export function sumDailySpend(series: readonly (readonly DailySpend[])[]): DailySpend[] {
  const byDate = new Map<LocalDate, number>();
  for (const rows of series) {
    for (const row of rows) byDate.set(row.date, (byDate.get(row.date) ?? 0) + row.usd);
  }
  return [...byDate].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([date, usd]) => ({ date, usd }));
}

/** What the `limits` list is built from: spend per scope, OpenAI's hard limits and the settings' budgets. */
export interface LimitsInput {
  /** C: the UTC day the report's cost window closes on. */
  readonly costDay: LocalDate;
  /** @default DEFAULT_BUDGET_WARN_AT */
  readonly warnAt?: number;
  /** The organization's total daily spend. */
  readonly organizationSpend: readonly DailySpend[];
  /** Total daily spend per project id; a project missing here has spent nothing. */
  readonly projectSpend: ReadonlyMap<string, readonly DailySpend[]>;
  /** The organization's hard limit; undefined when unknown (unavailable or not read). */
  readonly organizationHardLimit?: SpendLimit;
  /** Hard limits per project id, as far as they are known. */
  readonly projectHardLimits?: ReadonlyMap<string, SpendLimit>;
  readonly budgets?: {
    readonly organizationUsd?: number;
    readonly projects?: Readonly<Record<string, number>>;
  };
  /** Routes with a monthly budget of their own, measured against their projects' spend summed. */
  readonly routes?: readonly {
    readonly name: string;
    readonly projectIds: readonly string[];
    readonly monthlyBudgetUsd?: number;
  }[];
}

/**
 * Every known hard limit and budget as `limits` entries, worst first (see {@link compareLimits}).
 * A hard limit of null is no limit, unless OpenAI says it is enforcing: then the entry is kept with a
 * limit of $0, because a scope whose requests fail must never drop out of the digest.
 */
export function buildLimits(input: LimitsInput): LimitEntry[] {
  const subjects: LimitSubject[] = [];
  const projectSpend = (id: string) => input.projectSpend.get(id) ?? [];
  const hardLimit = (
    scope: LimitScope,
    id: string | null,
    limit: SpendLimit | undefined,
    spend: readonly DailySpend[],
  ) => {
    if (limit === undefined || (limit.limitUsd === null && !limit.enforcing)) return;
    subjects.push({
      scope,
      id,
      kind: 'hard_limit',
      limitUsd: limit.limitUsd ?? 0,
      enforcing: limit.enforcing,
      spend,
    });
  };
  hardLimit('organization', null, input.organizationHardLimit, input.organizationSpend);
  for (const [id, limit] of input.projectHardLimits ?? []) hardLimit('project', id, limit, projectSpend(id));
  const budgets = input.budgets ?? {};
  if (budgets.organizationUsd !== undefined) {
    subjects.push({
      scope: 'organization',
      id: null,
      kind: 'budget',
      limitUsd: budgets.organizationUsd,
      spend: input.organizationSpend,
    });
  }
  for (const [id, usd] of Object.entries(budgets.projects ?? {})) {
    subjects.push({ scope: 'project', id, kind: 'budget', limitUsd: usd, spend: projectSpend(id) });
  }
  for (const route of input.routes ?? []) {
    if (route.monthlyBudgetUsd === undefined) continue;
    // A project listed twice in a route is still spent once.
    const spend = sumDailySpend([...new Set(route.projectIds)].map(projectSpend));
    subjects.push({
      scope: 'route',
      id: route.name,
      kind: 'budget',
      limitUsd: route.monthlyBudgetUsd,
      spend,
    });
  }
  return subjects.map((subject) => assessLimit(subject, input.costDay, input.warnAt)).sort(compareLimits);
}

function compareReachesOn(a: LocalDate | null, b: LocalDate | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

function compareIds(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function usedShare(entry: LimitEntry): number {
  if (entry.limit_usd > 0) return entry.month_to_date_usd / entry.limit_usd;
  return entry.month_to_date_usd > 0 ? Number.POSITIVE_INFINITY : 0;
}

/**
 * Dates already found valid: a digest sums the same few dozen dates over 1,500 projects' series,
 * several times each, so each is checked once (bounded, in case a process runs for years).
 */
const VALID_DATES = new Set<LocalDate>();

function sumBetween(spend: readonly DailySpend[], first: LocalDate, last: LocalDate): number {
  let total = 0;
  for (const row of spend) {
    if (!VALID_DATES.has(row.date)) {
      if (!parseLocalDate(row.date)) throw new RangeError(`not a date: ${row.date}`);
      if (VALID_DATES.size < 10_000) VALID_DATES.add(row.date);
    }
    if (!Number.isFinite(row.usd)) throw new RangeError(`the spend of ${row.date} is not an amount`);
    // YYYY-MM-DD strings order as the days do.
    if (row.date >= first && row.date <= last) total += row.usd;
  }
  return total;
}

function ceilDivide(numerator: number, denominator: number): number {
  const quotient = Math.floor(numerator / denominator);
  return quotient * denominator < numerator ? quotient + 1 : quotient;
}

/** USD (already rounded to a millionth) in whole millionths, where comparisons and division are exact. */
function micros(usd: number): number {
  return Math.round(usd * 1e6);
}

function utcStart(day: LocalDate): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

function parse(day: LocalDate): { year: number; month: number; day: number } {
  const parsed = parseLocalDate(day);
  if (!parsed) throw new RangeError(`not a date: ${day}`);
  return parsed;
}
