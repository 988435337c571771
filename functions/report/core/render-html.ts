import { CHART_DARK, CHART_STYLE, chartHtml, sparklineHtml } from './chart-html';
import { formatUsd } from './cost';
import {
  barLength,
  capitalize,
  change,
  type DigestView,
  displayName,
  formatCount,
  formatShare,
  trendFacts,
  UNATTRIBUTED,
} from './digest-view';
import type { ProjectTrend } from './report';
import type { LimitStatus } from './runway';
import { keyShareText } from './spike-keys-text';
import { neutralizeText } from './text';

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
const style = (limits: boolean, chart: boolean) => `<style>
:root{color-scheme:light dark;supported-color-schemes:light dark;}
${chart ? CHART_STYLE : ''}@media (prefers-color-scheme: dark){
.ud-page{background:#0b1120 !important;}
.ud-card{background:#1f2937 !important;}
.ud-text,.ud-headline{color:#f9fafb !important;}
.ud-muted{color:#9ca3af !important;}
.ud-cell{border-color:#374151 !important;color:#f3f4f6 !important;}
.ud-bar{background:#a5b4fc !important;}
.ud-alert{background:#3b2f0b !important;border-color:#b45309 !important;}
${limits ? LIMITS_DARK : ''}${chart ? CHART_DARK : ''}}
</style>`;

/** Only in a digest with the limits box, so every other digest's markup stays as it was. */
const LIMITS_DARK = `.ud-blocked{background:#3f1212 !important;border-color:#ef4444 !important;}
.ud-risk{background:#3b1d08 !important;border-color:#f97316 !important;}
.ud-watch{background:#1e293b !important;border-color:#64748b !important;}
`;

/**
 * How each state looks: the box takes the worst one's colours, each line a label. Red for
 * blocked, orange for at risk (apart from the amber of what is unusual), slate for a warning.
 * Labels are white on a solid colour (contrast at least 4.5:1), readable in light and dark alike.
 */
const LIMIT_LOOKS = {
  blocked: {
    box: 'ud-blocked',
    background: '#fef2f2',
    border: '#dc2626',
    heading: '#991b1b',
    badge: '#b91c1c',
    label: 'Blocked',
  },
  risk: {
    box: 'ud-risk',
    background: '#fff7ed',
    border: '#ea580c',
    heading: '#9a3412',
    badge: '#c2410c',
    label: 'At risk',
  },
  watch: {
    box: 'ud-watch',
    background: '#f8fafc',
    border: '#94a3b8',
    heading: '#334155',
    badge: '#475569',
    label: 'Watch',
  },
} as const;

function lookOf(status: LimitStatus): (typeof LIMIT_LOOKS)[keyof typeof LIMIT_LOOKS] {
  if (status === 'enforcing') return LIMIT_LOOKS.blocked;
  if (status === 'reached' || status === 'will_reach') return LIMIT_LOOKS.risk;
  return LIMIT_LOOKS.watch;
}

/** The limits box: a one-cell table, as the unusual box, listed worst first (the result's order). */
function limitsHtml(view: DigestView): string {
  const first = view.limits[0];
  if (!first) return '';
  const box = lookOf(first.entry.status);
  const lines = view.limits.map((l) => {
    const look = lookOf(l.entry.status);
    const label = `<span style="${FONT}font-size:11px;font-weight:700;color:#ffffff;background:${look.badge};border-radius:3px;padding:1px 5px;white-space:nowrap;">${look.label}</span>`;
    const id = l.id === null ? '' : ` <span class="ud-muted" style="${MUTED}">${escapeHtml(l.id)}</span>`;
    return `<div class="ud-text" style="${FONT}font-size:14px;color:#111827;margin-top:8px;word-break:break-word;">${label} <strong>${escapeHtml(l.name)}</strong>${id}<br>${escapeHtml(l.text)}</div>`;
  });
  const onTrack = view.limitsOnTrack
    ? `\n<div class="ud-muted" style="${FONT}${MUTED}margin-top:8px;">${escapeHtml(view.limitsOnTrack)}</div>`
    : '';
  return `<table class="${box.box}" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="${box.background}" style="background:${box.background};border:1px solid ${box.border};border-radius:6px;margin:0 0 16px;"><tr><td style="padding:12px;">
<div class="ud-text" style="${FONT}font-size:14px;font-weight:700;color:${box.heading};">${box === LIMIT_LOOKS.blocked ? '⛔ ' : box === LIMIT_LOOKS.risk ? '⏳ ' : ''}Limits and budgets (${view.limits.length})</div>
${lines.join('\n')}${onTrack}
</td></tr></table>`;
}

