import { formatUsd } from '../functions/report/core/cost';
import { digestView } from '../functions/report/core/digest-view';
import { limitsHeadline } from '../functions/report/core/limits-text';
import {
  barLength,
  change,
  comparedWith,
  costSummary,
  type DigestNotes,
  describeWindow,
  displayName,
  formatShare,
  titleOf,
  unusualText,
  weekdayOf,
} from '../functions/report/core/render';
import type { ReportResult, Trend } from '../functions/report/core/report';
import { neutralizeText } from '../functions/report/core/text';

const BAR = 24;
const count = (n: number) => n.toLocaleString('en-US');

/**
 * A plain-text table of a report for a terminal: what is unusual first, then name, id, sessions,
 * share, cost, a bar and the trend against the same weekday last week and the 7-day mean; then
 * the limits and budgets that are not on track, each with its runway in words.
 */
export function formatTable(
  result: ReportResult,
  timeZone: string,
  trend?: Trend,
  notes: DigestNotes = {},
  limit = 40,
): string {
  const top = result.projects[0]?.num_sessions ?? 0;
  const hasCost = result.total_cost_usd !== null;
  const compared = comparedWith(result.kind, weekdayOf(result.start_time, timeZone));
  const rows = result.projects.slice(0, limit).map((p, i) => {
    const t = trend?.projects[i];
    return [
      p.project_id === null ? '(unattributed)' : displayName(p),
      p.project_id === null ? '—' : neutralizeText(p.project_id),
      count(p.num_sessions),
      formatShare(p.num_sessions, result.total_sessions),
      hasCost ? formatUsd(p.cost_usd ?? 0) : '',
      '█'.repeat(barLength(p.num_sessions, top, BAR)),
      t
        ? `${change(t, p.num_sessions)}${t.seven_day_mean_sessions === undefined ? '' : ` / avg ${count(t.seven_day_mean_sessions)}`}`
        : '',
    ];
  });
  const header = [
    'Project',
    'ID',
    'Sessions',
    'Share',
    hasCost ? 'Cost' : '',
    '',
    trend ? `vs ${compared}${trend.seven_day_mean_sessions === undefined ? '' : ' / 7-day avg'}` : '',
  ];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const right = new Set([2, 3, 4]);
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .filter((_, c) => (widths[c] ?? 0) > 0)
      .join('  ')
      .trimEnd();
  const period = describeWindow({ start: result.start_time, end: result.end_time }, timeZone);
  const names = new Map(result.projects.map((p) => [p.project_id, displayName(p)]));
  const unusual = result.unusual ?? [];
  const view = digestView(result, timeZone, trend, notes);
  const out = [
    `${titleOf(result.kind)} ${period} (${timeZone}): ${count(result.total_sessions)}`,
    costSummary(result, timeZone, notes),
    ...(view.monthToDate === undefined ? [] : [view.monthToDate]),
    ...view.missing,
    ...(trend
      ? [
          `${compared} ${count(trend.compared_sessions)}${trend.seven_day_mean_sessions === undefined ? '' : `, 7-day average ${count(trend.seven_day_mean_sessions)}`}`,
        ]
      : []),
    ...(unusual.length
      ? [
          '',
          `⚠ ${unusual.length} unusual:`,
          ...unusual.map((u) => `  ${names.get(u.project_id) ?? 'unattributed'}: ${unusualText(u, notes)}`),
        ]
      : []),
    '',
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
  ];
  if (result.projects.length > limit)
    out.push(`… and ${count(result.projects.length - limit)} more projects`);
  if (result.projects.length === 0) out.push('(no sessions)');
  if (view.limits.length) {
    out.push(
      '',
      `Limits and budgets: ${limitsHeadline(result.limits) || `${count(view.limits.length)} to watch`}`,
      ...view.limits.map((l) => `  ${l.name}${l.id === null ? '' : ` (${l.id})`}: ${l.text}`),
      ...(view.limitsOnTrack ? [`  ${view.limitsOnTrack}`] : []),
    );
  }
  return `${out.join('\n')}\n`;
}
