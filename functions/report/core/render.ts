import { localDateOf, startOfLocalDay, type Window } from './local-time';
import type { OutgoingEmail } from './mime';
import type { ProjectRow, ProjectTrend, ReportResult, Trend } from './report';
import { neutralizeText } from './text';

/** Rows shown in the body; past this the email points to the CSV attachment. */
export const BODY_ROW_LIMIT = 25;
const BAR_WIDTH_CHARS = 20;
const UNATTRIBUTED = 'unattributed';

export interface RenderedDigest {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Every project, when the body had to leave some out. */
  readonly csv?: string;
}

/** The message for a digest: both bodies, and the full CSV attached when the body is cut short. */
export function digestMessage(digest: RenderedDigest, to: readonly string[]): OutgoingEmail {
  return {
    to,
    subject: digest.subject,
    text: digest.text,
    html: digest.html,
    ...(digest.csv
      ? {
          attachments: [
            { filename: 'code-interpreter-sessions.csv', contentType: 'text/csv', content: digest.csv },
          ],
        }
      : {}),
  };
}

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const formatCount = (n: number) => COUNT_FORMAT.format(n);

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

/** The email for a report: subject, plain text and HTML, and a CSV when the project list is long. */
export function renderDigest(report: ReportResult, timeZone: string, trend?: Trend): RenderedDigest {
  const period = describeWindow({ start: report.start_time, end: report.end_time }, timeZone);
  const subject = `Code interpreter sessions ${period} (${timeZone}): ${formatCount(report.total_sessions)}`;
  const rows = bodyRows(report, trend);
  const hidden = report.projects.length - rows.length;
  const hiddenSessions = report.total_sessions - rows.reduce((sum, r) => sum + r.project.num_sessions, 0);
  const top = report.projects[0]?.num_sessions ?? 0;
  const view: DigestView = { report, trend, period, timeZone, rows, hidden, hiddenSessions, top };
  return {
    subject,
    text: renderText(view),
    html: renderHtml(view),
    ...(hidden > 0 ? { csv: renderCsv(report, trend) } : {}),
  };
}

interface BodyRow {
  readonly project: ProjectRow;
  readonly trend?: ProjectTrend;
}

interface DigestView {
  readonly report: ReportResult;
  readonly trend: Trend | undefined;
  readonly period: string;
  readonly timeZone: string;
  readonly rows: readonly BodyRow[];
  readonly hidden: number;
  readonly hiddenSessions: number;
  readonly top: number;
}

