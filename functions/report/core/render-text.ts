import { formatUsd } from './cost';
import {
  barLength,
  capitalize,
  change,
  type DigestView,
  displayName,
  formatCount,
  formatShare,
  titleOf,
  trendFacts,
} from './digest-view';
import type { ProjectTrend } from './report';
import { sparkline } from './sparkline';
import { keyShareText } from './spike-keys-text';
import { neutralizeText } from './text';

const BAR_WIDTH_CHARS = 20;

/** The plain-text body: the totals, what needs a look, then one entry per project with its bar. */
export function renderText(view: DigestView): string {
  const { report, trend: dayTrend } = view;
  const lines = [
    `${titleOf(report.kind)} — ${view.period} (${view.timeZone})`,
    '',
    `Total: ${formatCount(report.total_sessions)} sessions in ${formatCount(report.projects.length)} project rows`,
    capitalize(view.cost),
  ];
  if (view.monthToDate !== undefined) lines.push(view.monthToDate);
  lines.push(...view.missing);
  if (dayTrend) {
    lines.push(
      trendFacts(dayTrend, view.compared)
        .map(([label, value]) => `${label}: ${value}`)
        .join('; '),
    );
  }
  // Labels padded to one width, so that a period's row and the one before line up day by day.
  const labelWidth = Math.max(0, ...view.sparks.map((row) => row.label.length)) + 2;
  for (const row of view.sparks) lines.push(`${`${row.label}:`.padEnd(labelWidth)}${row.spark}`);
  // Above what needs a look: a limit stops traffic, an unusual day only costs money.
  if (view.limits.length) {
    const blocked = view.limits.some((l) => l.entry.status === 'enforcing');
    const atRisk = view.limits.some((l) => l.entry.status === 'reached' || l.entry.status === 'will_reach');
    lines.push('', `${blocked ? '⛔ ' : atRisk ? '⏳ ' : ''}Limits and budgets (${view.limits.length}):`);
    for (const l of view.limits)
      lines.push(`- ${l.name}${l.id === null ? '' : ` (${l.id})`}`, ...wrap(l.text, '  '));
    if (view.limitsOnTrack) lines.push(`  ${view.limitsOnTrack}`);
  }
  if (view.unusual.length) {
    lines.push('', `⚠ Needs a look (${view.unusual.length}):`);
    for (const u of view.unusual) {
      lines.push(
        `- ${u.name}${u.project_id === null ? '' : ` (${neutralizeText(u.project_id)})`}`,
        `  ${u.text}`,
        ...u.shares.map((share) => `  ${keyShareText(share)}`),
      );
    }
  }
  lines.push('');
  if (report.projects.length === 0) {
    lines.push('No code interpreter sessions in this period.');
  }
  for (const { project, trend, sparkline: sparks } of view.rows) {
    const bar = '█'.repeat(barLength(project.num_sessions, view.top, BAR_WIDTH_CHARS));
    const id = project.project_id === null ? '' : ` (${neutralizeText(project.project_id)})`;
    lines.push(`${displayName(project)}${id}`);
    lines.push(
      `  ${bar.padEnd(BAR_WIDTH_CHARS)} ${formatCount(project.num_sessions)} · ${formatShare(project.num_sessions, report.total_sessions)}` +
        (typeof project.cost_usd === 'number' ? ` · ${formatUsd(project.cost_usd)}` : '') +
        (trend ? `\n  ${trendText(trend, project.num_sessions, view.compared)}` : ''),
    );
    if (sparks) lines.push(`  ${sparkline(sparks)} last ${sparks.length} days`);
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

function trendText(trend: ProjectTrend, today: number, compared: string): string {
  const mean = trend.seven_day_mean_sessions;
  return `${change(trend, today)} vs ${compared}${mean === undefined ? '' : `, 7-day avg ${formatCount(mean)}`}`;
}

const LINE_MAX = 78;

/** Words as lines of at most LINE_MAX characters (RFC 5322's advice), each after `indent`. */
function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  // A bare number stays with the word before it: `with 429`, never `429` alone on a line.
  for (const word of text.split(/ (?!\d+(?: |$))/)) {
    if (line && [...`${indent}${line} ${word}`].length > LINE_MAX) {
      lines.push(`${indent}${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(`${indent}${line}`);
  return lines;
}
