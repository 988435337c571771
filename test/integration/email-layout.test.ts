import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, HAS_CHROMIUM, launchChromium, renderEmail } from '../../dev/email-browser';
import { renderDigest } from '../../functions/report/core/render';
import type { LimitEntry } from '../../functions/report/core/runway';
import { runSampleReport } from '../../scripts/sample-report';

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
