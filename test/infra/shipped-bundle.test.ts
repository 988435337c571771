import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import {
  ADMIN_KEY,
  expectedCostUsd,
  expectedTotal,
  Harness,
  IDEMPOTENCY_TABLE,
  usd,
  utcDay,
} from '../support/harness';
import { HoldingProxy } from '../support/holding-proxy';
import { type LocalS3, startLocalS3 } from '../support/local-s3';
import { LocalRuntimeApi } from '../support/runtime-api';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE_22 = join(ROOT, 'node_modules', '.bin', 'node');
/** Built by `npm test` first (`npm run lambda-runtime`) where a C++ toolchain exists. */
const RIC_DIR = join(ROOT, 'test', 'lambda-runtime', 'node_modules', 'aws-lambda-ric');
const RIC = join(RIC_DIR, 'index.mjs');
const RIC_BUILT = existsSync(join(RIC_DIR, 'rapid-client.node'));
const NOT_BUILT =
  "Lambda's runtime client (aws-lambda-ric) is not built on this machine: it needs cmake, make and g++; install them, then `npm run lambda-runtime`";
const CONTEXT = [
  '-c',
  'sender=digest@example.com',
  '-c',
  'recipients=ops@example.com,finance@example.com',
  '-c',
  'timezone=Europe/Berlin',
  // The whole asset: the history writer ships beside index.mjs (a nested key, as a user types it).
  '-c',
  'history.retentionDays=30',
];
const HISTORY_BUCKET = 'usage-digest-history';

interface FunctionResource {
  Properties: { Handler: string; Runtime: string; Environment: { Variables: Record<string, unknown> } };
  Metadata: { 'aws:asset:path': string };
}

/** A runtime process: Node.js 22 running aws-lambda-ric on the bundle, as Lambda starts one. */
interface RuntimeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

describe('The Lambda runtime client', () => {
  it('is built, so the shipped bundle runs as Lambda runs it (a machine without a compiler skips it)', (ctx) => {
    if (RIC_BUILT) return;
    if (process.env.CI === 'true') throw new Error(`CI=true must run the shipped-bundle test: ${NOT_BUILT}`);
    console.warn(`SKIPPED the shipped-bundle test: ${NOT_BUILT}.`);
    ctx.skip(`skipped the shipped-bundle test: ${NOT_BUILT}`);
  });
});

/**
 * Synthesizes the app through the CDK CLI, as `cdk deploy` would, and runs the bundle it produced
 * (not the TypeScript source) under Node.js 22 with aws-lambda-ric, Lambda's own runtime client,
 * against the local fakes.
 */