/** The top projects, and the unattributed row wherever it ranks. */
function bodyRows(report: ReportResult, reportTrend?: Trend): BodyRow[] {
  const all = report.projects.map((project, i) => {
    const trend = reportTrend?.projects[i];
    return trend ? { project, trend } : { project };
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

/** `▲ +12`, `▼ −3` or `= ±0`: today against the previous day. */
function dayChange(trend: ProjectTrend, today: number): string {
  const delta = today - trend.previous_day_sessions;
  const arrow = delta > 0 ? '▲' : delta < 0 ? '▼' : '=';
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return `${arrow} ${sign}${formatCount(Math.abs(delta))}`;
}

function trendText(trend: ProjectTrend, today: number): string {
  return `${dayChange(trend, today)} vs prev. day, 7-day avg ${formatCount(trend.seven_day_mean_sessions)}`;
}

function trendHtml(trend: ProjectTrend, today: number): string {
  return `${dayChange(trend, today)}<br><span class="ud-muted" style="font-size:12px;color:#6b7280;">avg ${formatCount(trend.seven_day_mean_sessions)}</span>`;
}

function renderText(view: DigestView): string {
  const { report, trend: dayTrend } = view;
  const lines = [
    `Code interpreter sessions — ${view.period} (${view.timeZone})`,
    '',
    `Total: ${formatCount(report.total_sessions)} sessions in ${formatCount(report.projects.length)} project rows`,
  ];
  if (dayTrend) {
    lines.push(
      `Previous day: ${formatCount(dayTrend.previous_day_sessions)}; 7-day average: ${formatCount(dayTrend.seven_day_mean_sessions)}`,
    );
  }
  lines.push('');
  if (report.projects.length === 0) {
    lines.push('No code interpreter sessions in this period.');
  }
  for (const { project, trend } of view.rows) {
    const bar = '█'.repeat(barLength(project.num_sessions, view.top, BAR_WIDTH_CHARS));
    const id = project.project_id === null ? '' : ` (${neutralizeText(project.project_id)})`;
    lines.push(`${displayName(project)}${id}`);
    lines.push(
      `  ${bar.padEnd(BAR_WIDTH_CHARS)} ${formatCount(project.num_sessions)} · ${formatShare(project.num_sessions, report.total_sessions)}` +
        (trend ? ` · ${trendText(trend, project.num_sessions)}` : ''),
    );
  }
  if (view.hidden > 0) {
    lines.push(
      '',
      `…and ${formatCount(view.hidden)} more projects with ${formatCount(view.hiddenSessions)} sessions: see the attached CSV.`,
    );
  }
  lines.push('', 'Sent by usage-digest. Figures come from the OpenAI organization usage API.');
  return `${lines.join('\n')}\n`;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;";
const CELL = `${FONT}padding:8px 6px;border-bottom:1px solid #e5e7eb;font-size:14px;color:#111827;vertical-align:top;`;
const HEAD = `${FONT}padding:6px;border-bottom:2px solid #d1d5db;font-size:11px;color:#6b7280;text-align:left;text-transform:uppercase;`;
const MUTED = 'font-size:12px;color:#6b7280;';

/**
 * Dark mode for the clients that honour it (Apple Mail, iOS, Outlook apps): the inline colours
 * are the light theme, these classes override them; clients that strip <style> keep light.
 */
const STYLE = `<style>
:root{color-scheme:light dark;supported-color-schemes:light dark;}
@media (prefers-color-scheme: dark){
.ud-page{background:#0b1120 !important;}
.ud-card{background:#1f2937 !important;}
.ud-text,.ud-headline{color:#f9fafb !important;}
.ud-muted{color:#9ca3af !important;}
.ud-cell{border-color:#374151 !important;color:#f3f4f6 !important;}
.ud-bar{background:#a5b4fc !important;}
}
</style>`;

/**
 * One row per project, three columns that fit a 390 px phone: the name with its bar beneath,
 * sessions over share, and the trend. Tables, bgcolor and width attributes rather than flex:
 * Outlook's Word engine and Gmail's style stripping both render these faithfully.
 */
function renderHtml(view: DigestView): string {
  const { report, trend: dayTrend } = view;
  const hasTrend = Boolean(dayTrend);
  const rows = view.rows
    .map(({ project, trend }) => {
      const percent = barLength(project.num_sessions, view.top, 100);
      const name =
        project.project_id === null
          ? `<em class="ud-muted" style="color:#6b7280;">${UNATTRIBUTED}</em>`
          : `${escapeHtml(displayName(project))}<br><span class="ud-muted" style="${MUTED}">${escapeHtml(neutralizeText(project.project_id))}</span>`;
      const bar = `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin-top:6px;"><tr><td class="ud-bar" width="${percent}%" height="6" bgcolor="#4f46e5" style="background:#4f46e5;height:6px;line-height:6px;font-size:0;border-radius:3px;">&nbsp;</td>${percent < 100 ? `<td width="${100 - percent}%" style="font-size:0;line-height:6px;">&nbsp;</td>` : ''}</tr></table>`;
      const trendCell = hasTrend
        ? `<td class="ud-cell" style="${CELL}text-align:right;white-space:nowrap;">${trend ? trendHtml(trend, project.num_sessions) : ''}</td>`
        : '';
      return `<tr><td class="ud-cell" style="${CELL}word-break:break-word;">${name}${bar}</td><td class="ud-cell" style="${CELL}text-align:right;white-space:nowrap;">${formatCount(project.num_sessions)}<br><span class="ud-muted" style="${MUTED}">${formatShare(project.num_sessions, report.total_sessions)}</span></td>${trendCell}</tr>`;
    })
    .join('\n');
  const empty =
    report.projects.length === 0
      ? `<p class="ud-text" style="${FONT}font-size:14px;color:#374151;">No code interpreter sessions in this period.</p>`
      : '';
  const more =
    view.hidden > 0
      ? `<p class="ud-text" style="${FONT}font-size:13px;color:#374151;">…and ${formatCount(view.hidden)} more projects with ${formatCount(view.hiddenSessions)} sessions: see the attached CSV.</p>`
      : '';
  const trendLine = dayTrend
    ? `<div class="ud-muted" style="${FONT}font-size:13px;color:#6b7280;">Previous day ${formatCount(dayTrend.previous_day_sessions)} · 7-day average ${formatCount(dayTrend.seven_day_mean_sessions)}</div>`
    : '';
  const table =
    report.projects.length === 0
      ? ''
      : `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr><th class="ud-cell" style="${HEAD}">Project</th><th class="ud-cell" style="${HEAD}text-align:right;">Sessions</th>${hasTrend ? `<th class="ud-cell" style="${HEAD}text-align:right;">Vs prev. day</th>` : ''}</tr>
${rows}
</table>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark"><title>${escapeHtml(`Code interpreter sessions ${view.period}`)}</title>
${STYLE}</head>
<body class="ud-page" style="margin:0;padding:0;background:#f3f4f6;">
<table class="ud-page" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f3f4f6"><tr><td align="center" style="padding:16px 8px;">
<table class="ud-card" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="max-width:720px;background:#ffffff;border-radius:8px;">
<tr><td style="padding:20px 16px;">
<div class="ud-muted" style="${FONT}font-size:13px;color:#6b7280;">Code interpreter sessions · ${escapeHtml(view.period)} · ${escapeHtml(view.timeZone)}</div>
<div class="ud-headline" style="${FONT}font-size:32px;font-weight:700;color:#111827;margin:4px 0;">${formatCount(report.total_sessions)}</div>
${trendLine}
<div style="height:16px;line-height:16px;font-size:0;">&nbsp;</div>
${empty}${table}
${more}
<p class="ud-muted" style="${FONT}font-size:12px;color:#9ca3af;margin-top:24px;">Sent by usage-digest. Figures come from the OpenAI organization usage API and may be revised for a few hours after a day closes.</p>
</td></tr></table>
</td></tr></table>
</body></html>
`;
}

/** Spreadsheet-safe CSV: quoted where needed, and names that start like a formula are defused. */
export function renderCsv(report: ReportResult, reportTrend?: Trend): string {
  const header = ['project_id', 'project_name', 'num_sessions', 'share_percent'];
  if (reportTrend) header.push('previous_day_sessions', 'seven_day_mean_sessions');
  const lines = [header.join(',')];
  report.projects.forEach((project, i) => {
    const cells = [
      project.project_id ?? UNATTRIBUTED,
      project.project_name ?? '',
      String(project.num_sessions),
      report.total_sessions === 0 ? '0' : ((project.num_sessions / report.total_sessions) * 100).toFixed(2),
    ];
    const trend = reportTrend?.projects[i];
    if (trend) cells.push(String(trend.previous_day_sessions), String(trend.seven_day_mean_sessions));
    lines.push(cells.map(csvCell).join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(raw: string): string {
  const value = neutralizeText(raw);
  const defused = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}
