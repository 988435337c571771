#!/usr/bin/env node
/**
 * Ad-hoc reports from a terminal, through the same code as the Lambda:
 *   npx usage-digest --from 2026-11-01 --to 2026-11-08 --tz Europe/Berlin
 * stdout carries only the report (a table, or JSON with --json); progress and errors go to stderr.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { createAdminKeySource } from '../functions/report/adapters/admin-key';
import { createMailer } from '../functions/report/adapters/mailer';
import { createUsageApi } from '../functions/report/adapters/usage-api';
import {
  checkBaseUrl,
  DEFAULT_BASE_URL,
  DEFAULT_CONCURRENCY,
  thresholdsFrom,
} from '../functions/report/config';
import { isEmailAddress, parseEvent } from '../functions/report/core/event';
import { digestMessage, renderDigest } from '../functions/report/core/render';
import {
  awsSetupAdvice,
  ConfigError,
  InputError,
  ReportError,
  redactError,
  rootCause,
} from '../functions/report/errors';
import { computeReport, stderrLogger } from '../functions/report/run-report';
import { formatTable } from './terminal-table';

/** How long a terminal run may take before it fails rather than waits (e.g. on a long Retry-After). */
const DEFAULT_TIMEOUT_SECONDS = 600;

const USAGE = `Usage: usage-digest [options]
       (in this repository: npx usage-digest …, or npm run -s report -- …)

Reports OpenAI code interpreter sessions per project for a range (default: yesterday).

Range
  --from DATE|DATETIME|UNIX   start, inclusive (a bare date is local midnight in --tz)
  --to DATE|DATETIME|UNIX     end, exclusive (default: now)
  --tz ZONE                   IANA time zone (default: REPORT_TIMEZONE or UTC)
  --project ID[,ID…]          only these projects

Output
  --json                      print the result as JSON instead of a table (nothing else on stdout)
  --html FILE                 also write the email's HTML to FILE
  --send                      mail the digest through Amazon SES (needs AWS_REGION and credentials)
  --recipient ADDR[,ADDR…]    who --send mails (repeatable)
  --sender ADDR               the From address (default: REPORT_SENDER)

Access
  OPENAI_ADMIN_KEY            the organization admin key, from the environment, or
  --secret-id NAME            read it from AWS Secrets Manager (needs AWS_REGION and credentials)
  --base-url URL              usage API (default: OPENAI_BASE_URL or ${DEFAULT_BASE_URL})
  --concurrency N             requests in flight (default: ${DEFAULT_CONCURRENCY})
  --timeout SECONDS           give up after this long, retries included (default: ${DEFAULT_TIMEOUT_SECONDS})

Unusual (daily reports): UNUSUAL_FACTOR (default 3), UNUSUAL_MIN_SESSIONS (default 50),
ALERT_COST_USD (off unless set), as the function reads them.

Exit codes: 0 done, 1 the run failed, 2 bad arguments.

Examples
  npx usage-digest --from 2026-11-01 --to 2026-11-08 --tz Europe/Berlin
  npx usage-digest --from 2026-11-01 --json | jq '.projects[:3]'
  npx usage-digest --secret-id openai/admin-key --send --recipient ops@example.com --sender digest@example.com
`;

class UsageError extends Error {}

