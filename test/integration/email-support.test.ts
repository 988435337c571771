import { doIUseEmail } from '@jsx-email/doiuse-email';
import { describe, expect, it } from 'vitest';
import { dailyChartHtml, periodChartHtml, sparklineHtml } from '../../functions/report/core/chart-html';
import { renderDigest } from '../../functions/report/core/render';
import type { ReportResult } from '../../functions/report/core/report';
import { dailyChart, periodChart } from '../support/digest-chart';

/**
 * The clients the digest is checked against, as caniemail.com's data (through
 * @jsx-email/doiuse-email) names them: Gmail (web, apps, mobile web), Outlook on Windows (Word),
 * macOS and iOS, Apple Mail (macOS, iOS) and Samsung Email.
 */
const CLIENTS = [
  'gmail.*',
  'outlook.windows',
  'outlook.macos',
  'outlook.ios',
  'apple-mail.*',
  'samsung-email.*',
];

/** What those clients drop of the whole digest, and why each is fine: none of it draws a chart or a figure. */
const ACCEPTED: Record<string, string> = {
  '`@media` is not supported by `gmail.mobile-webmail`':
    'only the dark-mode colours are in @media: Gmail shows the light theme, which is complete inline',
  '`@media` is not supported by `outlook.windows`':
    'as above: Outlook on Windows shows the light theme (it has no dark mode of its own for HTML email)',
  '`Class selector` is not supported by `gmail.mobile-webmail`':
    'the <style> rules are dark mode and Outlook line heights; every colour and height is also inline or an attribute',
  '`Descendant combinator` is not supported by `gmail.mobile-webmail`':
    '`.ud-spark td` sets Outlook line heights only; a browser-based client draws an empty cell at its height attribute',
  '`Type selector` is not supported by `gmail.mobile-webmail`': 'the same `.ud-spark td` rule',
  '`<body> element` is not supported by `outlook.macos`':
    'Outlook replaces <body> with a <div>: the body only sets the page background, repeated on the outer table (bgcolor)',
  '`<body> element` is not supported by `outlook.ios`': 'as for Outlook on macOS',
  '`border-radius` is not supported by `outlook.windows`':
    'square corners on the card, the boxes and the share bars: decoration only',
  '`white-space` is not supported by `outlook.windows`':
    'nowrap keeps figures and labels on one line; Outlook may wrap them, the table still fits',
  '`white-space` is not supported by `samsung-email.android`': 'as for Outlook on Windows',
};

const errorsOf = (html: string) =>
  [...new Set((doIUseEmail(html, { emailClients: CLIENTS }) as { errors?: string[] }).errors ?? [])].sort();

describe('The email against caniemail.com’s support tables', () => {
  it('draws the charts and sparklines with nothing those clients drop', () => {
    // The markup alone, in a document without <body> (which Outlook on macOS and iOS replace).
    const html = `<!DOCTYPE html><html><head></head>${dailyChartHtml(dailyChart('2026-11-21'))}${periodChartHtml(
      'monthly',
      periodChart('2026-11-30', 30, 31),
    )}${sparklineHtml([0, 0, 3, 9, 27, 81, 12, 0, 5, 40, 2, 1, 0, 7])}</html>`;
    expect(errorsOf(html)).toEqual([]);
  });

  it('uses nothing else they drop in a whole digest (chart, keys, limits, unusual) but what is listed as accepted', () => {
    const start = Date.parse('2026-11-20T23:00:00Z') / 1000;
    const projects = Array.from({ length: 30 }, (_, i) => ({
      project_id: `proj_${i}`,
      project_name: `Team ${i}`,
      num_sessions: 300 - i,
      cost_usd: 1 + i,
    }));
    const report: ReportResult = {
      kind: 'daily',
      start_time: start,
      end_time: start + 86_400,
      total_sessions: projects.reduce((sum, p) => sum + p.num_sessions, 0),
      total_cost_usd: 100,
      cost_start_time: start + 3_600,
      cost_end_time: start + 3_600 + 86_400,
      projects,
      unusual: [
        {
          project_id: 'proj_0',
          reason: 'spike',
          num_sessions: 300,
          mean_7d: 50,
          cost_usd: 1,
          keys: [
            { api_key_id: 'key_a', name: 'eval', redacted_value: 'sk-...a1B2', owner: 'ci', cost_usd: 0.8 },
            { api_key_id: 'key_b', name: null, redacted_value: null, owner: null, cost_usd: 0.2 },
          ],
        },
      ],
      limits: [
        {
          scope: 'project',
          id: 'proj_1',
          kind: 'hard_limit',
          limit_usd: 500,
          month_to_date_usd: 510,
          pace_usd_per_day: 31,
          forecast_usd: 1_000,
          reaches_on: null,
          status: 'enforcing',
        },
      ],
    };
    const trend = {
      compared_sessions: 1_000,
      seven_day_mean_sessions: 900,
      projects: projects.map((p) => ({ project_id: p.project_id, compared_sessions: 200 })),
      chart: dailyChart('2026-11-21', new Map(projects.map((p) => [p.project_id, [0, 1, 2, 3, 4, 5, 6, 7]]))),
    };
    const daily = renderDigest(report, 'Europe/Berlin', trend).html;
    const weekly = renderDigest({ ...report, kind: 'weekly' }, 'Europe/Berlin', {
      ...trend,
      chart: periodChart('2026-11-22', 7),
    }).html;
    const found = [...new Set([...errorsOf(daily), ...errorsOf(weekly)])].sort();
    expect(found).toEqual(Object.keys(ACCEPTED).sort());
  });
});
