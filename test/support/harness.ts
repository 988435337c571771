import type { Context } from 'aws-lambda';
import { FakeUsageApi, type FakeUsageApiOptions } from '../../dev/fake-usage-api';
import { expectedCostCents, generateSessionLog, type SessionLog } from '../../dev/sample-usage';
import {
  defaultDeps,
  type HandlerDeps,
  makeHandler,
  type ReportHandler,
} from '../../functions/report/handler';
import { startLocalDynamoDb, startLocalSes } from './local-aws';
import { LocalSecretsManager } from './local-secrets-manager';

export const ADMIN_KEY = 'sk-admin-TEST-0123456789abcdefSECRET';
export const SECRET_ID = 'openai/admin-key';
export const SENDER = 'digest@example.com';
export const RECIPIENTS = ['ops@example.com', 'finance@example.com'];
export const IDEMPOTENCY_TABLE = 'usage-digest-idempotency';
/** The tests' "now": Monday 2026-11-23, 07:00 UTC. */
export const NOW = Date.parse('2026-11-23T07:00:00Z');

/** Ninety days of sample usage ending at NOW, shared by every integration test. */
export const SAMPLE_LOG: SessionLog = generateSessionLog({
  from: Date.parse('2026-08-01T00:00:00Z') / 1000,
  to: NOW / 1000,
  projectCount: 12,
});

/**
 * Local stand-ins for everything the function talks to, over their real protocols: the usage API
 * over HTTP, and Secrets Manager, SES and DynamoDB through the real SDK clients via the SDK's
 * standard endpoint variables.
 */
export class Harness {
  usageApi!: FakeUsageApi;
  readonly secrets = new LocalSecretsManager();
  ses!: Awaited<ReturnType<typeof startLocalSes>>;
  dynamodb?: Awaited<ReturnType<typeof startLocalDynamoDb>>;
  /** What the function wrote to stdout and stderr (its logs). */
  readonly output: string[] = [];
  private restoreWrites?: () => void;

  constructor(private readonly options: { idempotency?: boolean } = {}) {}

  async start(api: Partial<FakeUsageApiOptions> = {}): Promise<void> {
    this.usageApi = new FakeUsageApi({ log: SAMPLE_LOG, adminKey: ADMIN_KEY, ...api });
    await this.usageApi.start();
    this.secrets.secrets.set(SECRET_ID, ADMIN_KEY);
    const secretsUrl = await this.secrets.start();
    this.ses = await startLocalSes();
    if (this.options.idempotency) this.dynamodb = await startLocalDynamoDb(IDEMPOTENCY_TABLE);
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SES: this.ses.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsUrl,
      ...(this.dynamodb ? { AWS_ENDPOINT_URL_DYNAMODB: this.dynamodb.url } : {}),
      AWS_LAMBDA_FUNCTION_NAME: 'usage-digest-report',
    });
    this.captureOutput();
  }

  /** A function environment as the stack sets it, plus overrides. */
  env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    return {
      ADMIN_KEY_SECRET_ID: SECRET_ID,
      REPORT_SENDER: SENDER,
      REPORT_RECIPIENTS: RECIPIENTS.join(','),
      REPORT_TIMEZONE: 'Europe/Berlin',
      OPENAI_BASE_URL: this.usageApi.baseUrl,
      USAGE_REQUEST_TIMEOUT_MS: '2000',
      ...(this.dynamodb ? { IDEMPOTENCY_TABLE } : {}),
      ...overrides,
    };
  }

  /** A fresh function instance (a cold start), with the production wiring and the tests' clock. */
  handler(
    envOverrides: Record<string, string | undefined> = {},
    deps: Partial<HandlerDeps> = {},
  ): ReportHandler {
    return makeHandler({ ...defaultDeps(this.env(envOverrides)), now: () => NOW, ...deps });
  }

  async stop(): Promise<void> {
    this.restoreWrites?.();
    await Promise.all([this.usageApi.stop(), this.secrets.stop(), this.ses.stop(), this.dynamodb?.stop()]);
  }

  /** Deletes every delivery record, so the next test starts as if nothing was ever sent. */
  async clearDeliveryRecords(): Promise<void> {
    await this.dynamodb?.clearItems();
  }

  logs(): string {
    return this.output.join('');
  }

  private captureOutput(): void {
    const originals = { out: process.stdout.write, err: process.stderr.write };
    const tap = ((chunk: string | Uint8Array) => {
      this.output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = tap;
    process.stderr.write = tap;
    this.restoreWrites = () => {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    };
  }
}

/** A Lambda context as the runtime passes it; `remainingMs` drives the function's deadline. */
export function lambdaContext(remainingMs = 60_000, requestId = 'req-1'): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'usage-digest-report',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:usage-digest-report',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/usage-digest-report',
    logStreamName: '2026/11/23/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** A scheduled event as EventBridge Scheduler sends it with the stack's input. */
export const scheduledEvent = (time: string) => ({ time });

/** Totals from the sample log, as the result's project rows would carry them (names aside). */
export function expectedRows(start: number, end: number, projectIds?: readonly string[]) {
  const rows: { project_id: string | null; num_sessions: number }[] = [];
  for (const [owner, times] of SAMPLE_LOG.sessions) {
    if (projectIds && (owner === null || !projectIds.includes(owner))) continue;
    let n = 0;
    for (const t of times) if (t >= start && t < end) n++;
    if (n > 0) rows.push({ project_id: owner, num_sessions: n });
  }
  return rows;
}

/** The sample log's exact total over `[start, end)`. */
/** The sample's exact code interpreter cost (USD) over whole UTC days `[start, end)`. */
export function expectedCostUsd(start: number, end: number, projectIds?: readonly string[]): number {
  const cents = [...expectedCostCents(SAMPLE_LOG, start, end, projectIds).values()].reduce(
    (a, b) => a + b,
    0,
  );
  return cents / 100;
}

/** `$6.39`, as the email shows dollars. */
export const usd = (value: number) => `$${value.toFixed(2)}`;

/** The UTC day of a date, as Unix seconds: the cost window of that local date. */
export const utcDay = (date: string) => {
  const start = Date.parse(`${date}T00:00:00Z`) / 1000;
  return { start, end: start + 86_400 };
};

export function expectedTotal(start: number, end: number, projectIds?: readonly string[]): number {
  return expectedRows(start, end, projectIds).reduce((sum, row) => sum + row.num_sessions, 0);
}
