/**
 * `npm run bench`: our client against the usual approach (sequential requests, default page size,
 * following next_page), both against a local usage API that answers every request after a fixed
 * delay, in a process of its own (fixed dates and seed: scripts/bench-cases.ts). Then the shipped
 * bundle in fresh Node.js 22 processes, as Lambda cold-starts it: size, import time, the first daily
 * run end to end, and the peak memory and CPU time of a 31-day report at 1,500 projects.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BENCH_CASES,
  BENCH_END,
  BENCH_SEED,
  type ClientRun,
  LARGE_ORG_PROJECTS,
  runCase,
  startBenchTargets,
} from './bench-cases';
import {
  DAILY_EVENT,
  MONTH_EVENT,
  median,
  type ProcessRun,
  runProcess,
  startLocalAws,
} from './bench-cold-start';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 150);
/** Cold processes per figure: the median of 10, as the issue asks. */
const COLD_RUNS = 10;

/** `| ours | usual |` cells: requests / waves / wall ms / round trips (wall time over the API delay). */
const cell = (run: ClientRun) =>
  `${run.requests} / ${run.waves} / ${Math.round(run.ms)} / ${(run.ms / DELAY_MS).toFixed(1)}`;

async function main(): Promise<void> {
  const targets = await startBenchTargets(DELAY_MS);
  const rows: string[] = [];
  let cold: ColdFigures;
  try {
    for (const c of BENCH_CASES) {
      const { expected, ours, usual } = await runCase(targets.for(c), c);
      const exact = (n: number) =>
        n === expected ? 'yes' : `**no (${n - expected > 0 ? '+' : ''}${n - expected})**`;
      rows.push(
        `| ${c.name} | ${cell(ours)} | ${cell(usual)} | ${exact(ours.total)} / ${exact(usual.total)} | ${(usual.ms / ours.ms).toFixed(1)}x |`,
      );
    }
    // `npm run bench -- --cases`: the table alone, without the bundle's cold starts.
    if (process.argv.includes('--cases')) {
      console.log(rows.join('\n'));
      return;
    }
    const daily = BENCH_CASES.find((c) => c.name.startsWith('daily run, UTC'));
    const large = BENCH_CASES.find((c) => c.projects === LARGE_ORG_PROJECTS);
    if (!daily || !large) throw new Error('the bench needs its daily and large-organization cases');
    cold = await coldFigures(targets.for(daily).api.baseUrl, targets.for(large).api.baseUrl);
  } finally {
    await targets.stop();
  }

  console.log(
    `Local usage API answering after ${DELAY_MS} ms; ${BENCH_CASES.length} fixed runs up to ${new Date(BENCH_END * 1000).toISOString().slice(0, 10)}, 60 projects (or ${LARGE_ORG_PROJECTS.toLocaleString('en-US')} where named), seed ${BENCH_SEED}.`,
  );
  console.log(
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, Node.js ${process.version}; ${new Date().toISOString().slice(0, 10)}.\n`,
  );
  console.log(
    '| range | ours: requests / waves / ms / round trips | usual: requests / waves / ms / round trips | exact (ours / usual) | speed-up |',
  );
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(
    '\nOur requests include the project names (listed, or read from the table) and the cost, alongside the usage queries.',
  );
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(
    `\nThe shipped bundle on Node.js ${cold.node}, each figure the median of ${COLD_RUNS} fresh processes:`,
  );
  console.log(`- size: ${(cold.bytes / 1024).toFixed(0)} KiB minified ESM (${cold.bundle})`);
  console.log(`- import: ${ms(cold.importMs)} (an empty handler: ${ms(cold.emptyImportMs)})`);
  console.log(
    `- first daily run after it, end to end (secret, usage, cost, names from the table, email, records): ${ms(cold.dailyRunMs)}, ${(cold.dailyRunMs / DELAY_MS).toFixed(1)} round trips; CPU ${ms(cold.dailyCpuMs)} (whole process)`,
  );
  console.log(
    `- a 31-day report at ${LARGE_ORG_PROJECTS.toLocaleString('en-US')} projects, mailed with its CSV: peak RSS ${cold.month.peakRssMb.toFixed(0)} MB, CPU ${ms(cold.month.cpuMs)} (whole process, import included), run ${ms(cold.month.runMs)}`,
  );
}

interface ColdFigures {
  readonly node: string;
  readonly bundle: string;
  readonly bytes: number;
  readonly importMs: number;
  readonly emptyImportMs: number;
  readonly dailyRunMs: number;
  readonly dailyCpuMs: number;
  readonly month: ProcessRun;
}

async function coldFigures(dailyApi: string, largeApi: string): Promise<ColdFigures> {
  const bundle = synthesizeBundle();
  const aws = await startLocalAws();
  try {
    const node = execFileSync(join('node_modules', '.bin', 'node'), ['--version'])
      .toString()
      .trim();
    // A warm-up each: the API remembers its pages and the table holds the names, as on a second day.
    await runProcess(bundle, DAILY_EVENT, aws.environment(dailyApi));
    const daily: ProcessRun[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      await aws.forgetDeliveries();
      daily.push(await runProcess(bundle, DAILY_EVENT, aws.environment(dailyApi)));
    }
    const emptyDir = mkdtempSync(join(tmpdir(), 'usage-digest-empty-'));
    const empty = join(emptyDir, 'index.mjs');
    writeFileSync(empty, 'export const handler = async () => ({});\n');
    const emptyImports = Array.from({ length: COLD_RUNS }, () => importMs(empty));
    await runProcess(bundle, MONTH_EVENT, aws.environment(largeApi));
    const months: ProcessRun[] = [];
    for (let i = 0; i < 3; i++) months.push(await runProcess(bundle, MONTH_EVENT, aws.environment(largeApi)));
    return {
      node,
      bundle,
      bytes: statSync(bundle).size,
      importMs: median(daily.map((r) => r.importMs)),
      emptyImportMs: median(emptyImports),
      dailyRunMs: median(daily.map((r) => r.runMs)),
      dailyCpuMs: median(daily.map((r) => r.cpuMs)),
      month: {
        importMs: median(months.map((r) => r.importMs)),
        runMs: median(months.map((r) => r.runMs)),
        peakRssMb: Math.max(...months.map((r) => r.peakRssMb)),
        cpuMs: median(months.map((r) => r.cpuMs)),
      },
    };
  } finally {
    await aws.stop();
  }
}

/** A module's import time in a fresh Node.js 22 process. */
function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); console.log(performance.now() - t);`;
  return Number(
    execFileSync(join('node_modules', '.bin', 'node'), ['--input-type=module', '-e', script]).toString(),
  );
}

/** Synthesizes afresh, from an empty settings file (a developer's own must not change it), and finds the bundle. */
function synthesizeBundle(): string {
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
  const resources = JSON.parse(readFileSync(join(out, 'UsageDigest.template.json'), 'utf8'))
    .Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>;
  const fn = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function');
  return join(out, fn?.Metadata?.['aws:asset:path'] ?? '', 'index.mjs');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
