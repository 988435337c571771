import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BackfillResult } from '../../functions/report/backfill';
import { datesOf } from '../../functions/report/core/backfill-event';
import { addDays } from '../../functions/report/core/local-time';
import { InputError } from '../../functions/report/errors';
import { SEND_RESERVE_MS } from '../../functions/report/handler';
import { createHistoryStore } from '../../functions/report/history/index';
import { countWaves } from '../../scripts/bench-cases';
import { ADMIN_KEY, Harness, lambdaContext, SAMPLE_LOG, scheduledEvent } from '../support/harness';
import { type LocalS3, startLocalS3 } from '../support/local-s3';

const ROOT = join(import.meta.dirname, '..', '..');
const BUCKET = 'usage-digest-backfill';
/** Where the daily digests under comparison write, beside the backfill's bucket. */
const DAILY_BUCKET = 'usage-digest-daily';
const [FIRST, SECOND] = SAMPLE_LOG.projects;
const ROUTES = [
  { name: 'research', project_ids: [FIRST?.id, SECOND?.id] },
  { name: 'first-team', project_ids: [FIRST?.id] },
];
/** Low enough that the sample's busier projects reach it on some days: the `cost` reason. */
const ALERT_COST_USD = 1.5;
/** Low enough that a weekday after a weekend is a spike on its 7 days' mean: the mean must be right. */
const UNUSUAL = { factor: 1.3, minSessions: 5 };
/** The function's environment for the same settings as the settings file. */
const SETTINGS_ENV = {
  ROUTES: JSON.stringify(ROUTES),
  ALERT_COST_USD: String(ALERT_COST_USD),
  UNUSUAL_FACTOR: String(UNUSUAL.factor),
  UNUSUAL_MIN_SESSIONS: String(UNUSUAL.minSessions),
};

const harness = new Harness();
let s3: LocalS3;
let client: S3Client;
let settingsFile: string;

beforeAll(async () => {
  await harness.start();
  s3 = await startLocalS3(BUCKET);
  Object.assign(process.env, {
    ...s3.env,
  });
  client = new S3Client({ maxAttempts: 1 });
  await client.send(new CreateBucketCommand({ Bucket: DAILY_BUCKET }));
  settingsFile = join(mkdtempSync(join(tmpdir(), 'usage-digest-settings-')), 'usage-digest.config.json');
  writeFileSync(
    settingsFile,
    JSON.stringify({
      timezone: 'Europe/Berlin',
      routes: ROUTES,
      alertCostUsd: ALERT_COST_USD,
      unusualFactor: UNUSUAL.factor,
      unusualMinSessions: UNUSUAL.minSessions,
    }),
  );
}, 30_000);
afterAll(async () => {
  client.destroy();
  await s3.dispose();
  await harness.stop();
});
beforeEach(async () => {
  harness.usageApi.reset();
  harness.usageApi.configure({ latencyMs: 0 });
  for (const bucket of [BUCKET, DAILY_BUCKET]) {
    for (const key of await keys(bucket))
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
});

async function keys(bucket = BUCKET): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
}

const keyOf = (date: string) => `daily/date=${date}/part-0.parquet`;
const keysOf = (from: string, to: string) => datesOf({ from, to }).map(keyOf);

async function objectBytes(key: string, bucket = BUCKET): Promise<Uint8Array> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = await object.Body?.transformToByteArray();
  if (!bytes) throw new Error(`no object at ${key}`);
  return bytes;
}

async function rowsOf(date: string, bucket = BUCKET) {
  const bytes = await objectBytes(keyOf(date), bucket);
  return parquetReadObjects({ file: bytes.slice().buffer });
}

/** Marks days as written by something else, to see whether a run writes them again. */
const MARKER = 'written before';
async function mark(dates: readonly string[]): Promise<void> {
  for (const date of dates) {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: keyOf(date), Body: MARKER }));
  }
}
const holdsMarker = async (date: string) =>
  Buffer.from(await objectBytes(keyOf(date))).toString('utf8') === MARKER;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A user's shell for the command: the admin key, the fake API, and a region and account for s3rver. */
const cliEnv = (): Record<string, string | undefined> => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  OPENAI_ADMIN_KEY: ADMIN_KEY,
  OPENAI_BASE_URL: harness.usageApi.baseUrl,
  AWS_REGION: 'eu-west-1',
  ...s3.env,
});

