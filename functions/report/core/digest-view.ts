import { formatUsd } from './cost';
import { limitName, limitsOnTrack, limitsShown, monthToDateText, runwayText } from './limits-text';
import { localDateOf, startOfLocalDay, type Window } from './local-time';
import type { ProjectRow, ProjectTrend, ReportResult, Trend } from './report';
import type { LimitEntry } from './runway';
import { organizationSparks, projectSeries, type SparkRow } from './sparkline';
import { type KeyShare, keyShares } from './spike-keys-text';
import { neutralizeText } from './text';
import type { UnusualProject } from './unusual';

/** Rows shown in the body; past this the email points to the CSV attachment. */
export const BODY_ROW_LIMIT = 25;
/** How usage without a project is named, in every format. */
export const UNATTRIBUTED = 'unattributed';

/** What the email says beside the result: why cost is missing, and the cost alert's threshold. */
export interface DigestNotes {
  /** Why cost is unavailable (one sentence), when `total_cost_usd` is null. */
  readonly costUnavailable?: string;
  /** The ALERT_COST_USD threshold, to say what a cost alert was measured against. */
  readonly alertCostUsd?: number;
  /** What of the hard limits could not be read, and why (one sentence, lower case), when some could not. */
  readonly limitsUnavailable?: string;
  /** Why the month to date is missing (one sentence, lower case), when `month_to_date` is null. */
  readonly monthToDateUnavailable?: string;
}

/** A limit or budget the digest lists, with its owner's name and its runway in words. */
export interface LimitLine {
  readonly entry: LimitEntry;
  readonly name: string;
  /** The project id shown beside the name; null for the organization and routes. */
  readonly id: string | null;
  readonly text: string;
}

/** A project row of the body, with its trend when the digest has one. */
export interface BodyRow {
  readonly project: ProjectRow;
  readonly trend?: ProjectTrend;
  /** Its sessions on the chart's last 14 days, when the digest has a chart. */
  readonly sparkline?: readonly number[];
}

/** What every format of a digest shows, worked out once: the formats only lay it out. */
export interface DigestView {
  readonly report: ReportResult;
  readonly trend: Trend | undefined;
  readonly period: string;
  readonly timeZone: string;
  readonly rows: readonly BodyRow[];
  /** Projects the body leaves out, and their sessions. */
  readonly hidden: number;
  readonly hiddenSessions: number;
  /** Sessions of the top project, which the bars scale to. */
  readonly top: number;
  /** The cost line: the amount and the UTC days it covers, or why it is unavailable. */
  readonly cost: string;
  readonly unusual: readonly (UnusualProject & {
    readonly name: string;
    readonly text: string;
    /** The top keys behind its day, with their shares; empty when unknown. */
    readonly shares: readonly KeyShare[];
  })[];
  /** The organization's sparklines (text and chat), empty without a chart. */
  readonly sparks: readonly SparkRow[];
  /** What the trend compares with: `last Thu`, `the week before`, `the month before`. */
  readonly compared: string;
  /** The month-to-date line, or why it is missing; undefined for a digest without one (a range). */
  readonly monthToDate: string | undefined;
  /** Lines saying what else could not be read (hard limits), capitalized. */
  readonly missing: readonly string[];
  /** Every limit whose status is not `ok`, worst first. */
  readonly limits: readonly LimitLine[];
  /** `3 more limits on track`, or ''. */
  readonly limitsOnTrack: string;
}

/** The view of a report in `timeZone`: the period, the body's rows, what is unusual, the cost line. */
export function digestView(
  report: ReportResult,
  timeZone: string,
  trend?: Trend,
  notes: DigestNotes = {},
): DigestView {
  const rows = bodyRows(report, trend);
  const names = new Map(report.projects.map((p) => [p.project_id, displayName(p)]));
  return {
    report,
    trend,
    period: describeWindow({ start: report.start_time, end: report.end_time }, timeZone),
    timeZone,
    rows,
    hidden: report.projects.length - rows.length,
    hiddenSessions: report.total_sessions - rows.reduce((sum, r) => sum + r.project.num_sessions, 0),
    top: report.projects[0]?.num_sessions ?? 0,
    cost: costSummary(report, timeZone, notes),
    unusual: (report.unusual ?? []).map((u) => ({
      ...u,
      name: names.get(u.project_id) ?? UNATTRIBUTED,
      text: unusualText(u, notes),
      shares: keyShares(u),
    })),
    sparks: trend?.chart ? organizationSparks(report.kind, trend.chart) : [],
    compared: comparedWith(report.kind, weekdayOf(report.start_time, timeZone)),
    monthToDate: monthToDateLine(report, notes),
    missing: notes.limitsUnavailable === undefined ? [] : [capitalize(notes.limitsUnavailable)],
    limits: limitsShown(report.limits).map((entry) => ({
      entry,
      ...limitName(entry, projectNames(report)),
      text: runwayText(entry),
    })),
    limitsOnTrack: limitsOnTrack(report.limits),
  };
}

/** Project names by id, as the result knows them (a project without sessions or cost may have none). */
function projectNames(report: ReportResult): Map<string | null, string> {
  const names = new Map<string | null, string>();
  for (const p of report.projects) if (p.project_name !== undefined) names.set(p.project_id, p.project_name);
  return names;
}

function monthToDateLine(report: ReportResult, notes: DigestNotes): string | undefined {
  if (report.month_to_date) return monthToDateText(report.month_to_date);
  if (notes.monthToDateUnavailable !== undefined) return capitalize(notes.monthToDateUnavailable);
  return report.month_to_date === null ? 'Month to date unavailable' : undefined;
}

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** `1,234.5`: a count or mean, to one decimal at most. */
export const formatCount = (n: number) => COUNT_FORMAT.format(n);

