/**
 * Whole-process figures of the shipped bundle under Node.js 22, each run a fresh process as a
 * Lambda cold start is: how long the import takes, how long the first daily run takes after it,
 * and the peak RSS and CPU time of a large report. The function's environment is the template's,
 * its AWS endpoints local (dynalite, aws-ses-v2-local, a Secrets Manager stand-in), and the usage
 * API the bench's, in its own process with its fixed latency.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { NAMES_CACHE_KEY } from '../functions/report/adapters/names-cache';
import { startLocalDynamoDb, startLocalSes } from '../test/support/local-aws';
import { LocalSecretsManager } from '../test/support/local-secrets-manager';
import { BENCH_END, BENCH_KEY } from './bench-cases';

const NODE_22 = join('node_modules', '.bin', 'node');
const TABLE = 'usage-digest-cold-start';

/** What one fresh process reports. */
export interface ProcessRun {
  readonly importMs: number;
  readonly runMs: number;
  /** Peak resident set size, MB. */
  readonly peakRssMb: number;
  /** User + system CPU time of the whole process, ms. */
  readonly cpuMs: number;
}

/**
 * Imports `bundle` (timed), then calls its handler once with `event` (timed), then prints the
 * process's peak RSS and CPU time: one line, after whatever the function logged.
 */
const CHILD = `
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
const context = {
  functionName: 'usage-digest-report', functionVersion: '$LATEST', awsRequestId: 'bench',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:usage-digest-report',
  memoryLimitInMB: '1024', getRemainingTimeInMillis: () => 120000,
};
await handler(JSON.parse(process.env.BENCH_EVENT), context);
const ran = performance.now();
const usage = process.resourceUsage();
console.log('BENCH ' + JSON.stringify({
  importMs: imported - started, runMs: ran - imported,
  peakRssMb: usage.maxRSS / 1024, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
}));
`;

/** The local AWS the processes call, started once. */
export async function startLocalAws() {
  const [dynamodb, ses] = await Promise.all([startLocalDynamoDb(TABLE), startLocalSes()]);
  const secrets = new LocalSecretsManager();
  secrets.secrets.set('openai/admin-key', BENCH_KEY);
  const secretsUrl = await secrets.start();
  return {
    /** The function's environment as the template sets it, pointed at the local endpoints. */
    environment(baseUrl: string): Record<string, string> {
      return {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
        AWS_ENDPOINT_URL_SES: ses.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
        AWS_LAMBDA_FUNCTION_NAME: 'usage-digest-report',
        ADMIN_KEY_SECRET_ID: 'openai/admin-key',
        REPORT_SENDER: 'digest@example.com',
        REPORT_RECIPIENTS: 'ops@example.com',
        REPORT_TIMEZONE: 'UTC',
        OPENAI_BASE_URL: baseUrl,
        IDEMPOTENCY_TABLE: TABLE,
        POWERTOOLS_SERVICE_NAME: 'usage-digest',
        POWERTOOLS_LOG_LEVEL: 'INFO',
      };
    },
    /** Forgets the delivery records (not the cached names), so the same day is delivered again. */
    async forgetDeliveries(): Promise<void> {
      await dynamodb.clearItems([NAMES_CACHE_KEY]);
      await ses.clear();
    },
    async stop(): Promise<void> {
      await Promise.all([dynamodb.stop(), ses.stop(), secrets.stop()]);
    },
  };
}

/**
 * One fresh Node.js 22 process: import the bundle, run `event`, report. Asynchronous: the local
 * AWS endpoints it calls live in this process's event loop.
 */
export async function runProcess(
  bundle: string,
  event: unknown,
  environment: Record<string, string>,
): Promise<ProcessRun> {
  const dir = mkdtempSync(join(tmpdir(), 'usage-digest-cold-'));
  const script = join(dir, 'cold-start.mjs');
  writeFileSync(script, CHILD);
  const { stdout: output } = await promisify(execFile)(NODE_22, [script], {
    env: { ...environment, BENCH_BUNDLE: pathToFileURL(bundle).href, BENCH_EVENT: JSON.stringify(event) },
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = output.split('\n').findLast((l) => l.startsWith('BENCH '));
  if (!line) throw new Error(`the process reported nothing:\n${output.slice(-2000)}`);
  return JSON.parse(line.slice('BENCH '.length)) as ProcessRun;
}

/** The median of what `runs` measured. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2
    ? (sorted[Math.floor(middle)] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The scheduled event of the bench's daily run. */
export const DAILY_EVENT = { time: new Date((BENCH_END + 7 * 3_600) * 1000).toISOString() };
/** 31 days, mailed: the large report whose memory and CPU the bench reports. */
export const MONTH_EVENT = {
  start_time: new Date((BENCH_END - 31 * 86_400) * 1000).toISOString().slice(0, 10),
  end_time: new Date(BENCH_END * 1000).toISOString().slice(0, 10),
};