/** The event fields the CLI's flags map onto, so errors name the flag the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  start_time: '--from',
  end_time: '--to',
  timezone: '--tz',
  project_ids: '--project',
  recipients: '--recipient',
};

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
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
    // A progress line redrawn in place is for a person at a terminal; a pipe or a CI log gets none.
    const showProgress = (done: number, total: number) => {
      if (process.stderr.isTTY && total > 2)
        process.stderr.write(`\rfetching usage: ${done}/${total} requests${done === total ? '\n' : ''}`);
    };
    const { result, trend, costUnavailable } = await computeReport(
      request,
      usageApi,
      stderrLogger,
      showProgress,
      thresholds,
    );
    const notes = {
      ...(costUnavailable ? { costUnavailable } : {}),
      ...(thresholds.alertCostUsd === undefined ? {} : { alertCostUsd: thresholds.alertCostUsd }),
    };
    const digest = renderDigest(result, request.timeZone, trend, notes);
    process.stdout.write(
      values.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : formatTable(result, request.timeZone, trend, notes),
    );
    if (values.html) await writeFile(values.html, digest.html);
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      recipient: { type: 'string', multiple: true },
      tz: { type: 'string' },
      project: { type: 'string' },
      json: { type: 'boolean' },
      html: { type: 'string' },
      send: { type: 'boolean' },
      sender: { type: 'string' },
      'secret-id': { type: 'string' },
      'base-url': { type: 'string' },
      concurrency: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

async function prepare(values: ReturnType<typeof parse>['values']) {
  const env = process.env;
  if (values.to?.includes('@')) {
    throw new UsageError(
      `--to is the end of the range; mail ${values.to} with --send --recipient ${values.to}`,
    );
  }
  if (values.to !== undefined && values.from === undefined) throw new UsageError('--to needs --from');
  const addresses = (values.recipient ?? []).flatMap((list) => list.split(','));
  if (addresses.length && !values.send) throw new UsageError('--recipient goes with --send');
  if (values.send && !addresses.length) throw new UsageError('--send needs --recipient ADDRESS');
  const event = {
    ...(values.from !== undefined
      ? { start_time: values.from, end_time: values.to ?? nowOnTheMinute() }
      : {}),
    ...(values.tz ? { timezone: values.tz } : {}),
    ...(values.project ? { project_ids: values.project.split(',').map((id) => id.trim()) } : {}),
    ...(addresses.length ? { recipients: addresses.join(',') } : {}),
  };
  const request = parseEvent(event, {
    now: Math.floor(Date.now() / 1000),
    timeZone: env.REPORT_TIMEZONE || 'UTC',
    recipients: [],
  });
  const settings = access(values, env);
  if (values.send || values['secret-id']) await requireRegion(values.send ? '--send' : '--secret-id');
  return { request, ...settings };
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

/** The error in a sentence that says what to do; SDK errors never reach the user without one. */
function explain(error: unknown): string {
  if (error instanceof ReportError) return error.message;
  const root = rootCause(error) as Error;
  const said = `${root.name}: ${root.message}`;
  const advice = awsSetupAdvice(error);
  return advice ? `${advice} (${said})` : said;
}

function access(values: ReturnType<typeof parse>['values'], env: NodeJS.ProcessEnv) {
  const concurrency = Number(values.concurrency ?? DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError('--concurrency must be a whole number from 1 to 32');
  }
  const secretId = values['secret-id'];
  const envKey = env.OPENAI_ADMIN_KEY?.trim();
  if (!secretId && !envKey)
    throw new UsageError('no admin key: set OPENAI_ADMIN_KEY or pass --secret-id NAME');
  const keySource = secretId
    ? createAdminKeySource(new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }), secretId)
    : async () => envKey as string;
  const timeoutSeconds = Number(values.timeout ?? DEFAULT_TIMEOUT_SECONDS);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    throw new UsageError('--timeout must be a positive number of seconds');
  }
  const sender = values.sender ?? env.REPORT_SENDER;
  if (values.send && (!sender || !isEmailAddress(sender)))
    throw new UsageError('--send needs --sender ADDR or REPORT_SENDER');
  return {
    keySource,
    thresholds: thresholdsFrom(env),
    baseUrl: values['base-url']
      ? checkBaseUrl(values['base-url'], '--base-url')
      : checkBaseUrl(env.OPENAI_BASE_URL || DEFAULT_BASE_URL, 'OPENAI_BASE_URL'),
    concurrency,
    timeoutMs: timeoutSeconds * 1000,
    sender,
  };
}

/** The end of a range given only --from: now, on the minute. */
function nowOnTheMinute(): string {
  return String(Math.floor(Date.now() / 60_000) * 60);
}

function inFlagTerms(message: string): string {
  return message.replace(
    /\b(start_time|end_time|timezone|project_ids|recipients)\b/g,
    (field) => FLAG_OF_FIELD[field] ?? field,
  );
}

function usageError(message: string): number {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
