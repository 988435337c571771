import type { ChartDay, DigestChart } from './chart-series';
import { formatUsd } from './cost';
import type { ReportResult } from './report';

/** Height of the digest's chart, in CSS pixels: the tallest bar (or the 7-day mean above it). */
export const CHART_HEIGHT_PX = 96;
/** Height of a project's sparkline, in CSS pixels. */
export const SPARK_HEIGHT_PX = 16;
/** Width of one day of a sparkline (a 5 px bar and a 1 px gap). */
const SPARK_DAY_PX = 6;

/** The colours of the light theme; CHART_DARK holds the dark one. Bars are bgcolor attributes too. */
const COLORS = {
  day: '#a5b4fc',
  today: '#4f46e5',
  prev: '#d1d5db',
  mean: '#f59e0b',
  spark: '#a5b4fc',
  axis: '#d1d5db',
} as const;

/**
 * Styles in <style>, for what honours it. Outlook on Windows (Word) gives an empty cell at least a
 * line of its default font, so a bar shorter than that would grow: a 1 px line height, kept
 * exactly (`mso-line-height-rule`), lets each cell take its `height` attribute. Every other client
 * renders an empty cell at its `height` with or without this rule.
 */
export const CHART_STYLE = '.ud-spark td{font-size:1px;line-height:1px;mso-line-height-rule:exactly;}\n';

/** The chart's dark-mode colours, inside the digest's prefers-color-scheme: dark block. */
export const CHART_DARK = `.ud-chart-day{background:#6366f1 !important;}
.ud-chart-today{background:#e0e7ff !important;}
.ud-chart-prev{background:#4b5563 !important;}
.ud-chart-mean{background:#fbbf24 !important;}
.ud-chart-axis{background:#4b5563 !important;}
.ud-spark td[bgcolor]{background:#6366f1 !important;}
.ud-spark{border-color:#4b5563 !important;}
`;

/**
 * A bar's height in whole pixels, proportional to `value` over `top` (within half a pixel), at
 * least 1 px for any usage so that a small day still shows; 0 for none.
 */
export function barHeight(value: number, top: number, height: number): number {
  if (!(value > 0) || !(top > 0)) return 0;
  return Math.max(1, Math.round((Math.min(value, top) / top) * height));
}

const DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
const WEEKDAY_DAY = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
});
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

const dateOf = (date: string) => new Date(`${date}T00:00:00Z`);
/** `21 Nov` */
const shortDay = (date: string) => DAY.format(dateOf(date));
const sessions = (n: number) => `${COUNT.format(n)} session${n === 1 ? '' : 's'}`;

/** A cell of a fixed height: a spacer, or a coloured bar or line (its class lets dark mode recolour it). */
const FIXED = 'font-size:1px;line-height:1px;mso-line-height-rule:exactly;';
function cell(height: number, look?: { cls: string; color: string }): string {
  return look
    ? `<tr><td class="${look.cls}" height="${height}" bgcolor="${look.color}" style="${FIXED}">&nbsp;</td></tr>`
    : `<tr><td height="${height}" style="${FIXED}">&nbsp;</td></tr>`;
}

/** One bar of the chart and what it says on hover. */
interface Column {
  readonly value: number;
  readonly cls: 'ud-chart-day' | 'ud-chart-today' | 'ud-chart-prev';
  readonly color: string;
  readonly title: string;
  /** Space to the bar's left and right, in pixels. */
  readonly pad: readonly [left: number, right: number];
}

/**
 * A column CHART_HEIGHT_PX tall with, from the bottom up, the bar, the gap up to the 7-day mean and
 * the mean as a 1 px line where it passes above the bar (behind a taller bar, as a reference line
 * is): cells of fixed heights, so Outlook's Word engine draws the same picture as a browser.
 */
function columnHtml(column: Column, top: number, mean: number | undefined, width: string): string {
  const h = barHeight(column.value, top, CHART_HEIGHT_PX);
  // The line's pixel sits on the mean's height; a mean at the top stays inside the chart.
  const line =
    // Stryker disable next-line ConditionalExpression: without a mean the line is NaN, and NaN >= h is false: no line either way
    mean === undefined
      ? undefined
      : Math.min(CHART_HEIGHT_PX - 1, Math.round((mean / top) * CHART_HEIGHT_PX));
  const cells: string[] = [];
  // Bottom-aligned: the tallest column (the top of the scale) sets the row's height.
  if (
    // Stryker disable ConditionalExpression: undefined >= h is false, so the test (for TypeScript) changes nothing
    line !== undefined &&
    // Stryker restore ConditionalExpression
    line >= h
  ) {
    cells.push(cell(1, { cls: 'ud-chart-mean', color: COLORS.mean }));
    if (line > h) cells.push(cell(line - h));
  }
  if (h > 0) cells.push(cell(h, { cls: column.cls, color: column.color }));
  const [left, right] = column.pad;
  return `<td valign="bottom" width="${width}" height="${CHART_HEIGHT_PX}" title="${column.title}" style="padding:0 ${right}px 0 ${left}px;"><table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">${cells.join('')}</table></td>`;
}

