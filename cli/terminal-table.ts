import { barLength, describeWindow, displayName, formatShare } from '../functions/report/core/render';
import type { ReportResult, Trend } from '../functions/report/core/report';
import { neutralizeText } from '../functions/report/core/text';

const BAR = 24;
const count = (n: number) => n.toLocaleString('en-US');

/** A plain-text table of a report for a terminal: name, id, sessions, share, a bar and the trend. */
export function formatTable(result: ReportResult, timeZone: string, trend?: Trend, limit = 40): string {
  const top = result.projects[0]?.num_sessions ?? 0;
  const rows = result.projects.slice(0, limit).map((p, i) => {
    const t = trend?.projects[i];
    const delta = t ? p.num_sessions - t.previous_day_sessions : undefined;
    return [
      p.project_id === null ? '(unattributed)' : displayName(p),
      p.project_id === null ? '—' : neutralizeText(p.project_id),
      count(p.num_sessions),
      formatShare(p.num_sessions, result.total_sessions),
      '█'.repeat(barLength(p.num_sessions, top, BAR)),
      t
        ? `${delta && delta > 0 ? '+' : ''}${count(delta ?? 0)} / avg ${count(t.seven_day_mean_sessions)}`
        : '',
    ];
  });
  const header = ['Project', 'ID', 'Sessions', 'Share', '', trend ? 'vs prev. day / 7-day avg' : ''];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 2 || c === 3 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const period = describeWindow({ start: result.start_time, end: result.end_time }, timeZone);
  const out = [
    `Code interpreter sessions ${period} (${timeZone}): ${count(result.total_sessions)}`,
    ...(trend
      ? [
          `previous day ${count(trend.previous_day_sessions)}, 7-day average ${count(trend.seven_day_mean_sessions)}`,
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
  return `${out.join('\n')}\n`;
}
