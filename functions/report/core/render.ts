import { formatUsd } from './cost';
import { type DigestNotes, digestView, formatCount, titleOf } from './digest-view';
import { limitsHeadline } from './limits-text';
import type { OutgoingEmail } from './mime';
import { renderCsv } from './render-csv';
import { renderHtml } from './render-html';
import { renderText } from './render-text';
import type { ReportResult, Trend } from './report';

// The email's formats live one to a module (digest-view, render-text, render-html, render-csv);
// channels, the CLI and the scripts import them from here, as they always have.
export {
  BODY_ROW_LIMIT,
  barLength,
  change,
  comparedWith,
  costSummary,
  type DigestNotes,
  describeWindow,
  displayName,
  formatShare,
  type LimitLine,
  titleOf,
  unusualText,
  weekdayOf,
} from './digest-view';
export { limitCounts, limitsHeadline, monthToDateText, runwayText } from './limits-text';
export { renderCsv } from './render-csv';
export { escapeHtml } from './render-html';

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

/** The email for a report: subject, plain text and HTML, and a CSV when the project list is long. */
export function renderDigest(
  report: ReportResult,
  timeZone: string,
  trend?: Trend,
  notes: DigestNotes = {},
): RenderedDigest {
  const view = digestView(report, timeZone, trend, notes);
  const unusual = view.unusual.length;
  const flags = [limitsHeadline(report.limits), unusual ? `⚠ ${unusual} unusual` : ''].filter(Boolean);
  const subject =
    `${flags.map((flag) => `${flag} · `).join('')}${titleOf(report.kind)} ${view.period} (${timeZone}): ` +
    `${formatCount(report.total_sessions)}${report.total_cost_usd === null ? '' : ` · ${formatUsd(report.total_cost_usd)}`}`;
  return {
    subject,
    text: renderText(view),
    html: renderHtml(view),
    ...(view.hidden > 0 ? { csv: renderCsv(report, trend) } : {}),
  };
}
