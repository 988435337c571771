/**
 * `npm run bench`: our client against the usual approach (sequential requests, default page size,
 * following next_page), both against a local usage API that answers every request after a fixed
 * delay, over a year of data for 60 projects. Also the bundle's size and import time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FakeUsageApi } from '../dev/fake-usage-api';
import { expectedTotals, generateSessionLog } from '../dev/sample-usage';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { parseEvent } from '../functions/report/core/event';
import type { Window } from '../functions/report/core/local-time';
import { computeReport, stderrLogger } from '../functions/report/run-report';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 150);
const KEY = 'sk-admin-bench';
const DAY = 86_400;

interface Case {
  readonly name: string;
  readonly event: Record<string, unknown>;
  readonly timeZone: string;
}

async function main(): Promise<void> {
  const end = Math.floor(Date.now() / 1000 / DAY) * DAY; // today, 00:00 UTC
  const log = generateSessionLog({ from: end - 380 * DAY, to: end + DAY, projectCount: 60, seed: 42 });
  const api = new FakeUsageApi({ log, adminKey: KEY, latencyMs: DELAY_MS });
  const baseUrl = await api.start();
  const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  const cases: Case[] = [
    {
      name: '1 day UTC (the daily run, with 7 trend days)',
      event: { time: new Date((end + 7 * 3600) * 1000).toISOString() },
      timeZone: 'UTC',
    },
    {
      name: '1 day Asia/Kolkata (the daily run, with 7 trend days)',
      event: { time: new Date((end + 7 * 3600) * 1000).toISOString() },
      timeZone: 'Asia/Kolkata',
    },
    { name: '31 days UTC', event: { start_time: iso(end - 31 * DAY), end_time: iso(end) }, timeZone: 'UTC' },
    {
      name: '365 days UTC',
      event: { start_time: iso(end - 365 * DAY), end_time: iso(end) },
      timeZone: 'UTC',
    },
    {
      name: '90 days America/New_York',
      event: { start_time: iso(end - 91 * DAY), end_time: iso(end - DAY) },
      timeZone: 'America/New_York',
    },
  ];

  const rows: string[] = [];
  try {
    for (const c of cases) {
      const request = parseEvent(
        { ...c.event, timezone: c.timeZone },
        { now: end + 8 * 3600, timeZone: 'UTC', recipients: ['a@example.com'] },
      );
      const expected = [...expectedTotals(log, request.window.start, request.window.end).values()].reduce(
        (a, b) => a + b,
        0,
      );

      api.reset();
      let t0 = performance.now();
      const usageApi = createUsageApi({ baseUrl, adminKey: KEY });
      const ours = await computeReport(request, usageApi, stderrLogger);
      const oursMs = performance.now() - t0;
      const oursRequests = api.requests.length;

      api.reset();
      t0 = performance.now();
      const usualTotal = await usualApproach(baseUrl, request.window);
      const usualMs = performance.now() - t0;
      const usualRequests = api.requests.length;

      const exact = (n: number) =>
        n === expected ? 'yes' : `no (${n - expected > 0 ? '+' : ''}${n - expected})`;
      rows.push(
        `| ${c.name} | ${oursRequests} | ${Math.round(oursMs)} | ${(oursMs / DELAY_MS).toFixed(1)} | ${exact(ours.result.total_sessions)} | ${usualRequests} | ${Math.round(usualMs)} | ${(usualMs / DELAY_MS).toFixed(1)} | ${exact(usualTotal)} | ${(usualMs / oursMs).toFixed(1)}x |`,
      );
    }
  } finally {
    await api.stop();
  }

  console.log(`Local usage API answering after ${DELAY_MS} ms; a year of data for 60 projects.\n`);
  console.log(
    '| range | our requests | our wall ms | our round trips | our total exact | usual requests | usual wall ms | usual round trips | usual total exact | speed-up |',
  );
  console.log('|---|---:|---:|---:|---|---:|---:|---:|---|---:|');
  for (const row of rows) console.log(row);
  console.log('\nOur requests include the project-name listing, which runs alongside the usage queries.');
  reportBundle();
}

/** The usual client: one query over the window, default bucket width and page size, page after page. */
async function usualApproach(baseUrl: string, window: Window): Promise<number> {
  let total = 0;
  let page: string | null = null;
  do {
    const params = new URLSearchParams({
      start_time: String(window.start),
      end_time: String(window.end),
      group_by: 'project_id',
    });
    if (page) params.set('page', page);
    const response = await fetch(`${baseUrl}/organization/usage/code_interpreter_sessions?${params}`, {
      headers: { Authorization: `Bearer ${KEY}` },
    });
    const body = (await response.json()) as {
      data: { results: { num_sessions: number }[] }[];
      has_more: boolean;
      next_page: string | null;
    };
    for (const bucket of body.data) for (const row of bucket.results) total += row.num_sessions;
    page = body.has_more ? body.next_page : null;
  } while (page);
  return total;
}

/** Size of the synthesized bundle and how long Node.js 22 takes to import it (cold, median of 5). */
function reportBundle(): void {
  // Synthesize afresh so the figures are for the code as it is now.
  execFileSync(
    'npx',
    ['cdk', 'synth', '--quiet', '-c', 'sender=bench@example.com', '-c', 'recipients=bench@example.com'],
    {
      stdio: 'ignore',
    },
  );
  const template = 'cdk.out/UsageDigest.template.json';
  const resources = JSON.parse(readFileSync(template, 'utf8')).Resources as Record<
    string,
    { Type: string; Metadata?: Record<string, string> }
  >;
  const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function');
  const bundle = join('cdk.out', fn?.Metadata?.['aws:asset:path'] ?? '', 'index.mjs');
  const node22 = join('node_modules', '.bin', 'node');
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); console.log(performance.now() - t);`;
  const times = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(node22, ['--input-type=module', '-e', script], {
        env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1' },
      }).toString(),
    ),
  ).sort((a, b) => a - b);
  console.log(`\nBundle: ${(statSync(bundle).size / 1024).toFixed(0)} KiB minified ESM (${bundle})`);
  console.log(
    `Import time on Node.js ${execFileSync(node22, ['--version']).toString().trim()}: ${times[2]?.toFixed(0)} ms (median of 5 cold starts)`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
