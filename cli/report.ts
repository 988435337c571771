#!/usr/bin/env node
/**
 * Ad-hoc reports from a terminal, through the same code as the Lambda:
 *   npx usage-digest --from 2026-11-01 --to 2026-11-08 --tz Europe/Berlin
 * stdout carries only the report (a table, or JSON with --json); progress and errors go to stderr.
 */
import { constants } from 'node:fs';
import { access as accessFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { createMailer } from '../functions/report/adapters/mailer';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import { DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, thresholdsFrom } from '../functions/report/config';
import { isEmailAddress, parseEvent, parseTimeZone } from '../functions/report/core/event';
import {
  addDays,
  type LocalDate,
  parseLocalDate,
  startOfLocalDay,
} from '../functions/report/core/local-time';
import { digestMessage, renderDigest } from '../functions/report/core/render';
import { DIGEST_KINDS, type DigestKind } from '../functions/report/core/windows';
import { ConfigError, InputError, redactError } from '../functions/report/errors';
import { listedNames } from '../functions/report/project-names';
import { computeReport, stderrLogger } from '../functions/report/run-report';
import { adminAccess, explain, UsageError } from './admin-access';
import { packageVersion } from './package-version';
import { SETTINGS_FILE, settingsTimeZone } from './settings-file';
import { formatTable } from './terminal-table';

/** How long a terminal run may take before it fails rather than waits (e.g. on a long Retry-After). */
const DEFAULT_TIMEOUT_SECONDS = 600;

const USAGE = `Usage: usage-digest [options]
       (in this repository: npx usage-digest …, or npm run -s report -- …)

Reports OpenAI code interpreter sessions per project: yesterday by default, a scheduled digest's
period, or any range.

Period
  --digest daily|weekly|monthly  the period a scheduled digest reports: the day, the Monday-to-Monday
                              week or the calendar month (default: the last one that has ended)
  --date YYYY-MM-DD           with --digest: a day inside the period to report, e.g. --digest weekly
                              --date 2026-11-18 is the week of Mon 16 Nov (the digest mailed on the 23rd)
  --from DATE|DATETIME|UNIX   a range instead: start, inclusive (a bare date is local midnight)
  --to DATE|DATETIME|UNIX     end, exclusive (default: now)
  --tz ZONE                   IANA time zone (default: REPORT_TIMEZONE, else the settings file's
                              timezone, else UTC)
  --config PATH               the settings file to take the zone from (default: ${SETTINGS_FILE}
                              in this directory, when there is one)
  --project ID[,ID…]          only these projects (each must be a project of the organization)

Output
  --json                      print the result as JSON instead of a table (nothing else on stdout)
  --html FILE                 also write the email's HTML to FILE (checked before anything is fetched;
                              with --send, nothing is mailed unless FILE was written)
  --send                      mail the digest through Amazon SES (needs AWS_REGION and credentials)
  --recipient ADDR[,ADDR…]    who --send mails (repeatable)
  --sender ADDR               the From address (default: REPORT_SENDER)

Access
  OPENAI_ADMIN_KEY            the organization admin key, from the environment, or
  --secret-id NAME            read it from AWS Secrets Manager (needs AWS_REGION and credentials)
  --base-url URL              usage API (default: OPENAI_BASE_URL or ${DEFAULT_BASE_URL})
  --concurrency N             requests in flight (default: ${DEFAULT_CONCURRENCY})
  --timeout SECONDS           give up after this long, retries included (default: ${DEFAULT_TIMEOUT_SECONDS})

  --version                   print this package's version
  -h, --help                  print this help

Unusual (daily reports): UNUSUAL_FACTOR (default 3), UNUSUAL_MIN_SESSIONS (default 50),
ALERT_COST_USD (off unless set), as the function reads them.

Exit codes: 0 done, 1 the run failed, 2 bad arguments (one line on stderr says which).

Commands
  backfill                    fill the history bucket from the API (usage-digest backfill --help)

Examples
  npx usage-digest --from 2026-11-01 --to 2026-11-08 --tz Europe/Berlin
  npx usage-digest --digest monthly --date 2026-10-01 --json | jq '.projects[:3]'
  npx usage-digest --secret-id openai/admin-key --send --recipient ops@example.com --sender digest@example.com
  Without a key: npm run sample-api, then the command it prints.
`;

/** The event fields the CLI's flags map onto, so errors name the flag the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  start_time: '--from',
  end_time: '--to',
  timezone: '--tz',
  project_ids: '--project',
  recipients: '--recipient',
  digest: '--digest',
  time: '--date',
};

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    return usageError(parseErrorMessage(error as Error & { code?: string }));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  let prepared: Awaited<ReturnType<typeof prepare>>;
  try {
    prepared = await prepare(values);
  } catch (error) {
    if (error instanceof InputError) return usageError(inFlagTerms(error.message));
    if (error instanceof ConfigError) return usageError(error.message);
    if (error instanceof UsageError) return usageError(error.message);
    throw error;
  }
  const { request, keySource, baseUrl, concurrency, sender, timeoutMs, thresholds } = prepared;
  const deadline = Date.now() + timeoutMs;
  let adminKey: string | undefined;
  try {
    adminKey = await keySource();
    const usageApi = createUsageApi({ baseUrl, adminKey, concurrency, deadline });
    // Listed alongside the usage queries (no round trip more); kept whole to tell a mistyped
    // --project from a project with no sessions.
    const listing = usageApi.listProjectNames();
    listing.catch(() => {});
    // A progress line redrawn in place is for a person at a terminal; a pipe or a CI log gets none.
    const showProgress = (done: number, total: number) => {
      if (process.stderr.isTTY && total > 2)
        process.stderr.write(`\rfetching usage: ${done}/${total} requests${done === total ? '\n' : ''}`);
    };
    const { result, trend, costUnavailable, limitsUnavailable, monthToDateUnavailable } = await computeReport(
      request,
      usageApi,
      stderrLogger,
      showProgress,
      thresholds,
      listedNames(() => listing),
    );
    const unknown = await unknownProjects(request.projectIds, listing, result.projects);
    if (unknown.length) return usageError(`--project: no project ${unknown.join(', ')} in this organization`);
    const notes = {
      ...(costUnavailable ? { costUnavailable } : {}),
      ...(limitsUnavailable ? { limitsUnavailable } : {}),
      ...(monthToDateUnavailable ? { monthToDateUnavailable } : {}),
      ...(thresholds.alertCostUsd === undefined ? {} : { alertCostUsd: thresholds.alertCostUsd }),
    };
    const digest = renderDigest(result, request.timeZone, trend, notes);
    process.stdout.write(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : formatTable(result, request.timeZone, trend, notes),
    );
    if (values.html) {
      try {
        await writeFile(values.html, digest.html);
      } catch (error) {
        // Sending after a failed write would leave the person thinking both were done.
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        process.stderr.write(
          `error: --html: could not write ${values.html} (${code})${values.send ? '; nothing was sent' : ''}\n`,
        );
        return 1;
      }
    }
    if (values.send && sender) {
      const messageId = await createMailer(new SESClient({}), sender).send(
        digestMessage(digest, request.recipients),
      );
      process.stderr.write(`sent to ${request.recipients.join(', ')} (SES message ${messageId})\n`);
    }
    return 0;
  } catch (error) {
    redactError(error, adminKey ? [adminKey] : []);
    process.stderr.write(`error: ${explain(error)}\n`);
    return 1;
  }
}

/**
 * The --project ids the organization does not have: not in its project list (archived ones
 * included) and without sessions or cost. None when the list could not be read (a warning said so).
 */
async function unknownProjects(
  ids: readonly string[] | undefined,
  listing: Promise<ReadonlyMap<string, string>>,
  rows: readonly { project_id: string | null }[],
): Promise<string[]> {
  if (!ids) return [];
  const known = await listing.catch(() => undefined);
  if (!known) return [];
  const reported = new Set(rows.map((row) => row.project_id));
  return ids.filter((id) => !known.has(id) && !reported.has(id));
}

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  digest: { type: 'string' },
  date: { type: 'string' },
  recipient: { type: 'string', multiple: true },
  tz: { type: 'string' },
  config: { type: 'string' },
  project: { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  send: { type: 'boolean' },
  sender: { type: 'string' },
  'secret-id': { type: 'string' },
  'base-url': { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
}

/** parseArgs's error in one line, naming the nearest option to a mistyped one. */
function parseErrorMessage(error: Error & { code?: string }): string {
  const unknown = /^Unknown option '(-{1,2}[^']+)'/.exec(error.message)?.[1];
  if (error.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || !unknown) return error.message.split('\n')[0] ?? '';
  const nearest = Object.keys(OPTIONS)
    .map((name) => ({ name, distance: editDistance(unknown.replace(/^-+/, ''), name) }))
    .sort((a, b) => a.distance - b.distance)[0];
  return `unknown option ${unknown}${nearest && nearest.distance <= 2 ? ` (did you mean --${nearest.name}?)` : ''}`;
}

