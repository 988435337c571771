import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAS_CHROMIUM, launchChromium, renderEmail } from '../../dev/email-browser';
import { CHART_HEIGHT_PX, SPARK_HEIGHT_PX } from '../../functions/report/core/chart-html';
import { renderDigest } from '../../functions/report/core/render';
import type { ReportResult } from '../../functions/report/core/report';
import type { LimitEntry } from '../../functions/report/core/runway';
import { runSampleReport } from '../../scripts/sample-report';
import { dailyChart, periodChart } from '../support/digest-chart';

const NO_CHROMIUM = `no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM=/path/to/chrome)`;

/** Relative luminance of a computed `rgb(r, g, b)` colour, 0 (black) to 1 (white). */
function luminance(color: string): number {
  const [r, g, b] = (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((c) => {
    const v = Number(c) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

describe('Chromium', () => {
  it('is installed, so the email is checked in a real browser (a machine without it skips that)', (ctx) => {
    if (HAS_CHROMIUM) return;
    if (process.env.CI === 'true')
      throw new Error(`CI=true must check the email in Chromium: ${NO_CHROMIUM}`);
    console.warn(`SKIPPED the email layout test: ${NO_CHROMIUM}.`);
    ctx.skip(NO_CHROMIUM);
  });
});

/** The real digest HTML (the sample day the README pictures), measured in headless Chromium. */
describe.runIf(HAS_CHROMIUM)('The email in a browser', () => {
  let browser: Browser;
  let html: string;

  beforeAll(async () => {
    browser = await launchChromium();
    ({
      digest: { html },
    } = await runSampleReport({ now: Date.parse('2026-11-20T07:00:00Z') / 1000, timeZone: 'Europe/Berlin' }));
  }, 60_000);
  afterAll(() => browser?.close());

  it.each([390, 1024])('at %i px wide: no horizontal scroll, every bar visible', async (width) => {
    const layout = await renderEmail(browser, html, { width });
    expect(layout.viewportWidth).toBe(width);
    expect(layout.scrollWidth).toBeLessThanOrEqual(width);
    expect(layout.bars.length).toBeGreaterThanOrEqual(10);
    for (const bar of layout.bars) {
      expect(bar.width).toBeGreaterThanOrEqual(1);
      expect(bar.height).toBeGreaterThanOrEqual(4);
      expect(bar.left).toBeGreaterThanOrEqual(0);
      expect(bar.right).toBeLessThanOrEqual(width);
    }
  });

  it('in a dark-mode client: a dark card with light figures', async () => {
    const light = await renderEmail(browser, html, { width: 390 });
    const dark = await renderEmail(browser, html, { width: 390, dark: true });
    expect(luminance(light.cardBackground)).toBeGreaterThan(0.8);
    expect(luminance(dark.cardBackground)).toBeLessThan(0.1);
    expect(luminance(dark.headlineColor)).toBeGreaterThan(0.7);
    expect(dark.bars.length).toBe(light.bars.length);
  });

  it('with the limits box, long unbroken names included: no horizontal scroll at 390 px, dark in dark mode', async () => {
    const long = 'Support-Copilot-Enterprise-EMEA-Production-Workload'.repeat(2);
    const limit = (fields: Partial<LimitEntry>): LimitEntry => ({
      scope: 'project',
      id: `proj_${'x'.repeat(60)}`,
      kind: 'hard_limit',
      limit_usd: 500,
      month_to_date_usd: 510,
      pace_usd_per_day: 31,
      forecast_usd: 1_000,
      reaches_on: null,
      status: 'enforcing',
      ...fields,
    });
    const start = Date.parse('2026-12-15T00:00:00Z') / 1000;
    const { html: limitsHtml } = renderDigest(
      {
        kind: 'daily',
        start_time: start,
        end_time: start + 86_400,
        total_sessions: 10,
        total_cost_usd: 1,
        projects: [
          { project_id: `proj_${'x'.repeat(60)}`, project_name: long, num_sessions: 10, cost_usd: 1 },
        ],
        limits: [
          limit({}),
          limit({ status: 'will_reach', reaches_on: '2026-12-19', month_to_date_usd: 380 }),
          limit({ scope: 'route', id: long, kind: 'budget', status: 'warn', month_to_date_usd: 100 }),
        ],
      },
      'UTC',
    );
    expect(limitsHtml).toContain('Limits and budgets (3)');
    const light = await renderEmail(browser, limitsHtml, { width: 390 });
    const dark = await renderEmail(browser, limitsHtml, { width: 390, dark: true });
    expect(light.scrollWidth).toBeLessThanOrEqual(390);
    expect(dark.scrollWidth).toBeLessThanOrEqual(390);
    expect(luminance(dark.cardBackground)).toBeLessThan(0.1);
  });
});

/** `Sat 21 Nov: 1,480 sessions · $103.60` → 1480. */
const sessionsOf = (title: string) =>
  Number(/: ([\d,]+) sessions?/.exec(title)?.[1]?.replace(/,/g, '') ?? NaN);

/**
 * A known 31-day chart and 25 rows with sparklines (one project new this week, one with a long
 * unbroken name), measured in headless Chromium: bars proportional to their values, nothing wider
 * than a phone, light and dark.
 */
describe.runIf(HAS_CHROMIUM)('The chart in a browser', () => {
  let browser: Browser;
  const start = Date.parse('2026-11-20T23:00:00Z') / 1000;
  const long = 'Support-Copilot-Enterprise-EMEA-Production-Workload'.repeat(2);
  const projects = Array.from({ length: 25 }, (_, i) => ({
    project_id: `proj_${i}`,
    project_name: i === 4 ? long : `Team ${i}`,
    num_sessions: 2_000 - i * 70,
    cost_usd: 10 + i,
  }));
  const report: ReportResult = {
    kind: 'daily',
    start_time: start,
    end_time: start + 86_400,
    total_sessions: projects.reduce((sum, p) => sum + p.num_sessions, 0),
    total_cost_usd: 500,
    projects,
  };
  const trend = {
    compared_sessions: 1_000,
    seven_day_mean_sessions: 900,
    projects: projects.map((p) => ({ project_id: p.project_id, compared_sessions: 900 })),
    chart: dailyChart(
      '2026-11-21',
      new Map(
        projects.map((p, i) => [
          p.project_id,
          i === 3
            ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 40, 75, 108]
            : Array.from({ length: 14 }, (_, d) => ((d * 7 + i * 3) % 13) * 40),
        ]),
      ),
    ),
  };
  const { html } = renderDigest(report, 'Europe/Berlin', trend);

  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(() => browser?.close());

  it.each([
    [390, false],
    [390, true],
    [1024, false],
    [1024, true],
  ])(
    'at %i px (dark: %s): each bar as tall as its value, within a pixel; nothing overflows',
    async (width, dark) => {
      const layout = await renderEmail(browser, html, { width, dark });
      expect(layout.scrollWidth).toBeLessThanOrEqual(width);
      const days = trend.chart.days;
      // The day with no usage has no bar.
      expect(layout.chartBars).toHaveLength(days.filter((d) => d.sessions > 0).length);
      const top = Math.max(...days.map((d) => d.sessions), trend.chart.mean_7d ?? 0);
      for (const bar of layout.chartBars) {
        const value = sessionsOf(bar.title);
        expect(Math.abs(bar.height - (value / top) * CHART_HEIGHT_PX)).toBeLessThanOrEqual(1);
        expect(bar.width).toBeGreaterThanOrEqual(width === 390 ? 6 : 15);
        expect(bar.left).toBeGreaterThanOrEqual(0);
        expect(bar.right).toBeLessThanOrEqual(width);
      }
      // The report day stands out: another colour than the days before it.
      const today = layout.chartBars.at(-1);
      expect(today?.title).toMatch(/^Sat 21 Nov: /);
      expect(today?.background).not.toBe(layout.chartBars[0]?.background);
      expect(layout.sparklines).toHaveLength(25);
      for (const spark of layout.sparklines) {
        expect(spark.right).toBeLessThanOrEqual(width);
        const values = spark.label
          .replace(/^Last 14 days: /, '')
          .split(', ')
          .map((v) => Number(v.replace(/,/g, '')));
        const max = Math.max(...values);
        // Eight steps of 2 px, as the text sparkline's eight blocks.
        expect(spark.bars).toEqual(
          values.filter((v) => v > 0).map((v) => Math.ceil((v / max) * 8) * (SPARK_HEIGHT_PX / 8)),
        );
      }
      // New this week: nothing drawn for its first ten days.
      expect(layout.sparklines[3]?.bars).toHaveLength(4);
    },
  );

  it("draws a monthly digest's 30 days beside the 31 before within 390 px, to one scale", async () => {
    const monthly: ReportResult = { ...report, kind: 'monthly' };
    const { html: month } = renderDigest(monthly, 'UTC', {
      ...trend,
      chart: periodChart('2026-11-30', 30, 31),
    });
    const layout = await renderEmail(browser, month, { width: 390 });
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    const chart = periodChart('2026-11-30', 30, 31);
    const top = Math.max(...[...chart.days, ...(chart.previous ?? [])].map((d) => d.sessions));
    expect(layout.chartBars).toHaveLength(59);
    for (const bar of layout.chartBars) {
      expect(Math.abs(bar.height - (sessionsOf(bar.title) / top) * CHART_HEIGHT_PX)).toBeLessThanOrEqual(1);
      expect(bar.width).toBeGreaterThanOrEqual(2);
    }
  });
});
