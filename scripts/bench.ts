/**
 * `npm run bench`: our client against the usual approach (sequential requests, default page size,
 * following next_page), both against a local usage API that answers every request after a fixed
 * delay, over a year of data for 60 projects (fixed dates and seed: scripts/bench-cases.ts). Also the
 * bundle's size and import time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FakeUsageApi } from '../dev/fake-usage-api';
import {
  BENCH_CASES,
  BENCH_END,
  BENCH_KEY,
  BENCH_SEED,
  benchLog,
  type ClientRun,
  runCase,
} from './bench-cases';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 150);

/** `| ours | usual |` cells: requests / waves / wall ms / round trips (wall time over the API delay). */
const cell = (run: ClientRun) =>
  `${run.requests} / ${run.waves} / ${Math.round(run.ms)} / ${(run.ms / DELAY_MS).toFixed(1)}`;

async function main(): Promise<void> {
  const log = benchLog();
  const api = new FakeUsageApi({ log, adminKey: BENCH_KEY, latencyMs: DELAY_MS });
  const baseUrl = await api.start();
  const rows: string[] = [];
  try {
    for (const c of BENCH_CASES) {
      const { expected, ours, usual } = await runCase(api, baseUrl, log, c);
      const exact = (n: number) =>
        n === expected ? 'yes' : `**no (${n - expected > 0 ? '+' : ''}${n - expected})**`;
      rows.push(
        `| ${c.name} | ${cell(ours)} | ${cell(usual)} | ${exact(ours.total)} / ${exact(usual.total)} | ${(usual.ms / ours.ms).toFixed(1)}x |`,
      );
    }
  } finally {
    await api.stop();
  }

  console.log(
    `Local usage API answering after ${DELAY_MS} ms; ${BENCH_CASES.length} fixed runs up to ${new Date(BENCH_END * 1000).toISOString().slice(0, 10)}, 60 projects, seed ${BENCH_SEED}.`,
  );
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node.js ${process.version}; ${new Date().toISOString().slice(0, 10)}.\n`,
  );
  console.log(
    '| range | ours: requests / waves / ms / round trips | usual: requests / waves / ms / round trips | exact (ours / usual) | speed-up |',
  );
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('\nOur requests include the project-name listing, which runs alongside the usage queries.');
  reportBundle();
}

/** Size of the synthesized bundle and how long Node.js 22 takes to import it (cold, median of 5). */
function reportBundle(): void {
  // Synthesize afresh so the figures are for the code as it is now.
  // Into a fresh directory, from an empty settings file: a developer's own settings must not change it.
  const out = mkdtempSync(join(tmpdir(), 'usage-digest-bench-'));
  writeFileSync(join(out, 'empty.config.json'), '{}');
  execFileSync(
    'npx',
    [
      'cdk',
      'synth',
      '--quiet',
      '-o',
      out,
      '-c',
      `config=${join(out, 'empty.config.json')}`,
      '-c',
      'sender=bench@example.com',
      '-c',
      'recipients=bench@example.com',
    ],
    { stdio: 'ignore' },
  );
  const template = join(out, 'UsageDigest.template.json');
  const resources = JSON.parse(readFileSync(template, 'utf8')).Resources as Record<
    string,
    { Type: string; Metadata?: Record<string, string> }
  >;
  const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function');
  const bundle = join(out, fn?.Metadata?.['aws:asset:path'] ?? '', 'index.mjs');
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
