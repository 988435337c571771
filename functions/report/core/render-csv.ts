import { UNATTRIBUTED } from './digest-view';
import type { ReportResult, Trend } from './report';
import { neutralizeText } from './text';

/** Spreadsheet-safe CSV: quoted where needed, and names that start like a formula are defused. */
export function renderCsv(report: ReportResult, reportTrend?: Trend): string {
  const header = ['project_id', 'project_name', 'num_sessions', 'share_percent', 'cost_usd'];
  // Only a scheduled digest knows the month to date: a range (and the CSV it always had) keeps its columns.
  const monthToDate =
    report.month_to_date !== undefined || report.projects.some((p) => p.month_to_date_cost_usd != null);
  if (monthToDate) header.push('month_to_date_cost_usd');
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
      textCell(project.project_id ?? UNATTRIBUTED),
      textCell(project.project_name ?? ''),
      String(project.num_sessions),
      report.total_sessions === 0 ? '0' : ((project.num_sessions / report.total_sessions) * 100).toFixed(2),
      typeof project.cost_usd === 'number' ? String(project.cost_usd) : '',
    ];
    if (monthToDate) {
      const usd = project.month_to_date_cost_usd;
      cells.push(typeof usd === 'number' ? String(usd) : '');
    }
    const trend = reportTrend?.projects[i];
    if (trend) cells.push(String(trend.compared_sessions));
    if (trend?.seven_day_mean_sessions !== undefined) cells.push(String(trend.seven_day_mean_sessions));
    lines.push(cells.join(','));
  });
  return `${lines.join('\r\n')}\r\n`;
}

// OWASP's CSV injection guidance (https://owasp.org/www-community/attacks/CSV_Injection): no cell
// may start with =, +, -, @, tab or carriage return (line feed since 2025), and a defused one
// starts with a single quote. Tab, CR and LF are spaces by now (neutralizeText), and some
// spreadsheets trim leading whitespace, no-break spaces included, before they read a formula:
// so a formula after any whitespace is defused too.
const FORMULA = /^\s*[=+\-@]/u;

/**
 * A cell of text from users or the API (ids, names): neutralized, defused, quoted as RFC 4180 wants.
 * Numeric cells never come here: a credit of -1.5 stays a number a spreadsheet sums.
 */
function textCell(raw: string): string {
  const value = neutralizeText(raw);
  const defused = FORMULA.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replace(/"/g, '""')}"` : defused;
}
