// No import: the stack reads these at synth without loading the Parquet writer.

/** One column of the history table, as the Glue table declares it. */
export interface HistoryColumn {
  readonly name: string;
  /** The column's type in Glue's (Hive's) type language. */
  readonly glueType: string;
}

/**
 * The Glue table's partition key: the path's `date=YYYY-MM-DD`. A string, as Athena's own
 * partition projection examples declare a `date`-projected key; queries `CAST("date" AS DATE)`.
 * (The Parquet file carries `date` too, as a DATE, for readers of a single file.)
 */
export const HISTORY_PARTITION_KEY: HistoryColumn = { name: 'date', glueType: 'string' };

/**
 * The Glue table's columns, in the files' order, without the partition key `date`: Glue refuses a
 * column that repeats a partition key's name. Each matches the Parquet type `encodeHistoryParquet` writes.
 */
export const HISTORY_COLUMNS: readonly HistoryColumn[] = [
  { name: 'time_zone', glueType: 'string' },
  { name: 'start_time', glueType: 'timestamp' },
  { name: 'end_time', glueType: 'timestamp' },
  { name: 'project_id', glueType: 'string' },
  { name: 'project_name', glueType: 'string' },
  { name: 'num_sessions', glueType: 'bigint' },
  { name: 'code_interpreter_cost_usd', glueType: 'double' },
  { name: 'total_cost_usd', glueType: 'double' },
  { name: 'unusual_reason', glueType: 'string' },
  { name: 'routes', glueType: 'array<string>' },
];
