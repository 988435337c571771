import { type DigestChart, SPARKLINE_DAYS } from './chart-series';
import type { ReportResult } from './report';

/** The eight heights of a text sparkline, lowest first. */
export const SPARK_BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * One block character per value, scaled to `top` (the largest value by default): a day without
 * usage is the baseline `▁`, any usage at least `▂` (seven equal steps up to `top`, which is `█`).
 * Sharing `top` between two rows (a period and the one before) draws them to one scale.
 */
export function sparkline(values: readonly number[], top = Math.max(0, ...values)): string {
  const steps = SPARK_BLOCKS.length - 1;
  return values
    .map((value) =>
      value > 0 && top > 0 ? SPARK_BLOCKS[Math.max(1, Math.ceil((Math.min(value, top) / top) * steps))] : '▁',
    )
    .join('');
}

/** A project's sessions over the sparkline's days: a project the chart lacks had none (zeros). */
export function projectSeries(
  projects: ReadonlyMap<string | null, readonly number[]>,
  id: string | null,
): readonly number[] {
  return projects.get(id) ?? Array.from({ length: SPARKLINE_DAYS }, () => 0);
}

/** A labelled sparkline of the organization: `Last 14 days`, or `This week` beside `Week before`. */
export interface SparkRow {
  readonly label: string;
  readonly spark: string;
  /** The most sessions in a day of the row. */
  readonly top: number;
}

const PERIOD_NAMES = { weekly: 'week', monthly: 'month' } as const;

/**
 * The organization's sparklines for text and chat: a daily digest's last 14 days; a weekly or
 * monthly digest's days over the period before's, both to one scale.
 */
export function organizationSparks(kind: ReportResult['kind'], chart: DigestChart): SparkRow[] {
  if ((kind === 'weekly' || kind === 'monthly') && chart.previous) {
    const now = chart.days.map((d) => d.sessions);
    const before = chart.previous.map((d) => d.sessions);
    const top = Math.max(0, ...now, ...before);
    const period = PERIOD_NAMES[kind];
    return [
      { label: `This ${period}`, spark: sparkline(now, top), top: Math.max(0, ...now) },
      {
        label: `${period === 'week' ? 'Week' : 'Month'} before`,
        spark: sparkline(before, top),
        top: Math.max(0, ...before),
      },
    ];
  }
  return [
    {
      label: `Last ${SPARKLINE_DAYS} days`,
      spark: sparkline(chart.sparkline),
      top: Math.max(0, ...chart.sparkline),
    },
  ];
}