const sessions = (n: number) => `${formatCount(n)} session${n === 1 ? '' : 's'}`;

/** The text with its first letter upper-cased. */
export const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** `2026-11-21`, `2026-11-01 – 2026-11-07`, or date-times when the window is not whole local days. */
export function describeWindow(window: Window, timeZone: string): string {
  const first = localDateOf(window.start, timeZone);
  const last = localDateOf(window.end - 1, timeZone);
  const wholeDays =
    startOfLocalDay(first, timeZone) === window.start &&
    startOfLocalDay(localDateOf(window.end, timeZone), timeZone) === window.end;
  if (wholeDays) return first === last ? first : `${first} – ${last}`;
  return `${formatDateTime(window.start, timeZone)} – ${formatDateTime(window.end, timeZone)}`;
}

function formatDateTime(epochSeconds: number, timeZone: string): string {
  const time = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return `${localDateOf(epochSeconds, timeZone)} ${time.format(new Date(epochSeconds * 1000))}`;
}

const UTC_DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });

/**
 * `$41.10 code interpreter cost`, with the UTC days it covers when the report's zone is not UTC
 * (the Costs API has only UTC days), or `cost unavailable: why`.
 */
export function costSummary(report: ReportResult, timeZone: string, notes: DigestNotes = {}): string {
  if (report.total_cost_usd === null)
    return `cost unavailable: ${notes.costUnavailable ?? 'the Costs API gave no answer'}`;
  const amount = `${formatUsd(report.total_cost_usd)} code interpreter cost`;
  if (timeZone === 'UTC' || report.cost_start_time === undefined || report.cost_end_time === undefined)
    return amount;
  const first = UTC_DAY.format(new Date(report.cost_start_time * 1000));
  const last = UTC_DAY.format(new Date((report.cost_end_time - 86_400) * 1000));
  return `${amount} (cost: ${first === last ? `${first}, UTC day` : `${first} – ${last}, UTC days`})`;
}

/** Why a project is unusual, with its figure and baseline: `412 sessions, 4.1× its 7-day mean of 100.3`. */
export function unusualText(u: UnusualProject, notes: DigestNotes = {}): string {
  switch (u.reason) {
    case 'new':
      return `new: ${sessions(u.num_sessions)}, none in the 7 days before`;
    case 'spike':
      return `spike: ${sessions(u.num_sessions)}, ${(u.num_sessions / u.mean_7d).toFixed(1)}× its 7-day mean of ${formatCount(u.mean_7d)}`;
    case 'cost':
      return `cost: ${formatUsd(u.cost_usd ?? 0)} of code interpreter${notes.alertCostUsd === undefined ? '' : ` (alert at ${formatUsd(notes.alertCostUsd)})`}, ${sessions(u.num_sessions)}`;
  }
}

/** `Code interpreter sessions`, with `Weekly` or `Monthly` before it for those digests. */
export function titleOf(kind: ReportResult['kind']): string {
  if (kind === 'weekly') return 'Weekly code interpreter sessions';
  if (kind === 'monthly') return 'Monthly code interpreter sessions';
  return 'Code interpreter sessions';
}

/** What a digest's trend compares with: the same weekday a week before, or the period before. */
export function comparedWith(kind: ReportResult['kind'], weekday: string): string {
  if (kind === 'weekly') return 'the week before';
  if (kind === 'monthly') return 'the month before';
  return `last ${weekday}`;
}

/** `Thu`: the weekday of an instant in a zone. */
export function weekdayOf(epochSeconds: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short' }).format(
    new Date(epochSeconds * 1000),
  );
}

/** The top projects, and the unattributed row wherever it ranks. */
function bodyRows(report: ReportResult, reportTrend?: Trend): BodyRow[] {
  const chart = reportTrend?.chart;
  const all = report.projects.map((project, i): BodyRow => {
    const trend = reportTrend?.projects[i];
    return {
      project,
      ...(trend ? { trend } : {}),
      ...(chart ? { sparkline: projectSeries(chart.projects, project.project_id) } : {}),
    };
  });
  const shown = all.slice(0, BODY_ROW_LIMIT);
  const unattributed = all.slice(BODY_ROW_LIMIT).find((row) => row.project.project_id === null);
  return unattributed ? [...shown, unattributed] : shown;
}

/** A project's share of the total, to one decimal. */
export const formatShare = (count: number, total: number) =>
  total === 0 ? '0%' : `${((count / total) * 100).toFixed(1)}%`;

/** Length of a project's bar, scaled to the top project; any usage shows at least one unit. */
export const barLength = (count: number, top: number, width: number) =>
  top === 0 ? 0 : Math.max(1, Math.round((count / top) * width));

/** A project's name (or id) as shown: names come from users, so only characters that print as themselves. */
export function displayName(project: ProjectRow): string {
  if (project.project_id === null) return UNATTRIBUTED;
  return neutralizeText(project.project_name ?? project.project_id);
}

/** `▲ +12`, `▼ −3` or `= ±0`: the period against the one it is compared with. */
export function change(trend: Pick<ProjectTrend, 'compared_sessions'>, today: number): string {
  const delta = today - trend.compared_sessions;
  const arrow = delta > 0 ? '▲' : delta < 0 ? '▼' : '=';
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return `${arrow} ${sign}${formatCount(Math.abs(delta))}`;
}

/** What the headline trend says: `[['Last Thu', '1,832'], ['7-day average', '1,234.5']]`, or the week before. */
export function trendFacts(trend: Trend, compared: string): [label: string, value: string][] {
  const mean = trend.seven_day_mean_sessions;
  return [
    [capitalize(compared), formatCount(trend.compared_sessions)],
    ...(mean === undefined ? [] : [['7-day average', formatCount(mean)] as [string, string]]),
  ];
}
