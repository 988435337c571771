import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import { ADMIN_KEY, expectedTotal, Harness, IDEMPOTENCY_TABLE } from '../support/harness';
import { LocalRuntimeApi } from '../support/runtime-api';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE_22 = join(ROOT, 'node_modules', '.bin', 'node');
const RIC = join(ROOT, 'node_modules', 'aws-lambda-ric', 'index.mjs');
const CONTEXT = [
  '-c',
  'sender=digest@example.com',
  '-c',
  'recipients=ops@example.com,finance@example.com',
  '-c',
  'timezone=Europe/Berlin',
];

interface FunctionResource {
  Properties: { Handler: string; Runtime: string; Environment: { Variables: Record<string, unknown> } };
  Metadata: { 'aws:asset:path': string };
}

/**
 * Synthesizes the app through the CDK CLI, as `cdk deploy` would, and runs the bundle it produced
 * (not the TypeScript source) under Node.js 22 with aws-lambda-ric, Lambda's own runtime client,
 * against the local fakes.
 */
describe('The shipped bundle', () => {
  const harness = new Harness({ idempotency: true });
  const runtime = new LocalRuntimeApi();
  const outdir = mkdtempSync(join(tmpdir(), 'usage-digest-cdk-'));
  let child: ChildProcess;
  let output = '';
  let fn: FunctionResource;
  let bundleDir: string;

  beforeAll(async () => {
    await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '-o', outdir, ...CONTEXT], {
      cwd: ROOT,
      timeout: 180_000,
    });
    const template = JSON.parse(readFileSync(join(outdir, 'UsageDigest.template.json'), 'utf8'));
    fn = Object.values(template.Resources as Record<string, { Type: string }>).find(
      (r) => r.Type === 'AWS::Lambda::Function',
    ) as unknown as FunctionResource;
    bundleDir = join(outdir, fn.Metadata['aws:asset:path']);

    await harness.start();
    const runtimeApi = await runtime.start();
    // The template's environment, with the table reference resolved to the local table.
    const environment = Object.fromEntries(
      Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : IDEMPOTENCY_TABLE,
      ]),
    );
    child = spawn(NODE_22, [RIC, fn.Properties.Handler], {
      cwd: bundleDir,
      env: {
        PATH: process.env.PATH,
        ...environment,
        ...harness.env(),
        REPORT_TIMEZONE: environment.REPORT_TIMEZONE,
        AWS_LAMBDA_RUNTIME_API: runtimeApi,
        LAMBDA_TASK_ROOT: bundleDir,
        _HANDLER: fn.Properties.Handler,
        AWS_LAMBDA_FUNCTION_NAME: 'UsageDigest-ReportFunction',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_LOG_GROUP_NAME: '/usage-digest/UsageDigest/report',
        AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/23/[$LATEST]local',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_SES: process.env.AWS_ENDPOINT_URL_SES,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
        AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    child.on('exit', (code) => runtime.abort(`the runtime exited (${code}):\n${output}`));
  }, 240_000);

  afterAll(async () => {
    child?.kill();
    await runtime.stop();
    await harness.stop();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('is one minified ESM file with its source map, for Node.js 22', () => {
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(existsSync(join(bundleDir, 'index.mjs'))).toBe(true);
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
    const size = readFileSync(join(bundleDir, 'index.mjs')).length;
    expect(size).toBeLessThan(1_000_000);
  });

  it('reports a manual range exactly and mails it, through the Runtime API', async () => {
    const day = localDayWindow('2026-11-20', 'Europe/Berlin');
    const outcome = await runtime.invoke({ start_time: '2026-11-20', end_time: '2026-11-21' });
    expect(outcome.ok).toBe(true);
    const result = (outcome as { result: { total_sessions: number; start_time: number } }).result;
    expect(result.start_time).toBe(day.start);
    expect(result.total_sessions).toBe(expectedTotal(day.start, day.end));
    const emails = await harness.ses.emails();
    expect(emails.map((e) => e.subject)).toEqual([
      `Code interpreter sessions 2026-11-20 (Europe/Berlin): ${result.total_sessions.toLocaleString('en-US')}`,
    ]);
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

  it('never writes the admin key to its logs', () => {
    expect(output).toContain('report done');
    expect(output).not.toContain(ADMIN_KEY);
    expect(runtime.initErrors).toEqual([]);
  });
});
