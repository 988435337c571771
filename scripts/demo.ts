/**
 * `npm start`: the real report code (event → window → plan → concurrent fetch → aggregate → render)
 * against a sample usage API started in-process on localhost. No AWS account, no key.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatTable } from '../cli/terminal-table';
import { renderCsv } from '../functions/report/core/render';
import { runSampleReport } from './sample-report';

const OUT_DIR = 'out';

async function main(): Promise<void> {
  // A little latency, as from a real API across the Internet.
  const sample = await runSampleReport({
    now: Math.floor(Date.now() / 1000),
    timeZone: process.env.REPORT_TIMEZONE || 'Europe/Berlin',
    latencyMs: 40,
  });
  const { result, trend, notes, digest, request } = sample;
  await mkdir(OUT_DIR, { recursive: true });
  await Promise.all([
    writeFile(join(OUT_DIR, 'report.html'), digest.html),
    writeFile(join(OUT_DIR, 'report.txt'), `Subject: ${digest.subject}\n\n${digest.text}`),
    writeFile(join(OUT_DIR, 'report.csv'), renderCsv(result, trend)),
  ]);
  console.log('usage-digest demo: the daily report for yesterday, against built-in sample data\n');
  console.log(formatTable(result, request.timeZone, trend, notes));
  console.log(
    `${sample.requests} requests to the sample API (${sample.usageRequests} for usage, ${sample.spendLimitRequests} for spend limits, the rest for cost and project names), ${Math.round(sample.elapsedMs)} ms`,
  );
  console.log(`Email subject: ${digest.subject}`);
  console.log(`Wrote ${OUT_DIR}/report.html, ${OUT_DIR}/report.txt and ${OUT_DIR}/report.csv`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
