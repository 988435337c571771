import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryRow } from '../../functions/report/core/history-rows';
import { loadHistory } from '../../functions/report/history-module';
import { type LocalS3, startLocalS3 } from '../support/local-s3';

const BUCKET = 'usage-digest-history';
const HOSTILE = `Ünïcødé "quoted", 'single'; DROP TABLE daily; -- \\ \n\t 🎉 ${'x'.repeat(300)}`;

const day = (date: string, overrides: Partial<HistoryRow> = {}): HistoryRow => {
  const start = Date.parse(`${date}T00:00:00+01:00`) / 1000;
  return {
    date,
    time_zone: 'Europe/Berlin',
    start_time: start,
    end_time: start + 86_400,
    project_id: 'proj_a',
    project_name: 'Alpha',
    num_sessions: 120,
    code_interpreter_cost_usd: 3.6,
    total_cost_usd: 12.345678,
    unusual_reason: 'spike',
    routes: ['research', 'alpha-team'],
    ...overrides,
  };
};

const ROWS: HistoryRow[] = [
  day('2026-11-22'),
  day('2026-11-22', {
    project_id: 'proj_b',
    project_name: HOSTILE,
    num_sessions: 0,
    code_interpreter_cost_usd: 0,
    total_cost_usd: 2.5,
    unusual_reason: null,
    routes: [],
  }),
  day('2026-11-22', {
    project_id: null,
    project_name: null,
    num_sessions: 9_007_199_254,
    code_interpreter_cost_usd: null,
    total_cost_usd: null,
    unusual_reason: null,
    routes: [],
  }),
];

describe('Module: history writer', () => {
  let s3: LocalS3;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3(BUCKET);
    // The store's own client finds the server through the SDK's standard endpoint variable.
    Object.assign(process.env, {
      ...s3.env,
      AWS_REGION: 'eu-west-1',
    });
    client = new S3Client({});
  });
  afterAll(async () => {
    client.destroy();
    await s3.dispose();
  });

  const keys = async () => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'daily/' }));
    return (listed.Contents ?? []).map((o) => o.Key);
  };
  const readBack = async (key: string) => {
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    if (!bytes) throw new Error(`no body at ${key}`);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return { file, contentType: object.ContentType };
  };

  it('names one key per day under daily/, as the Glue table partitions it', async () => {
    const { historyKey } = await loadHistory();
    expect(historyKey('2026-03-09')).toBe('daily/date=2026-03-09/part-0.parquet');
  });

  it('writes a day as one Parquet object that reads back with exact rows and types', async () => {
    const { createHistoryStore } = await loadHistory();
    await createHistoryStore({ bucket: BUCKET }).writeDay('2026-11-22', ROWS);

    expect(await keys()).toEqual(['daily/date=2026-11-22/part-0.parquet']);
    const { file, contentType } = await readBack('daily/date=2026-11-22/part-0.parquet');
    expect(contentType).toBe('application/vnd.apache.parquet');
    const rows = await parquetReadObjects({ file });
    expect(rows).toEqual(
      ROWS.map((r) => ({
        ...r,
        date: new Date(`${r.date}T00:00:00Z`),
        start_time: new Date(r.start_time * 1000),
        end_time: new Date(r.end_time * 1000),
        num_sessions: BigInt(r.num_sessions),
        routes: [...r.routes],
      })),
    );
    const schema = parquetMetadata(file).schema.map((e) => ({
      name: e.name,
      type: e.type,
      converted_type: e.converted_type,
      repetition_type: e.repetition_type,
    }));
    expect(schema).toEqual([
      { name: 'root', type: undefined, converted_type: undefined, repetition_type: undefined },
      { name: 'date', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
      { name: 'time_zone', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'start_time', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
      { name: 'end_time', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'REQUIRED' },
      { name: 'project_id', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'project_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'num_sessions', type: 'INT64', converted_type: undefined, repetition_type: 'REQUIRED' },
      {
        name: 'code_interpreter_cost_usd',
        type: 'DOUBLE',
        converted_type: undefined,
        repetition_type: 'OPTIONAL',
      },
      { name: 'total_cost_usd', type: 'DOUBLE', converted_type: undefined, repetition_type: 'OPTIONAL' },
      { name: 'unusual_reason', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'routes', type: undefined, converted_type: 'LIST', repetition_type: 'REQUIRED' },
      { name: 'list', type: undefined, converted_type: undefined, repetition_type: 'REPEATED' },
      { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    ]);
  });

  it('overwrites the same key on a retry: still one object, holding the last rows', async () => {
    const { createHistoryStore } = await loadHistory();
    const store = createHistoryStore({ bucket: BUCKET, client });
    await store.writeDay('2026-11-22', ROWS);
    await store.writeDay('2026-11-22', ROWS.slice(0, 1));

    expect(await keys()).toEqual(['daily/date=2026-11-22/part-0.parquet']);
    const { file } = await readBack('daily/date=2026-11-22/part-0.parquet');
    expect((await parquetReadObjects({ file })).map((r) => r.project_id)).toEqual(['proj_a']);
  });

  it('writes a day without usage as a file with no rows, so the day counts as written', async () => {
    const { createHistoryStore } = await loadHistory();
    const store = createHistoryStore({ bucket: BUCKET, client });
    await store.writeDay('2026-11-23', []);

    const { file } = await readBack('daily/date=2026-11-23/part-0.parquet');
    expect(await parquetReadObjects({ file })).toEqual([]);
  });

  it('lists the days written between two dates, both included, past a page of keys', async () => {
    const { createHistoryStore, historyKey } = await loadHistory();
    // Keys outside the pattern and outside the range are not days of the range.
    const extra = ['daily/date=2026-12-01/part-0.parquet', 'daily/date=2026-11-30/other.txt', 'daily/README'];
    for (const key of extra) {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    }
    for (let d = 1; d <= 21; d++) {
      const date = `2026-11-${String(d).padStart(2, '0')}`;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: historyKey(date), Body: 'x' }));
    }
    const store = createHistoryStore({ bucket: BUCKET, client, pageSize: 5 });

    const days = await store.writtenDays('2026-11-20', '2026-11-30');
    expect([...days].sort()).toEqual(['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23']);
    const all = await store.writtenDays('2026-10-01', '2026-12-31');
    expect(all.size).toBe(24);
  });

  it('fails the write when the bucket does not exist', async () => {
    const { createHistoryStore } = await loadHistory();
    await expect(
      createHistoryStore({ bucket: 'no-such-bucket', client }).writeDay('2026-11-22', ROWS),
    ).rejects.toThrow(/bucket/i);
  });
});
