import { formatUsd } from './cost';
import { localDateOf, startOfLocalDay, type Window } from './local-time';
import type { OutgoingEmail } from './mime';
import type { ProjectRow, ProjectTrend, ReportResult, Trend } from './report';
import { neutralizeText } from './text';
import type { UnusualProject } from './unusual';

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
const sessions = (n: number) => `${formatCount(n)} session${n === 1 ? '' : 's'}`;

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

/** What the email says beside the result: why cost is missing, and the cost alert's threshold. */
export interface DigestNotes {
  /** Why cost is unavailable (one sentence), when `total_cost_usd` is null. */
  readonly costUnavailable?: string;
  /** The ALERT_COST_USD threshold, to say what a cost alert was measured against. */
  readonly alertCostUsd?: number;
}

/** The email for a report: subject, plain text and HTML, and a CSV when the project list is long. */
export function renderDigest(
  report: ReportResult,
  timeZone: string,
  trend?: Trend,
  notes: DigestNotes = {},
): RenderedDigest {
  const period = describeWindow({ start: report.start_time, end: report.end_time }, timeZone);
  const unusual = report.unusual ?? [];
  const subject =
    `${unusual.length ? `⚠ ${unusual.length} unusual · ` : ''}${titleOf(report.kind)} ${period} (${timeZone}): ` +
    `${formatCount(report.total_sessions)}${report.total_cost_usd === null ? '' : ` · ${formatUsd(report.total_cost_usd)}`}`;
  const rows = bodyRows(report, trend);
  const hidden = report.projects.length - rows.length;
  const hiddenSessions = report.total_sessions - rows.reduce((sum, r) => sum + r.project.num_sessions, 0);
  const top = report.projects[0]?.num_sessions ?? 0;
  const names = new Map(report.projects.map((p) => [p.project_id, displayName(p)]));
  const view: DigestView = {
    report,
    trend,
    period,
    timeZone,
    rows,
    hidden,
    hiddenSessions,
    top,
    cost: costSummary(report, timeZone, notes),
    unusual: unusual.map((u) => ({
      ...u,
      name: names.get(u.project_id) ?? UNATTRIBUTED,
      text: unusualText(u, notes),
    })),
    compared: comparedWith(report.kind, weekdayOf(report.start_time, timeZone)),
  };
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
  /** The cost line: the amount and the UTC days it covers, or why it is unavailable. */
  readonly cost: string;
  readonly unusual: readonly (UnusualProject & { readonly name: string; readonly text: string })[];
  /** What the trend compares with: `last Thu`, `the week before`, `the month before`. */
  readonly compared: string;
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

/** `▲ +12`, `▼ −3` or `= ±0`: the period against the one it is compared with. */
export function change(trend: Pick<ProjectTrend, 'compared_sessions'>, today: number): string {
  const delta = today - trend.compared_sessions;
  const arrow = delta > 0 ? '▲' : delta < 0 ? '▼' : '=';
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return `${arrow} ${sign}${formatCount(Math.abs(delta))}`;
}

function trendText(trend: ProjectTrend, today: number, compared: string): string {
  const mean = trend.seven_day_mean_sessions;
  return `${change(trend, today)} vs ${compared}${mean === undefined ? '' : `, 7-day avg ${formatCount(mean)}`}`;
}

function trendHtml(trend: ProjectTrend, today: number): string {
  const mean = trend.seven_day_mean_sessions;
  return `${change(trend, today)}${mean === undefined ? '' : `<br><span class="ud-muted" style="font-size:12px;color:#6b7280;">avg ${formatCount(mean)}</span>`}`;
}

/** What the headline trend says: `[['Last Thu', '1,832'], ['7-day average', '1,234.5']]`, or the week before. */
function trendFacts(trend: Trend, compared: string): [label: string, value: string][] {
  const mean = trend.seven_day_mean_sessions;
  return [
    [capitalize(compared), formatCount(trend.compared_sessions)],
    ...(mean === undefined ? [] : [['7-day average', formatCount(mean)] as [string, string]]),
  ];
}

function renderText(view: DigestView): string {
  const { report, trend: dayTrend } = view;
  const lines = [
    `${titleOf(report.kind)} — ${view.period} (${view.timeZone})`,
    '',
    `Total: ${formatCount(report.total_sessions)} sessions in ${formatCount(report.projects.length)} project rows`,
    capitalize(view.cost),
  ];
  if (dayTrend) {
    lines.push(
      trendFacts(dayTrend, view.compared)
        .map(([label, value]) => `${label}: ${value}`)
        .join('; '),
    );
  }
  if (view.unusual.length) {
    lines.push('', `⚠ Needs a look (${view.unusual.length}):`);
    for (const u of view.unusual) {
      lines.push(
        `- ${u.name}${u.project_id === null ? '' : ` (${neutralizeText(u.project_id)})`}`,
        `  ${u.text}`,
      );
    }
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
        (typeof project.cost_usd === 'number' ? ` · ${formatUsd(project.cost_usd)}` : '') +
        (trend ? `\n  ${trendText(trend, project.num_sessions, view.compared)}` : ''),
    );
  }
  if (view.hidden > 0) {
    lines.push(
      '',
      `…and ${formatCount(view.hidden)} more projects with ${formatCount(view.hiddenSessions)} sessions: see the attached CSV.`,
    );
  }
  lines.push('', 'Sent by usage-digest. Figures come from the OpenAI usage and costs APIs.');
  return `${lines.join('\n')}\n`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

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
.ud-alert{background:#3b2f0b !important;border-color:#b45309 !important;}
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
  const hasCost = report.total_cost_usd !== null;
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
      const costCell = hasCost
        ? `<td class="ud-cell" style="${CELL}text-align:right;white-space:nowrap;">${formatUsd(project.cost_usd ?? 0)}</td>`
        : '';
      return `<tr><td class="ud-cell" style="${CELL}word-break:break-word;">${name}${bar}</td><td class="ud-cell" style="${CELL}text-align:right;white-space:nowrap;">${formatCount(project.num_sessions)}<br><span class="ud-muted" style="${MUTED}">${formatShare(project.num_sessions, report.total_sessions)}</span></td>${costCell}${trendCell}</tr>`;
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
  const costLine = `<div class="ud-text" style="${FONT}font-size:15px;color:#111827;">${escapeHtml(capitalize(view.cost))}</div>`;
  const trendLine = dayTrend
    ? `<div class="ud-muted" style="${FONT}font-size:13px;color:#6b7280;">${escapeHtml(
        trendFacts(dayTrend, view.compared)
          .map(([label, value]) => `${label} ${value}`)
          .join(' · '),
      )}</div>`
    : '';
  // What needs a look comes first, before the table: the question a reader asks first.
  const unusual = view.unusual.length
    ? `<table class="ud-alert" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#fffbeb" style="background:#fffbeb;border:1px solid #f59e0b;border-radius:6px;margin:0 0 16px;"><tr><td style="padding:12px;">
<div class="ud-text" style="${FONT}font-size:14px;font-weight:700;color:#92400e;">⚠ ${view.unusual.length} unusual</div>
${view.unusual.map((u) => `<div class="ud-text" style="${FONT}font-size:14px;color:#111827;margin-top:6px;"><strong>${escapeHtml(u.name)}</strong>${u.project_id === null ? '' : ` <span class="ud-muted" style="${MUTED}">${escapeHtml(neutralizeText(u.project_id))}</span>`}<br>${escapeHtml(u.text)}</div>`).join('\n')}
</td></tr></table>`
    : '';
  const table =
    report.projects.length === 0
      ? ''
      : `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;">
<tr><th class="ud-cell" style="${HEAD}">Project</th><th class="ud-cell" style="${HEAD}text-align:right;">Sessions</th>${hasCost ? `<th class="ud-cell" style="${HEAD}text-align:right;">Cost</th>` : ''}${hasTrend ? `<th class="ud-cell" style="${HEAD}text-align:right;">Vs ${escapeHtml(view.compared.replace(/^the /, 'prev. ').replace(/ before$/, ''))}</th>` : ''}</tr>
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
${costLine}
${trendLine}
<div style="height:16px;line-height:16px;font-size:0;">&nbsp;</div>
${unusual}${empty}${table}
${more}
<p class="ud-muted" style="${FONT}font-size:12px;color:#9ca3af;margin-top:24px;">Sent by usage-digest. Figures come from the OpenAI usage and costs APIs and may be revised for a few hours after a day closes.</p>
</td></tr></table>
</td></tr></table>
</body></html>
`;
}

/** Spreadsheet-safe CSV: quoted where needed, and names that start like a formula are defused. */
export function renderCsv(report: ReportResult, reportTrend?: Trend): string {
  const header = ['project_id', 'project_name', 'num_sessions', 'share_percent', 'cost_usd'];
  if (reportTrend) {
    header.push(
      report.kind === 'weekly'
        ? 'previous_week_sessions'
        : report.kind === 'monthly'
          ? 'previous_month_sessions'
          : 'same_weekday_last_week_sessions',
    );
    if (reportTrend.seven_day_mean_sessions !== undefined) header.push('seven_day_mean_sessions');
  }
  const lines = [header.join(',')];
  report.projects.forEach((project, i) => {
    const cells = [
      project.project_id ?? UNATTRIBUTED,
      project.project_name ?? '',
      String(project.num_sessions),
      report.total_sessions === 0 ? '0' : ((project.num_sessions / report.total_sessions) * 100).toFixed(2),
      typeof project.cost_usd === 'number' ? String(project.cost_usd) : '',
    ];
    const trend = reportTrend?.projects[i];
    if (trend) cells.push(String(trend.compared_sessions));
    if (trend?.seven_day_mean_sessions !== undefined) cells.push(String(trend.seven_day_mean_sessions));
    lines.push(cells.map(csvCell).join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(raw: string): string {
  const value = neutralizeText(raw);
  const defused = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}
