import { PutObjectCommand, paginateListObjectsV2, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { HistoryRow } from '../core/history-rows';
import type { LocalDate } from '../core/local-time';
import { encodeHistoryParquet } from './parquet';

/** Where every day's file lives; the Glue table's location and the function's only writable prefix. */
export const HISTORY_PREFIX = 'daily/';

const KEY_PATTERN = /^daily\/date=(\d{4}-\d{2}-\d{2})\/part-0\.parquet$/;

/** `daily/date=YYYY-MM-DD/part-0.parquet`: one object per day, which a retry overwrites. */
export function historyKey(date: LocalDate): string {
  return `${HISTORY_PREFIX}date=${date}/part-0.parquet`;
}

/** The history bucket, one Parquet object per day. */
export interface HistoryStore {
  /** Writes the day's rows over whatever the day held (PutObject replaces the object whole). */
  writeDay(date: LocalDate, rows: readonly HistoryRow[]): Promise<void>;
  /** The days from `from` to `to` (both included) that already have their object. */
  writtenDays(from: LocalDate, to: LocalDate): Promise<Set<LocalDate>>;
}

export interface HistoryStoreOptions {
  readonly bucket: string;
  /** Default: a client of its own, its endpoint from the SDK's standard `AWS_ENDPOINT_URL_S3`. */
  readonly client?: S3Client;
  /** For the client of its own; the SDK's default chain when absent. */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Keys per ListObjectsV2 page. @default 1000 (the API's maximum) */
  readonly pageSize?: number;
}

/** The history store over S3. */
export function createHistoryStore(options: HistoryStoreOptions): HistoryStore {
  const { bucket } = options;
  let client = options.client;
  const s3 = () => {
    client ??= new S3Client(options.credentials ? { credentials: options.credentials } : {});
    return client;
  };
  return {
    async writeDay(date, rows) {
      await s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: historyKey(date),
          Body: encodeHistoryParquet(rows),
          ContentType: 'application/vnd.apache.parquet',
        }),
      );
    },
    async writtenDays(from, to) {
      const days = new Set<LocalDate>();
      // Keys list in UTF-8 binary order, which for these keys is date order: start at `from`, stop past `to`.
      const pages = paginateListObjectsV2(
        { client: s3(), pageSize: options.pageSize ?? 1000 },
        { Bucket: bucket, Prefix: HISTORY_PREFIX, StartAfter: `${HISTORY_PREFIX}date=${from}` },
      );
      for await (const page of pages) {
        for (const { Key } of page.Contents ?? []) {
          const date = Key === undefined ? undefined : KEY_PATTERN.exec(Key)?.[1];
          if (date === undefined) continue;
          if (date > to) return days;
          if (date >= from) days.add(date);
        }
      }
      return days;
    },
  };
}