/** `usage-digest backfill ARGS` as a user runs it from source, against the fake API and s3rver. */
function backfill(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const cli = [
    '--import',
    pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
    join(ROOT, 'cli', 'report.ts'),
    'backfill',
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...cli, ...args],
      {
        cwd: ROOT,
        env: { ...cliEnv(), ...env },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** An S3 client that remembers the name of every command it sends, over the real protocol. */
function recordingClient(): { client: S3Client; commands: string[] } {
  const commands: string[] = [];
  const recording = new S3Client({ maxAttempts: 1 });
  recording.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName as string);
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client: recording, commands };
}

/** The function, its history in BUCKET through `s3Client`, with the tests' settings. */
function invokeHandler(s3Client: S3Client) {
  return harness.handler(
    { HISTORY_BUCKET: BUCKET, ...SETTINGS_ENV },
    { historyStore: async (bucket) => createHistoryStore({ bucket, client: s3Client }) },
  );
}

describe('Backfill: usage-digest backfill', () => {
  it('writes each day exactly as the daily digest of that day writes it (Berlin, over the DST change)', async () => {
    // Prepare: 22–27 Oct 2026 in Berlin; the clocks go back on the 25th (a 25-hour day).
    const [from, to] = ['2026-10-22', '2026-10-28'];
    // Act
    const run = await backfill(['--from', from, '--to', to, '--bucket', BUCKET, '--config', settingsFile]);
    // Assess
    expect(run.stderr).toBe(
      `backfill: wrote 6 day(s) to s3://${BUCKET}/daily/ (2026-10-22 to 2026-10-27, Europe/Berlin)\n`,
    );
    expect(run).toMatchObject({ code: 0, stdout: '' });
    expect((await keys()).sort()).toEqual(keysOf(from, to));
    const daily = harness.handler({ HISTORY_BUCKET: DAILY_BUCKET, ...SETTINGS_ENV });
    const reasons = new Set<unknown>();
    for (const date of datesOf({ from, to })) {
      await daily(scheduledEvent(`${addDays(date, 1)}T05:00:00Z`), lambdaContext());
      const expected = await rowsOf(date, DAILY_BUCKET);
      expect(expected.length).toBeGreaterThan(5);
      expect(await rowsOf(date), date).toEqual(expected);
      for (const row of expected) reasons.add(row.unusual_reason);
    }
    // The comparison covers what matters: cost, total spend, routes and an unusual reason.
    expect(reasons).toContain('cost');
    expect(reasons).toContain('spike');
    const sample = await rowsOf('2026-10-22');
    expect(sample.find((r) => r.project_id === FIRST?.id)?.routes).toEqual(['research', 'first-team']);
    expect(sample.some((r) => (r.total_cost_usd as number) > (r.code_interpreter_cost_usd as number))).toBe(
      true,
    );
  }, 60_000);

  it('fetches 62 days in two chunks, each one wave: usage with the 7 days before, costs, and the names once', async () => {
    // Prepare: long enough that no request of a wave is answered before the wave's last is sent.
    harness.usageApi.configure({ latencyMs: 150 });
    // Act
    const run = await backfill([
      '--from',
      '2026-08-10',
      '--to',
      '2026-10-11',
      '--bucket',
      BUCKET,
      '--tz',
      'UTC',
    ]);
    // Assess
    expect(run).toMatchObject({ code: 0 });
    expect(await keys()).toHaveLength(62);
    const requests = harness.usageApi.requests;
    expect(countWaves(requests)).toBe(2);
    expect(requests.filter((r) => r.path.endsWith('/projects'))).toHaveLength(1);
    const utc = (date: string) => String(Date.parse(`${date}T00:00:00Z`) / 1000);
    const windows = (path: string) =>
      requests
        .filter((r) => r.path.endsWith(path))
        .map((r) => [r.params.get('start_time'), r.params.get('end_time')])
        .sort();
    // Each chunk's cost days: its own, grouped two ways (code interpreter lines, and every line).
    expect(windows('/costs')).toEqual([
      [utc('2026-08-10'), utc('2026-09-10')],
      [utc('2026-08-10'), utc('2026-09-10')],
      [utc('2026-09-10'), utc('2026-10-11')],
      [utc('2026-09-10'), utc('2026-10-11')],
    ]);
    // Each chunk's usage: its 31 days and the 7 before, in whole UTC days (31 a page).
    expect(windows('/code_interpreter_sessions')).toEqual([
      [utc('2026-08-03'), utc('2026-09-03')],
      [utc('2026-09-03'), utc('2026-09-10')],
      [utc('2026-09-03'), utc('2026-10-04')],
      [utc('2026-10-04'), utc('2026-10-11')],
    ]);
  }, 60_000);

  it('resumes after an interruption: the second run writes only the days the first did not', async () => {
    // Prepare: the second chunk's first usage query fails for good (a 400 is not retried).
    harness.usageApi.inject('usage', { kind: 'pass' }, { kind: 'pass' }, { kind: 'status', status: 400 });
    const args = ['--from', '2026-08-10', '--to', '2026-10-11', '--bucket', BUCKET, '--tz', 'UTC'];
    // Act
    const first = await backfill(args);
    // Assess: the first chunk is written, and the error says how to go on.
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /^error: the usage API answered HTTP 400.*; 31 day\(s\) written, not all from 2026-09-10 on \(run the same command again to continue: days already written are skipped\)\n$/,
    );
    expect((await keys()).sort()).toEqual(keysOf('2026-08-10', '2026-09-10'));
    // Act: the days written are marked, so a second write of any of them would show.
    await mark(datesOf({ from: '2026-08-10', to: '2026-09-10' }));
    harness.usageApi.reset();
    const second = await backfill(args);
    // Assess
    expect(second.code).toBe(0);
    expect(second.stderr).toBe(
      `backfill: wrote 31 day(s) to s3://${BUCKET}/daily/ (2026-08-10 to 2026-10-10, UTC); 31 already written, skipped\n`,
    );
    expect((await keys()).sort()).toEqual(keysOf('2026-08-10', '2026-10-11'));
    for (const date of datesOf({ from: '2026-08-10', to: '2026-09-10' }))
      expect(await holdsMarker(date)).toBe(true);
    for (const date of datesOf({ from: '2026-09-10', to: '2026-10-11' })) {
      expect((await rowsOf(date)).length, date).toBeGreaterThan(0);
    }
    // Only the missing days' usage (and the 7 days before them) was asked for.
    const starts = harness.usageApi.usageRequests().map((r) => Number(r.params.get('start_time')));
    expect(Math.min(...starts)).toBe(Date.parse('2026-09-03T00:00:00Z') / 1000);
  }, 60_000);

  it('rewrites the days already written with --overwrite', async () => {
    await mark(['2026-08-10', '2026-08-11']);
    const run = await backfill([
      '--from',
      '2026-08-10',
      '--to',
      '2026-08-13',
      '--bucket',
      BUCKET,
      '--tz',
      'UTC',
      '--overwrite',
    ]);
    expect(run.code).toBe(0);
    for (const date of ['2026-08-10', '2026-08-11', '2026-08-12']) {
      expect(await holdsMarker(date)).toBe(false);
      expect((await rowsOf(date))[0]).toMatchObject({
        date: new Date(`${date}T00:00:00Z`),
        time_zone: 'UTC',
      });
    }
  }, 60_000);

  it('says which bucket is missing, and that nothing was written', async () => {
    const listing = await backfill([
      '--from',
      '2026-08-10',
      '--to',
      '2026-08-12',
      '--bucket',
      'no-such-bucket',
    ]);
    expect(listing.code).toBe(1);
    expect(listing.stderr).toBe('error: NoSuchBucket: The specified bucket does not exist\n');
    // Without a listing (--overwrite), the first write fails the same way, after the fetch.
    const writing = await backfill([
      ...['--from', '2026-08-10', '--to', '2026-08-12'],
      '--bucket',
      'no-such-bucket',
      '--overwrite',
    ]);
    expect(writing.code).toBe(1);
    expect(writing.stderr).toMatch(
      /^error: NoSuchBucket: The specified bucket does not exist; 0 day\(s\) written, not all from 2026-08-10 on \(run the same command again/,
    );
  }, 30_000);

  it.runIf(existsSync('/usr/bin/script'))(
    'shows a progress line on a terminal (a pty from script)',
    async () => {
      const cli = [
        process.execPath,
        '--import',
        pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
        join(ROOT, 'cli', 'report.ts'),
        'backfill',
        '--from',
        '2026-08-10',
        '--to',
        '2026-10-11',
        '--bucket',
        BUCKET,
        '--tz',
        'UTC',
      ];
      const command = cli.map((word) => `'${word}'`).join(' ');
      const run = await new Promise<Run>((resolve) =>
        execFile(
          '/usr/bin/script',
          ['-qec', command, '/dev/null'],
          {
            cwd: ROOT,
            env: cliEnv(),
          },
          (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
        ),
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('backfill: 62 of 62 days to write in 2 wave(s)');
      expect(run.stdout).toContain('\rbackfill: 31/62 days written, through 2026-09-09');
      expect(run.stdout).toContain('\rbackfill: 62/62 days written, through 2026-10-10\r\n');
    },
    60_000,
  );
});

describe('Backfill: the invoke { "backfill": { start_time, end_time } }', () => {
  it('writes every day of its range with PutObject alone, listing nothing, days written before included', async () => {
    // Prepare
    await mark(['2026-09-01']);
    const { client: s3Client, commands } = recordingClient();
    // Act
    const result = (await invokeHandler(s3Client)(
      { backfill: { start_time: '2026-09-01', end_time: '2026-09-05' } },
      lambdaContext(),
    )) as unknown as BackfillResult;
    // Assess
    expect(result).toEqual({
      backfill: {
        start_time: '2026-09-01',
        end_time: '2026-09-05',
        time_zone: 'Europe/Berlin',
        days_written: 4,
      },
    });
    expect(new Set(commands)).toEqual(new Set(['PutObjectCommand']));
    expect(commands).toHaveLength(4);
    expect((await keys()).sort()).toEqual(keysOf('2026-09-01', '2026-09-05'));
    expect(await holdsMarker('2026-09-01')).toBe(false);
    expect((await rowsOf('2026-09-01')).find((r) => r.project_id === FIRST?.id)?.routes).toEqual([
      'research',
      'first-team',
    ]);
  });

  it.each([
    [
      { backfill: { start_time: '2026-09-01T12:00', end_time: '2026-09-05' } },
      /^backfill\.start_time: must be a local midnight in Europe\/Berlin/,
    ],
    [{ backfill: { start_time: '2026-09-01' } }, /^backfill\.end_time: is required/],
    [{ backfill: { start_time: '2026-09-01', end_time: 'soon' } }, /^backfill\.end_time: /],
    [
      { backfill: { start_time: '2026-09-01', end_time: '2026-09-05', overwrite: true } },
      /^backfill\.overwrite: is not a field/,
    ],
  ])('refuses %j naming the field, before any call', async (event, message) => {
    const { client: s3Client, commands } = recordingClient();
    const failure = await invokeHandler(s3Client)(event, lambdaContext()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as Error).message).toMatch(message);
    expect(harness.usageApi.requests).toEqual([]);
    expect(commands).toEqual([]);
  });

  it('needs HISTORY_BUCKET, and says so before any call', async () => {
    const failure = await harness
      .handler({ ...SETTINGS_ENV })(
        { backfill: { start_time: '2026-09-01', end_time: '2026-09-05' } },
        lambdaContext(),
      )
      .catch((error: unknown) => error as Error);
    expect((failure as Error).message).toMatch(
      /^HISTORY_BUCKET: not set; a backfill writes the history bucket/,
    );
    expect(harness.usageApi.requests).toEqual([]);
  });

  it('stops before the function times out, naming the event that writes the rest', async () => {
    // Prepare: a chunk takes over half a second; one second is left beyond the reserve.
    harness.usageApi.configure({ latencyMs: 500 });
    const { client: s3Client } = recordingClient();
    // Act
    const failure = await invokeHandler(s3Client)(
      { backfill: { start_time: '2026-08-10', end_time: '2026-10-11' } },
      lambdaContext(SEND_RESERVE_MS + 1_000),
    ).catch((error: unknown) => error as Error);
    // Assess
    expect((failure as Error).message).toMatch(
      /^stopped before the time left \(\d s\) ran out: a chunk takes up to \d s; 31 day\(s\) written, not all from 2026-09-10 on: invoke again with \{"backfill":\{"start_time":"2026-09-10","end_time":"2026-10-11"\}\} to write the rest$/,
    );
    expect((await keys()).sort()).toEqual(keysOf('2026-08-10', '2026-09-10'));
  }, 30_000);
});
