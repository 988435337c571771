/**
 * `usage-digest backfill`: fills the history bucket's days from the API, as the daily digest would
 * have written them. Resumable: days already in the bucket are skipped unless --overwrite.
 *   npx usage-digest backfill --from 2026-01-01 --to 2026-12-01 --bucket NAME
 * Progress and errors go to stderr; stdout stays empty.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import {
  BackfillIncompleteError,
  type BackfillProgress,
  backfillHistory,
  type HistoryRoute,
} from '../functions/report/backfill';
import { DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, thresholdsFrom } from '../functions/report/config';
import {
  BACKFILL_CHUNK_DAYS,
  backfillChunks,
  datesOf,
  MAX_BACKFILL_DAYS,
  parseBackfillRange,
} from '../functions/report/core/backfill-event';
import { parseProjectIds, parseTimeZone } from '../functions/report/core/event';
import { addDays, localDateOf } from '../functions/report/core/local-time';
import { ConfigError, InputError, redactError } from '../functions/report/errors';
import { createHistoryStore } from '../functions/report/history/index';
import { nearestKey } from '../infra/nearest-key';
import { adminAccess, explain, UsageError } from './admin-access';
import { SETTINGS_FILE, settingsTimeZone } from './settings-file';

export const BACKFILL_USAGE = `Usage: usage-digest backfill --from DATE [--to DATE] --bucket NAME [options]

Writes the history bucket's days (s3://NAME/daily/date=YYYY-MM-DD/part-0.parquet) from the OpenAI
API, each exactly as the daily digest of that day writes it: sessions per project over the local
day, the code interpreter cost and total spend of the UTC day with that date, the unusual reason
(judged on the 7 days before), the routes. ${BACKFILL_CHUNK_DAYS} days go in one wave of requests, one wave after another.
Days the bucket already holds are skipped, so a run that was interrupted continues where it stopped.

Range
  --from DATE                 the first local day to write (YYYY-MM-DD, or any form --from takes)
  --to DATE                   the day after the last one, exclusive (default: today: every day that
                              has ended); at most ${MAX_BACKFILL_DAYS} days
  --timezone ZONE             IANA time zone of the days (also --tz; default: REPORT_TIMEZONE, else
                              the settings file's timezone, else UTC): give the deployment's zone
  --config PATH               the settings file to take the zone, routes and unusual thresholds
                              from (default: ${SETTINGS_FILE} in this directory, when there is one)

Bucket
  --bucket NAME               the history bucket (default: HISTORY_BUCKET; the stack's output)
  --overwrite                 write every day of the range, also those already written

Access
  OPENAI_ADMIN_KEY            the organization admin key, from the environment, or
  --secret-id NAME            read it from AWS Secrets Manager
  --base-url URL              usage API (default: OPENAI_BASE_URL or ${DEFAULT_BASE_URL})
  --concurrency N             requests in flight (default: ${DEFAULT_CONCURRENCY})
  AWS_REGION and credentials  for S3 (and Secrets Manager), as the AWS CLI finds them

  -h, --help                  print this help

Unusual: UNUSUAL_FACTOR, UNUSUAL_MIN_SESSIONS, ALERT_COST_USD when set, else the settings file's
unusualFactor, unusualMinSessions, alertCostUsd, as the function has them.

Exit codes: 0 done, 1 the backfill failed (run the same command again to continue), 2 bad arguments.

Example
  npx usage-digest backfill --from 2026-01-01 --to 2026-12-01 --bucket my-stack-history-1a2b3c
`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  bucket: { type: 'string' },
  overwrite: { type: 'boolean' },
  timezone: { type: 'string' },
  tz: { type: 'string' },
  config: { type: 'string' },
  'secret-id': { type: 'string' },
  'base-url': { type: 'string' },
  concurrency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parse>['values'];

/** Runs `usage-digest backfill ARGS`; resolves with the exit code. */
export async function backfillCommand(argv: string[]): Promise<number> {
  let values: Values;
  try {
    values = parse(argv).values;
  } catch (error) {
    return usageError(parseErrorMessage(error as Error & { code?: string }));
  }
  if (values.help) {
    process.stdout.write(BACKFILL_USAGE);
    return 0;
  }
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(values);
  } catch (error) {
    if (error instanceof InputError || error instanceof ConfigError || error instanceof UsageError)
      return usageError(error.message);
    throw error;
  }
  const { range, bucket, settings, access } = prepared;
  const store = createHistoryStore({ bucket, client: new S3Client({}) });
  const terminal = process.stderr.isTTY === true;
  let adminKey: string | undefined;
  try {
    const dates = datesOf(range);
    const written = values.overwrite
      ? new Set<string>()
      : await store.writtenDays(dates[0] as string, dates.at(-1) as string);
    const pending = dates.filter((date) => !written.has(date));
    if (terminal) {
      const chunks = backfillChunks(pending).length;
      process.stderr.write(
        `backfill: ${pending.length} of ${dates.length} days to write in ${chunks} wave(s)${written.size ? `, ${written.size} already written` : ''}\n`,
      );
    }
    adminKey = await access.keySource();
    const usageApi = createUsageApi({ baseUrl: access.baseUrl, adminKey, concurrency: access.concurrency });
    const summary = await backfillHistory({
      usageApi,
      store,
      timeZone: range.timeZone,
      dates: pending,
      routes: settings.routes,
      thresholds: settings.thresholds,
      ...(terminal ? { onProgress: showProgress } : {}),
    });
    process.stderr.write(
      `backfill: wrote ${summary.days_written} day(s) to s3://${bucket}/daily/ (${range.from} to ${addDays(range.to, -1)}, ${range.timeZone})${written.size ? `; ${written.size} already written, skipped` : ''}\n`,
    );
    return 0;
  } catch (error) {
    redactError(error, adminKey ? [adminKey] : []);
    const resume =
      error instanceof BackfillIncompleteError
        ? ' (run the same command again to continue: days already written are skipped)'
        : '';
    process.stderr.write(`${terminal ? '\n' : ''}error: ${explain(error)}${resume}\n`);
    return 1;
  }
}

