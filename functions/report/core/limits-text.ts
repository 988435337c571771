import { formatUsd } from './cost';
import type { LocalDate } from './local-time';
import type { MonthToDate } from './report';
import type { LimitEntry } from './runway';
import { neutralizeText } from './text';

const UTC_DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

/** `19 Dec`: a UTC day as the runway names it. */
export const dayAndMonth = (date: LocalDate) => UTC_DAY.format(new Date(`${date}T00:00:00Z`));

const WHOLE_USD = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A limit as it was set: `$500`, `$2,000`, or `$123.45` when it has cents. */
export const formatLimitUsd = (usd: number) =>
  Number.isInteger(usd) ? `$${WHOLE_USD.format(usd)}` : formatUsd(usd);

/** Spend in a sentence: whole dollars from $10 (`$2,140`, `$31`), cents below (`$4.50`). */
export const formatSpendUsd = (usd: number) =>
  Math.abs(usd) >= 10 ? `${usd < 0 ? '−' : ''}$${WHOLE_USD.format(Math.abs(usd))}` : formatUsd(usd);

const kindText = (entry: LimitEntry) => (entry.kind === 'hard_limit' ? 'hard limit' : 'budget');

/**
 * The runway of one limit in words, worst first:
 * `OpenAI is refusing its requests now (hard limit $500 reached)`,
 * `is over its $2,000 budget: $2,140 this month`,
 * `reaches its $500 hard limit on 19 Dec at $31/day; traffic then fails with 429`,
 * `is heading for $1,840 this month, 92% of its $2,000 budget, at $61/day`,
 * `$120 of its $500 hard limit this month, forecast $300`.
 */
export function runwayText(entry: LimitEntry): string {
  const limit = `${formatLimitUsd(entry.limit_usd)} ${kindText(entry)}`;
  const pace = `${formatSpendUsd(entry.pace_usd_per_day)}/day`;
  const hard = entry.kind === 'hard_limit';
  switch (entry.status) {
    case 'enforcing':
      // A scope OpenAI blocks without saying its limit is kept at $0 (buildLimits): no amount then.
      return `OpenAI is refusing its requests now (hard limit ${entry.limit_usd > 0 ? `${formatLimitUsd(entry.limit_usd)} ` : ''}reached)`;
    case 'reached':
      return (
        `${entry.month_to_date_usd > entry.limit_usd ? 'is over' : 'has reached'} its ${limit}: ` +
        `${formatSpendUsd(entry.month_to_date_usd)} this month` +
        // OpenAI's tracking lags the Costs API: the 429s start when it notices.
        (hard ? '; traffic fails with 429 once OpenAI enforces it' : '')
      );
    case 'will_reach':
      return (
        `reaches its ${limit} on ${dayAndMonth(entry.reaches_on ?? '')} at ${pace}` +
        (hard ? '; traffic then fails with 429' : '')
      );
    case 'warn':
      return `is heading for ${formatSpendUsd(entry.forecast_usd)} this month, ${Math.round((entry.forecast_usd / entry.limit_usd) * 100)}% of its ${limit}, at ${pace}`;
    case 'ok':
      return `${formatSpendUsd(entry.month_to_date_usd)} of its ${limit} this month, forecast ${formatSpendUsd(entry.forecast_usd)}`;
  }
}

/**
 * Who a limit belongs to, as shown: `Organization`, a project's name (or id) with its id, or
 * `Route <name>`. Names come from users, so only characters that print as themselves.
 */
export function limitName(
  entry: LimitEntry,
  projectNames: ReadonlyMap<string | null, string>,
): { readonly name: string; readonly id: string | null } {
  if (entry.scope === 'organization' || entry.id === null) return { name: 'Organization', id: null };
  const id = neutralizeText(entry.id);
  if (entry.scope === 'route') return { name: `Route ${id}`, id: null };
  const name = projectNames.get(entry.id);
  return { name: name === undefined ? id : neutralizeText(name), id };
}

/** The limits a digest lists: every one whose status is not `ok`, worst first as the result has them. */
export function limitsShown(limits: readonly LimitEntry[] | undefined): LimitEntry[] {
  return (limits ?? []).filter((l) => l.status !== 'ok');
}

/** `3 more limits on track`, or '' when every limit is listed. */
export function limitsOnTrack(limits: readonly LimitEntry[] | undefined): string {
  const ok = (limits ?? []).length - limitsShown(limits).length;
  return ok === 0 ? '' : `${ok.toLocaleString('en-US')} more limit${ok === 1 ? '' : 's'} on track`;
}

/** Limits OpenAI enforces now (`blocked`), and those reached or reached this month (`atRisk`). */
export function limitCounts(limits: readonly LimitEntry[] | undefined): {
  readonly blocked: number;
  readonly atRisk: number;
} {
  const all = limits ?? [];
  return {
    blocked: all.filter((l) => l.status === 'enforcing').length,
    atRisk: all.filter((l) => l.status === 'reached' || l.status === 'will_reach').length,
  };
}

/** What the subject starts with: `⛔ 1 blocked · ⏳ 2 at risk`, either alone, or ''. */
export function limitsHeadline(limits: readonly LimitEntry[] | undefined): string {
  const { blocked, atRisk } = limitCounts(limits);
  return [
    ...(blocked ? [`⛔ ${blocked.toLocaleString('en-US')} blocked`] : []),
    ...(atRisk ? [`⏳ ${atRisk.toLocaleString('en-US')} at risk`] : []),
  ].join(' · ');
}

/** `Month to date: $1,234.56 ($210.00 code interpreter) · $61.20/day · forecast $1,897.20` */
export function monthToDateText(mtd: MonthToDate): string {
  return (
    `Month to date: ${formatUsd(mtd.cost_usd)} (${formatUsd(mtd.code_interpreter_cost_usd)} code interpreter)` +
    ` · ${formatUsd(mtd.pace_usd_per_day)}/day · forecast ${formatUsd(mtd.forecast_usd)}`
  );
}