/** Levenshtein distance: the fewest single-character edits turning `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

async function prepare(values: ReturnType<typeof parse>['values']) {
  const env = process.env;
  if (values.to?.includes('@')) {
    throw new UsageError(
      `--to is the end of the range; mail ${values.to} with --send --recipient ${values.to}`,
    );
  }
  if (values.to !== undefined && values.from === undefined) throw new UsageError('--to needs --from');
  if (values.from !== undefined && values.date !== undefined)
    throw new UsageError('--date goes with --digest, not --from/--to');
  if (values.from !== undefined && values.digest !== undefined)
    throw new UsageError('--digest reports a scheduled period, --from/--to a range: give one of them');
  const addresses = (values.recipient ?? []).flatMap((list) => list.split(','));
  if (addresses.length && !values.send) throw new UsageError('--recipient goes with --send');
  if (values.send && !addresses.length) throw new UsageError('--send needs --recipient ADDRESS');
  const projectIds = values.project?.split(',').map((id) => id.trim());
  if (projectIds?.includes(''))
    throw new UsageError('--project: empty project id (omit --project to report every project)');
  const now = Math.floor(Date.now() / 1000);
  // Canonical before the period is worked out in it (`europe/berlin` is Europe/Berlin's midnights).
  const [zone, zoneField] =
    values.tz !== undefined
      ? [values.tz, '--tz']
      : env.REPORT_TIMEZONE
        ? [env.REPORT_TIMEZONE, 'REPORT_TIMEZONE']
        : [zoneOfSettings(values.config) ?? 'UTC', 'timezone'];
  const timeZone = parseTimeZone(zone, zoneField);
  const event = {
    ...(values.from !== undefined
      ? { start_time: values.from, end_time: values.to ?? nowOnTheMinute() }
      : periodOf(values.digest, values.date, timeZone, now)),
    timezone: timeZone,
    ...(projectIds ? { project_ids: projectIds } : {}),
    ...(addresses.length ? { recipients: addresses.join(',') } : {}),
  };
  const request = parseEvent(event, { now, timeZone, recipients: [] });
  const settings = access(values, env);
  if (values.html !== undefined) await checkWritable(values.html, values.send === true);
  if (values.send || values['secret-id']) await requireRegion(values.send ? '--send' : '--secret-id');
  return { request, ...settings };
}

/** The settings file's zone; with --config given, the file must be there (then it is read even beside --tz). */
function zoneOfSettings(path: string | undefined): string | undefined {
  try {
    return settingsTimeZone(path);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The `{ digest, time }` of the scheduled run that reports the period holding `date`: the day
 * after it (daily), a day of the following week (weekly), a day of the following month (monthly).
 * parseEvent then computes the period exactly as it does for the schedule's own events.
 */
function periodOf(
  digest: string | undefined,
  date: string | undefined,
  timeZone: string,
  now: number,
): { digest?: string; time?: string } {
  if (date === undefined) return digest === undefined ? {} : { digest };
  if (!parseLocalDate(date)) throw new UsageError(`--date: "${date}" is not a date (YYYY-MM-DD)`);
  const kind = digest ?? 'daily';
  if (!(DIGEST_KINDS as readonly string[]).includes(kind)) return { digest: kind };
  const runDay: Record<DigestKind, LocalDate> = {
    daily: addDays(date, 1),
    weekly: addDays(date, 7),
    // The 1st plus 32 days is always in the next month, whatever the month's length.
    monthly: addDays(`${date.slice(0, 7)}-01`, 32),
  };
  const time = runDay[kind as DigestKind];
  if (startOfLocalDay(time, timeZone) > now) {
    const period = { daily: 'day', weekly: 'week', monthly: 'month' }[kind as DigestKind];
    throw new UsageError(`--date: the ${kind} digest of ${date} can run once that ${period} has ended`);
  }
  return { digest: kind, time };
}

/**
 * Refuses an --html FILE that cannot be written before any request, so a run never fetches, or
 * mails, only to fail at the end.
 */
async function checkWritable(file: string, sending: boolean): Promise<void> {
  const refuse = (why: string) =>
    new UsageError(`--html: cannot write ${file} (${why})${sending ? '; nothing was sent' : ''}`);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) throw refuse('it is a directory');
  try {
    await accessFile(existing ? file : dirname(file), constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw refuse(code === 'ENOENT' ? `no directory ${dirname(file)}` : (code ?? 'not writable'));
  }
}

/** The SDK finds a region in AWS_REGION or the profile; without one, say so before any call. */
async function requireRegion(flag: string): Promise<void> {
  try {
    await new SecretsManagerClient({}).config.region();
  } catch {
    throw new UsageError(
      `${flag} uses AWS, and no AWS region is set: export AWS_REGION=eu-west-1 (the region of your stack), or set one in your AWS profile`,
    );
  }
}

function access(values: ReturnType<typeof parse>['values'], env: NodeJS.ProcessEnv) {
  const timeoutSeconds = Number(values.timeout ?? DEFAULT_TIMEOUT_SECONDS);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError('--timeout must be a positive number of seconds');
  }
  const sender = values.sender ?? env.REPORT_SENDER;
  if (values.send && (!sender || !isEmailAddress(sender)))
    throw new UsageError('--send needs --sender ADDR or REPORT_SENDER');
  return {
    ...adminAccess(values, env),
    thresholds: thresholdsFrom(env),
    timeoutMs: timeoutSeconds * 1000,
    sender,
  };
}

/** The end of a range given only --from: now, on the minute. */
function nowOnTheMinute(): string {
  return String(Math.floor(Date.now() / 60_000) * 60);
}

function inFlagTerms(message: string): string {
  // `digest` and `time` only as the field an error starts with: elsewhere they are plain words.
  return message
    .replace(/^(digest|time):/, (_, field: string) => `${FLAG_OF_FIELD[field]}:`)
    .replace(
      /\b(start_time|end_time|timezone|project_ids|recipients)\b/g,
      (field) => FLAG_OF_FIELD[field] ?? field,
    );
}

/** A usage error: one line a person reads at once, and where the rest is. */
function usageError(message: string): number {
  process.stderr.write(`error: ${message} (see usage-digest --help)\n`);
  return 2;
}

const args = process.argv.slice(2);
// `usage-digest backfill …` is its own command, loaded only when asked for.
(args[0] === 'backfill'
  ? import('./backfill').then((m) => m.backfillCommand(args.slice(1)))
  : main(args)
).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