/** One line, redrawn in place: for a person at a terminal. */
function showProgress(progress: BackfillProgress): void {
  const done = progress.chunk === progress.chunks;
  process.stderr.write(
    `\rbackfill: ${progress.daysWritten}/${progress.days} days written, through ${progress.last}${done ? '\n' : ''}`,
  );
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
}

/** parseArgs's error in one line, naming the nearest option to a mistyped one. */
function parseErrorMessage(error: Error & { code?: string }): string {
  const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(error.message)?.[1];
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !unknown) return error.message.split('\n')[0] ?? '';
  const nearest = nearestKey(unknown.replace(/^-+/, ''), Object.keys(OPTIONS));
  return `unknown option ${unknown}${nearest ? ` (did you mean --${nearest}?)` : ''}`;
}

async function prepare(values: Values) {
  const env = process.env;
  if (values.from === undefined) throw new UsageError('--from is required: the first day to write');
  if (values.timezone !== undefined && values.tz !== undefined)
    throw new UsageError('--timezone and --tz are the same option: give one');
  const bucket = values.bucket ?? env.HISTORY_BUCKET;
  if (!bucket) throw new UsageError('--bucket is required: the history bucket (the stack outputs its name)');
  const settings = deploymentSettings(values.config);
  const zoneFlag = values.timezone !== undefined ? '--timezone' : '--tz';
  const flagZone = values.timezone ?? values.tz;
  const [zone, zoneField] =
    flagZone !== undefined
      ? [flagZone, zoneFlag]
      : env.REPORT_TIMEZONE
        ? [env.REPORT_TIMEZONE, 'REPORT_TIMEZONE']
        : [settings.timeZone ?? 'UTC', 'timezone'];
  const timeZone = parseTimeZone(zone, zoneField);
  const now = Math.floor(Date.now() / 1000);
  const range = parseBackfillRange(
    { start: values.from, end: values.to ?? localDateOf(now, timeZone) },
    { start: '--from', end: '--to' },
    timeZone,
    now,
  );
  await requireRegion();
  return { range, bucket, settings, access: adminAccess(values, env) };
}

/** What the backfill takes from the deployment's settings file: the zone, the routes, the thresholds. */
function deploymentSettings(path: string | undefined): {
  timeZone?: string;
  routes: HistoryRoute[];
  thresholds: ReturnType<typeof thresholdsFrom>;
} {
  let timeZone: string | undefined;
  try {
    timeZone = settingsTimeZone(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const file = path ?? SETTINGS_FILE;
  let settings: Record<string, unknown> = {};
  try {
    settings = JSON.parse(readFileSync(file, 'utf8')) ?? {};
  } catch {
    // No file (settingsTimeZone has refused a named one that is missing or not JSON).
  }
  const rawRoutes = Array.isArray(settings.routes) ? settings.routes : [];
  const routes = rawRoutes.map((raw, i): HistoryRoute => {
    const route = (raw ?? {}) as { name?: unknown; project_ids?: unknown };
    if (typeof route.name !== 'string' || !route.name.trim())
      throw new UsageError(`${file}: routes[${i}].name: must be a non-empty string`);
    try {
      return { name: route.name, projectIds: parseProjectIds(route.project_ids, `routes[${i}].project_ids`) };
    } catch (error) {
      throw new UsageError(`${file}: ${(error as Error).message}`);
    }
  });
  const env = process.env;
  const fromFile = (key: string) => (settings[key] === undefined ? undefined : String(settings[key]));
  const thresholds = thresholdsFrom({
    UNUSUAL_FACTOR: env.UNUSUAL_FACTOR ?? fromFile('unusualFactor'),
    UNUSUAL_MIN_SESSIONS: env.UNUSUAL_MIN_SESSIONS ?? fromFile('unusualMinSessions'),
    ALERT_COST_USD: env.ALERT_COST_USD ?? fromFile('alertCostUsd'),
  });
  return { ...(timeZone ? { timeZone } : {}), routes, thresholds };
}

/** S3 needs a region; without one, say so before any call. */
async function requireRegion(): Promise<void> {
  try {
    await new S3Client({}).config.region();
  } catch {
    throw new UsageError(
      'backfill writes to S3, and no AWS region is set: export AWS_REGION=eu-west-1 (the region of your stack), or set one in your AWS profile',
    );
  }
}

/** A usage error: one line a person reads at once, and where the rest is. */
function usageError(message: string): number {
  process.stderr.write(`error: ${message} (see usage-digest backfill --help)\n`);
  return 2;
}