/**
 * One row per project, three columns that fit a 390 px phone: the name with its bar beneath,
 * sessions over share, and the trend. Tables, bgcolor and width attributes rather than flex:
 * Outlook's Word engine and Gmail's style stripping both render these faithfully.
 */
export function renderHtml(view: DigestView): string {
  const { report, trend: dayTrend } = view;
  const hasTrend = Boolean(dayTrend);
  const hasCost = report.total_cost_usd !== null;
  const rows = view.rows
    .map(({ project, trend, sparkline }) => {
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
      const spark = sparkline ? sparklineHtml(sparkline) : '';
      return `<tr><td class="ud-cell" style="${CELL}word-break:break-word;">${name}${bar}${spark}</td><td class="ud-cell" style="${CELL}text-align:right;white-space:nowrap;">${formatCount(project.num_sessions)}<br><span class="ud-muted" style="${MUTED}">${formatShare(project.num_sessions, report.total_sessions)}</span></td>${costCell}${trendCell}</tr>`;
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
  const monthLines = [...(view.monthToDate === undefined ? [] : [view.monthToDate]), ...view.missing]
    .map(
      (line) =>
        `\n<div class="ud-muted" style="${FONT}font-size:13px;color:#6b7280;">${escapeHtml(line)}</div>`,
    )
    .join('');
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
${view.unusual.map((u) => `<div class="ud-text" style="${FONT}font-size:14px;color:#111827;margin-top:6px;"><strong>${escapeHtml(u.name)}</strong>${u.project_id === null ? '' : ` <span class="ud-muted" style="${MUTED}">${escapeHtml(neutralizeText(u.project_id))}</span>`}<br>${escapeHtml(u.text)}${u.shares.map((k) => `<br><span class="ud-muted" style="${MUTED}">${escapeHtml(keyShareText(k))}</span>`).join('')}</div>`).join('\n')}
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
${style(view.limits.length > 0, dayTrend?.chart !== undefined)}</head>
<body class="ud-page" style="margin:0;padding:0;background:#f3f4f6;">
<table class="ud-page" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#f3f4f6"><tr><td align="center" style="padding:16px 8px;">
<table class="ud-card" role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" bgcolor="#ffffff" style="max-width:720px;background:#ffffff;border-radius:8px;">
<tr><td style="padding:20px 16px;">
<div class="ud-muted" style="${FONT}font-size:13px;color:#6b7280;">Code interpreter sessions · ${escapeHtml(view.period)} · ${escapeHtml(view.timeZone)}</div>
<div class="ud-headline" style="${FONT}font-size:32px;font-weight:700;color:#111827;margin:4px 0;">${formatCount(report.total_sessions)}</div>
${costLine}${monthLines}
${trendLine}
<div style="height:16px;line-height:16px;font-size:0;">&nbsp;</div>
${chartHtml(report.kind, dayTrend?.chart)}${limitsHtml(view)}${unusual}${empty}${table}
${more}
<p class="ud-muted" style="${FONT}font-size:12px;color:#9ca3af;margin-top:24px;">Sent by usage-digest. Figures come from the OpenAI usage and costs APIs and may be revised for a few hours after a day closes.</p>
</td></tr></table>
</td></tr></table>
</body></html>
`;
}

function trendHtml(trend: ProjectTrend, today: number): string {
  const mean = trend.seven_day_mean_sessions;
  return `${change(trend, today)}${mean === undefined ? '' : `<br><span class="ud-muted" style="font-size:12px;color:#6b7280;">avg ${formatCount(mean)}</span>`}`;
}
