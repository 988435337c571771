import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { localDayWindow } from '../../functions/report/core/local-time';
import { Harness, lambdaContext, SAMPLE_LOG, scheduledEvent } from '../support/harness';
import { type LocalS3, startLocalS3 } from '../support/local-s3';

const BUCKET = 'usage-digest-history';
const KEY = 'daily/date=2026-11-22/part-0.parquet';
const EVENT = scheduledEvent('2026-11-23T06:00:00Z');
const [FIRST, SECOND] = SAMPLE_LOG.projects;
const ROUTES = JSON.stringify([
  { name: 'research', project_ids: [FIRST?.id, SECOND?.id] },
  { name: 'first-team', project_ids: [FIRST?.id] },
]);

const harness = new Harness({ idempotency: true });
let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  await harness.start();
  s3 = await startLocalS3(BUCKET);
  // The function's own S3 client finds s3rver through the SDK's standard endpoint variable; the
  // other local services take any key, s3rver only its own.
  Object.assign(process.env, {
    ...s3.env,
  });
  client = new S3Client({ maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await s3.dispose();
  await harness.stop();
});
beforeEach(async () => {
  await harness.ses.clear();
  await harness.clearDeliveryRecords();
  for (const key of await keys()) await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
});

async function keys(): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
}

async function writtenRows(key = KEY) {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const bytes = await object.Body?.transformToByteArray();
  if (!bytes) throw new Error(`no object at ${key}`);
  return parquetReadObjects({ file: bytes.slice().buffer });
}

const handler = (env: Record<string, string> = {}) =>
  harness.handler({ HISTORY_BUCKET: BUCKET, ROUTES, ...env });

describe('Handler: the history of a scheduled daily digest', () => {
  it('writes the report day, every project once, with its routes, beside the email', async () => {
    const result = await handler()(EVENT, lambdaContext());

    expect(await keys()).toEqual([KEY]);
    const rows = await writtenRows();
    const day = localDayWindow('2026-11-22', 'Europe/Berlin');
    expect(
      rows.map((r) => [r.project_id, r.project_name, Number(r.num_sessions), r.code_interpreter_cost_usd]),
    ).toEqual(
      result.projects.map((p) => [p.project_id, p.project_name ?? null, p.num_sessions, p.cost_usd ?? null]),
    );
    expect(rows.reduce((sum, r) => sum + Number(r.num_sessions), 0)).toBe(result.total_sessions);
    // The day's spend over all line items, beside the code interpreter's share of it.
    for (const r of rows)
      expect(r.total_cost_usd).toBeGreaterThanOrEqual(r.code_interpreter_cost_usd as number);
    for (const row of rows) {
      expect(row).toMatchObject({
        date: new Date('2026-11-22T00:00:00Z'),
        time_zone: 'Europe/Berlin',
        start_time: new Date(day.start * 1000),
        end_time: new Date(day.end * 1000),
      });
    }
    const routesOf = (id: string | null | undefined) => rows.find((r) => r.project_id === id)?.routes;
    expect(routesOf(FIRST?.id)).toEqual(['research', 'first-team']);
    expect(routesOf(SECOND?.id)).toEqual(['research']);
    expect(routesOf(null)).toEqual([]);
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it.each([
    ['a dry run', { ...EVENT, dry_run: true }],
    ['a manual range', { start_time: '2026-11-22', end_time: '2026-11-23' }],
    ['a run filtered by project', { ...EVENT, project_ids: [FIRST?.id] }],
    ['a run in another time zone', { ...EVENT, timezone: 'America/New_York' }],
    ['a weekly digest', { ...EVENT, digest: 'weekly' }],
  ])('writes nothing for %s', async (_, event) => {
    await handler()(event, lambdaContext());
    expect(await keys()).toEqual([]);
  });

  it('refuses a HISTORY_BUCKET that is no bucket name, naming the variable, before any call', async () => {
    await expect(handler({ HISTORY_BUCKET: 'Usage_Digest' })(EVENT, lambdaContext())).rejects.toThrow(
      'HISTORY_BUCKET: "Usage_Digest" is not an S3 bucket name',
    );
    expect(await harness.ses.emails()).toHaveLength(0);
  });

  it('writes nothing without HISTORY_BUCKET', async () => {
    await harness.handler({ ROUTES })(EVENT, lambdaContext());
    expect(await keys()).toEqual([]);
  });

  it('fails the run when S3 is down, after the email went; the retry writes the day without a second email', async () => {
    await s3.stop();
    try {
      await expect(handler()(EVENT, lambdaContext(60_000, 'history-1'))).rejects.toThrow(/ECONNREFUSED/);
      expect(await harness.ses.emails()).toHaveLength(1);
    } finally {
      await s3.start();
    }
    expect(await keys()).toEqual([]);

    // Lambda's retry of the same event.
    await handler()(EVENT, lambdaContext(60_000, 'history-1-retry'));
    expect(await keys()).toEqual([KEY]);
    expect((await writtenRows()).length).toBeGreaterThan(0);
    expect(await harness.ses.emails()).toHaveLength(1);
    expect(harness.logs()).toContain('"message":"history not written"');
  });

  it('fails the run when the bucket does not exist, and still sends the email once', async () => {
    const run = handler({ HISTORY_BUCKET: 'no-such-bucket' });
    await expect(run(EVENT, lambdaContext(60_000, 'history-2'))).rejects.toThrow(/bucket does not exist/);
    await expect(run(EVENT, lambdaContext(60_000, 'history-2-retry'))).rejects.toThrow(
      /bucket does not exist/,
    );
    expect(await harness.ses.emails()).toHaveLength(1);
  });

  it('overwrites the day on a second run: still one object', async () => {
    await handler()(EVENT, lambdaContext(60_000, 'history-3'));
    const first = await writtenRows();
    await handler()(EVENT, lambdaContext(60_000, 'history-3-again'));
    expect(await keys()).toEqual([KEY]);
    expect(await writtenRows()).toEqual(first);
  });
});