describe.runIf(RIC_BUILT)('The shipped bundle', () => {
  const harness = new Harness({ idempotency: true });
  const runtime = new LocalRuntimeApi();
  const outdir = mkdtempSync(join(tmpdir(), 'usage-digest-cdk-'));
  const processes: RuntimeProcess[] = [];
  let runtimeApi: string;
  let environment: Record<string, string>;
  let fn: FunctionResource;
  let bundleDir: string;
  let s3: LocalS3;

  /** Starts a runtime process polling `api`; extra variables override the template's. */
  function startRuntime(api: string, overrides: Record<string, string | undefined> = {}): RuntimeProcess {
    let output = '';
    const child = spawn(NODE_22, [RIC, fn.Properties.Handler], {
      cwd: bundleDir,
      env: {
        PATH: process.env.PATH,
        ...environment,
        ...harness.env(),
        REPORT_TIMEZONE: environment.REPORT_TIMEZONE,
        AWS_LAMBDA_RUNTIME_API: api,
        LAMBDA_TASK_ROOT: bundleDir,
        _HANDLER: fn.Properties.Handler,
        AWS_LAMBDA_FUNCTION_NAME: 'UsageDigest-ReportFunction',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: '/usage-digest/UsageDigest/report',
        AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/23/[$LATEST]local',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_REGION: 'eu-west-1',
        // s3rver's one account; the other fakes take any key.
        ...s3.env,
        AWS_ENDPOINT_URL_SES: process.env.AWS_ENDPOINT_URL_SES,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
        AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB,
        ...overrides,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const started = { child, exited, output: () => output };
    processes.push(started);
    return started;
  }

  beforeAll(async () => {
    // The contract's `-c` keys over an empty settings file: a developer's own file must not leak in.
    const config = join(outdir, 'empty.config.json');
    writeFileSync(config, '{}');
    await promisify(execFile)(
      'npx',
      ['cdk', 'synth', '--quiet', '-o', outdir, '-c', `config=${config}`, ...CONTEXT],
      {
        cwd: ROOT,
        timeout: 180_000,
      },
    );
    const template = JSON.parse(readFileSync(join(outdir, 'UsageDigest.template.json'), 'utf8'));
    fn = Object.values(template.Resources as Record<string, { Type: string }>).find(
      (r) => r.Type === 'AWS::Lambda::Function',
    ) as unknown as FunctionResource;
    bundleDir = join(outdir, fn.Metadata['aws:asset:path']);

    await harness.start();
    s3 = await startLocalS3(HISTORY_BUCKET);
    runtimeApi = await runtime.start();
    // The template's environment, with the table and bucket references resolved to the local ones.
    const local: Record<string, string> = { IDEMPOTENCY_TABLE, HISTORY_BUCKET };
    environment = Object.fromEntries(
      Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : (local[k] ?? `unresolved ${k}`),
      ]),
    );
    const main = startRuntime(runtimeApi);
    void main.exited.then((code) => runtime.abort(`the runtime exited (${code}):\n${main.output()}`));
  }, 240_000);

  afterAll(async () => {
    for (const { child } of processes) child.kill('SIGKILL');
    await runtime.stop();
    await harness.stop();
    await s3?.dispose();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('is one minified ESM file for Node.js 22 holding only what a run calls', () => {
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    // The history writer is a file of its own (ESM by its package.json), loaded by the runs that
    // write history only; without the `history` setting it is not there (test/infra/history.test.ts).
    expect(readdirSync(bundleDir).sort()).toEqual(['history', 'index.mjs']);
    expect(readdirSync(join(bundleDir, 'history')).sort()).toEqual(['index.js', 'package.json']);
    expect(bundle).toContain('import("./history/index.js")');
    expect(bundle).not.toContain('PutObjectCommand');
    // Nothing Node.js would read before the first line runs, nor comments it would parse.
    expect(bundle).not.toContain('sourceMappingURL');
    expect(bundle).not.toMatch(/\/\*!|@license|@preserve/);
    // Credentials from the environment only: none of the default chain's other providers.
    expect(bundle).toContain('AWS_SECRET_ACCESS_KEY');
    for (const provider of ['fromSSO', 'fromIni', 'fromProcess', 'fromTokenFile', 'fromInstanceMetadata']) {
      expect(bundle).not.toContain(provider);
    }
    expect(bundle).not.toContain('EventStreamCodec');
    // Names kept, so errors and stack frames read as in the source.
    expect(bundle).toMatch(/"InputError"/);
    // 421 KB on 2026-12-05: the SDK clients and Powertools are ~330 KB of it, our own code ~90 KB
    // (limits and budgets added ~30 KB). A jump past this cap is a dependency pulled in by mistake.
    expect(Buffer.byteLength(bundle)).toBeLessThan(440 * 1024);
  });

  it('calls only the SES operation its role grants', () => {
    const bundle = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(bundle).toContain('SendRawEmail');
    expect(bundle).not.toMatch(/["']SendEmail["']/);
  });

  it('reports a manual range exactly and mails it, through the Runtime API', async () => {
    const day = localDayWindow('2026-11-20', 'Europe/Berlin');
    const outcome = await runtime.invoke({ start_time: '2026-11-20', end_time: '2026-11-21' });
    expect(outcome.ok).toBe(true);
    const result = (
      outcome as { result: { total_sessions: number; start_time: number; total_cost_usd: number } }
    ).result;
    expect(result.start_time).toBe(day.start);
    expect(result.total_sessions).toBe(expectedTotal(day.start, day.end));
    const cost = expectedCostUsd(utcDay('2026-11-20').start, utcDay('2026-11-20').end);
    expect(result.total_cost_usd).toBeCloseTo(cost, 6);
    const emails = await harness.ses.emails();
    expect(emails.map((e) => e.subject)).toEqual([
      `Code interpreter sessions 2026-11-20 (Europe/Berlin): ${result.total_sessions.toLocaleString('en-US')} · ${usd(cost)}`,
    ]);
  });

  it("writes a scheduled daily digest's day to S3 as Parquet, through the history module beside index.mjs", async () => {
    // Scheduled at 07:00 Berlin on the 25th: the digest of the 24th.
    const outcome = await runtime.invoke({ time: '2026-11-25T06:00:00Z' });
    expect(outcome.ok).toBe(true);
    const client = new S3Client({ endpoint: s3.url, region: 'eu-west-1', credentials: s3.credentials });
    try {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: HISTORY_BUCKET, Prefix: 'daily/' }),
      );
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['daily/date=2026-11-24/part-0.parquet']);
      const object = await client.send(
        new GetObjectCommand({ Bucket: HISTORY_BUCKET, Key: 'daily/date=2026-11-24/part-0.parquet' }),
      );
      const bytes = (await object.Body?.transformToByteArray()) as Uint8Array;
      const rows = (await parquetReadObjects({
        file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      })) as { time_zone: string; num_sessions: bigint }[];
      const day = localDayWindow('2026-11-24', 'Europe/Berlin');
      expect(rows.every((r) => r.time_zone === 'Europe/Berlin')).toBe(true);
      expect(rows.reduce((sum, r) => sum + Number(r.num_sessions), 0)).toBe(
        expectedTotal(day.start, day.end),
      );
    } finally {
      client.destroy();
    }
  });

  it('answers bad input with a named error and mails nothing', async () => {
    await harness.ses.clear();
    const outcome = await runtime.invoke({ start_time: '2026-11-20', end_time: 'tomorrow-ish' });
    expect(outcome).toEqual({
      ok: false,
      error: expect.objectContaining({
        errorType: 'InputError',
        errorMessage: expect.stringContaining('end_time'),
      }),
    });
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('redacts the key from an error the API echoes, in what the runtime reports', async () => {
    harness.usageApi.inject('usage', { kind: 'echo-auth' });
    const outcome = await runtime.invoke({ start_time: '2026-11-20', end_time: '2026-11-21' });
    expect(outcome.ok).toBe(false);
    const reported = JSON.stringify(outcome);
    expect(reported).toContain('Bearer [redacted]');
    expect(reported).not.toContain(ADMIN_KEY);
  });

  it('never writes the admin key to its logs', () => {
    const output = processes[0]?.output() ?? '';
    expect(output).toContain('report done');
    expect(output).toContain('Bearer [redacted]');
    expect(output).not.toContain(ADMIN_KEY);
    expect(runtime.initErrors).toEqual([]);
  });

  it('never loses the day to a crash while SES holds the request: retried, it sends exactly one email', async () => {
    await harness.ses.clear();
    const ses = new HoldingProxy(process.env.AWS_ENDPOINT_URL_SES as string);
    const sesUrl = await ses.start();
    const crashApi = new LocalRuntimeApi();
    const api = await crashApi.start();
    const event = { time: '2026-11-23T06:00:00Z' };
    try {
      // 1. The first delivery writes its in-progress record, calls SES, and dies before SES answers.
      ses.hold = true;
      const doomed = startRuntime(api, { AWS_ENDPOINT_URL_SES: sesUrl });
      // Long enough to leave the usage fetch time after the 30 s the function keeps for delivery.
      const deadline = Date.now() + 40_000;
      const first = crashApi.invoke(event, 40_000);
      await ses.heldRequest();
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      ses.dropHeld();
      crashApi.abort('killed');
      expect(await first).toMatchObject({ ok: false, error: { errorType: 'RuntimeExited' } });
      ses.hold = false;

      // 2. A retry at once finds the record in progress: an error, so Lambda retries again; no email.
      const fresh = startRuntime(api, { AWS_ENDPOINT_URL_SES: sesUrl });
      expect(await crashApi.invoke(event)).toMatchObject({
        ok: false,
        error: { errorType: 'DeliveryInProgressError' },
      });
      expect(await harness.ses.emails()).toHaveLength(0);

      // 3. A retry after the dead invocation's deadline takes over the expired record and sends.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now() + 1_500)));
      expect(await crashApi.invoke(event)).toMatchObject({ ok: true });
      // 4. Any later delivery finds it sent.
      expect(await crashApi.invoke(event)).toMatchObject({ ok: true });
      expect(await harness.ses.emails()).toHaveLength(1);
      expect(fresh.output()).not.toContain(ADMIN_KEY);
    } finally {
      await crashApi.stop();
      await ses.stop();
    }
  }, 120_000);
});