const MUTED = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;font-size:12px;color:#6b7280;";

/** The chart's table: one row of columns over a 1 px axis, its days' text as the label. */
function chartTable(columns: readonly Column[], label: string, mean: number | undefined): string {
  const top = Math.max(0, ...columns.map((c) => c.value), mean ?? 0);
  const width = `${(100 / columns.length).toFixed(2)}%`;
  return `<table role="img" aria-label="${label}" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 0;">
<tr>${columns.map((c) => columnHtml(c, top, mean, width)).join('')}</tr>
<tr><td colspan="${columns.length}" class="ud-chart-axis" height="1" bgcolor="${COLORS.axis}" style="height:1px;background:${COLORS.axis};${FIXED}">&nbsp;</td></tr>
</table>`;
}

/** `Sat 21 Nov: 1,480 sessions · $103.60`, the cost left out when unknown. */
function dayTitle(day: ChartDay, suffix = ''): string {
  const cost = day.cost_usd === null ? '' : ` · ${formatUsd(day.cost_usd)}`;
  return `${WEEKDAY_DAY.format(dateOf(day.date))}${suffix}: ${sessions(day.sessions)}${cost}`;
}

/** A colour key: a small square or bar of `color` and what it stands for. */
const key = (color: string, glyph: string, text: string) =>
  `<span style="color:${color};">${glyph}</span> ${text}`;

/** The dates under the chart: the first at the left, the last at the right. */
function dateAxis(first: string, last: string): string {
  return `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td class="ud-muted" style="${MUTED}padding-top:2px;">${shortDay(first)}</td><td class="ud-muted" align="right" style="${MUTED}padding-top:2px;text-align:right;">${shortDay(last)}</td></tr></table>`;
}

/**
 * A daily digest's chart: the report day and the 30 days before as bars (the report day in the
 * strong colour), the 7-day mean as a line, each bar's day, sessions and cost as its title. To a
 * screen reader it is an image whose label lists every day.
 */
export function dailyChartHtml(chart: DigestChart): string {
  const days = chart.days;
  const first = days[0];
  const last = days.at(-1);
  // Stryker disable next-line LogicalOperator: days holds no holes, so the first is there exactly when the last is
  if (!first || !last) return '';
  const columns = days.map(
    (day, i): Column => ({
      value: day.sessions,
      cls: i === days.length - 1 ? 'ud-chart-today' : 'ud-chart-day',
      color: i === days.length - 1 ? COLORS.today : COLORS.day,
      title: dayTitle(day),
      pad: [1, 1],
    }),
  );
  const mean = chart.mean_7d;
  const label =
    `Sessions per day, ${shortDay(first.date)} to ${shortDay(last.date)}: ` +
    days
      .map(
        (d, i) =>
          `${shortDay(d.date)} ${COUNT.format(d.sessions)}${i === days.length - 1 ? ' (report day)' : ''}`,
      )
      .join(', ') +
    (mean === undefined ? '.' : `. 7-day mean ${COUNT.format(mean)}.`);
  const legend = [
    key(COLORS.today, '■', 'report day'),
    ...(mean === undefined ? [] : [key(COLORS.mean, '━', `7-day mean ${COUNT.format(mean)}`)]),
  ].join(' &nbsp; ');
  return `<div class="ud-muted" style="${MUTED}">Sessions per day, last ${days.length} days · max ${COUNT.format(Math.max(...days.map((d) => d.sessions)))} · ${legend}</div>
${chartTable(columns, label, mean)}
${dateAxis(first.date, last.date)}
<div style="height:16px;line-height:16px;font-size:0;">&nbsp;</div>
`;
}

/**
 * A weekly or monthly digest's chart: each day of the period beside the same day of the period
 * before (the first with the first), both to one scale.
 */
export function periodChartHtml(kind: ReportResult['kind'], chart: DigestChart): string {
  const previous = chart.previous ?? [];
  const first = chart.days[0];
  const last = chart.days.at(-1);
  // Stryker disable next-line LogicalOperator: days holds no holes, so the first is there exactly when the last is
  if (!first || !last) return '';
  const before = kind === 'monthly' ? 'month before' : 'week before';
  const columns: Column[] = [];
  const pairs = Math.max(chart.days.length, previous.length);
  for (let i = 0; i < pairs; i++) {
    const prev = previous[i];
    const day = chart.days[i];
    columns.push({
      value: prev?.sessions ?? 0,
      cls: 'ud-chart-prev',
      color: COLORS.prev,
      title: prev ? dayTitle(prev, ` (${before})`) : '',
      pad: [2, 0],
    });
    columns.push({
      value: day?.sessions ?? 0,
      cls: 'ud-chart-day',
      color: COLORS.today,
      title: day ? dayTitle(day) : '',
      pad: [0, 2],
    });
  }
  const label =
    `Sessions per day, ${shortDay(first.date)} to ${shortDay(last.date)}, each beside the ${before}: ` +
    Array.from({ length: pairs }, (_, i) => {
      const day = chart.days[i];
      const prev = previous[i];
      return `${day ? `${shortDay(day.date)} ${COUNT.format(day.sessions)}` : 'no day'} (${prev ? `${shortDay(prev.date)} ${COUNT.format(prev.sessions)}` : 'no day'})`;
    }).join(', ') +
    '.';
  const legend = [
    key(COLORS.today, '■', `this ${kind === 'monthly' ? 'month' : 'week'}`),
    key(COLORS.prev, '■', `the ${before}`),
  ].join(' &nbsp; ');
  return `<div class="ud-muted" style="${MUTED}">Sessions per day · ${legend}</div>
${chartTable(columns, label, undefined)}
${dateAxis(first.date, last.date)}
<div style="height:16px;line-height:16px;font-size:0;">&nbsp;</div>
`;
}

/** The digest's chart for its kind, or '' without one. */
export function chartHtml(kind: ReportResult['kind'], chart: DigestChart | undefined): string {
  if (!chart) return '';
  return (kind === 'weekly' || kind === 'monthly') && chart.previous
    ? periodChartHtml(kind, chart)
    : dailyChartHtml(chart);
}

const span = (rows: number) => (rows > 1 ? ` rowspan="${rows}"` : '');

/** Steps of a project's sparkline, as many as the text sparkline's blocks: 2 px each. */
const SPARK_LEVELS = 8;

/**
 * A project's sparkline: one bar a day over a 1 px baseline, in SPARK_LEVELS steps of its own
 * busiest day (the text sparkline's steps), an image to a screen reader labelled with the days'
 * sessions. It repeats in every row of the body, so it is one table, not one per day: SPARK_LEVELS
 * rows of 2 px, and each day a space cell and a bar cell spanning the rows they fill (about 1.2 KB
 * a project; Gmail clips an HTML body past about 102 KB).
 */
export function sparklineHtml(values: readonly number[]): string {
  const top = Math.max(0, ...values);
  const step = SPARK_HEIGHT_PX / SPARK_LEVELS;
  // Row r (0 at the top) holds the cells that start there: a day's space starts in row 0, its bar
  // in the row below the space.
  const rows: string[][] = Array.from({ length: SPARK_LEVELS }, () => []);
  values.forEach((value) => {
    const level =
      value > 0 &&
      // Stryker disable next-line ConditionalExpression,EqualityOperator: top is the largest value, so above 0 whenever the value is
      top > 0
        ? Math.max(1, Math.ceil((Math.min(value, top) / top) * SPARK_LEVELS))
        : 0;
    const space = SPARK_LEVELS - level;
    // Only the cell in the top row sets the day's width.
    if (space > 0) (rows[0] as string[]).push(`<td width="${SPARK_DAY_PX}"${span(space)}></td>`);
    if (level > 0)
      (rows[space] as string[]).push(
        `<td${space > 0 ? '' : ` width="${SPARK_DAY_PX}"`}${span(level)} bgcolor="${COLORS.spark}"></td>`,
      );
  });
  const body = rows.map((cells) => `<tr height="${step}">${cells.join('')}</tr>`).join('');
  return `<table role="img" aria-label="Last ${values.length} days: ${values.map((v) => COUNT.format(v)).join(', ')}" class="ud-spark" width="${values.length * SPARK_DAY_PX}" cellpadding="0" cellspacing="0" border="0" style="margin-top:6px;border-bottom:1px solid ${COLORS.axis};">${body}</table>`;
}
