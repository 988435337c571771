import { parquetWriteBuffer, type SchemaElement } from 'hyparquet-writer';
import type { HistoryRow } from '../core/history-rows';

export { HISTORY_COLUMNS, HISTORY_PARTITION_KEY, type HistoryColumn } from './columns';

const DAY_MS = 86_400_000;

const text = (name: string, nullable: boolean): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
  repetition_type: nullable ? 'OPTIONAL' : 'REQUIRED',
});
// Millisecond timestamps in UTC: what Athena's Parquet reader and DuckDB both read as a timestamp.
const timestamp = (name: string): SchemaElement => ({
  name,
  type: 'INT64',
  converted_type: 'TIMESTAMP_MILLIS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
  repetition_type: 'REQUIRED',
});
const double = (name: string): SchemaElement => ({ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' });

/** The files' schema: the standard three-level LIST for `routes`, so Athena's `array<string>` reads it. */
const SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 11 },
  {
    name: 'date',
    type: 'INT32',
    converted_type: 'DATE',
    logical_type: { type: 'DATE' },
    repetition_type: 'REQUIRED',
  },
  text('time_zone', false),
  timestamp('start_time'),
  timestamp('end_time'),
  text('project_id', true),
  text('project_name', true),
  { name: 'num_sessions', type: 'INT64', repetition_type: 'REQUIRED' },
  double('code_interpreter_cost_usd'),
  double('total_cost_usd'),
  text('unusual_reason', true),
  {
    name: 'routes',
    converted_type: 'LIST',
    logical_type: { type: 'LIST' },
    repetition_type: 'REQUIRED',
    num_children: 1,
  },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  {
    name: 'element',
    type: 'BYTE_ARRAY',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
    repetition_type: 'REQUIRED',
  },
];

/** One day's rows as a Parquet file (SNAPPY, one row group), in the schema `HISTORY_COLUMNS` declares. */
export function encodeHistoryParquet(rows: readonly HistoryRow[]): Uint8Array {
  const column = <T>(name: string, value: (row: HistoryRow) => T) => ({ name, data: rows.map(value) });
  const buffer = parquetWriteBuffer({
    schema: SCHEMA,
    columnData: [
      column('date', (r) => Date.parse(`${r.date}T00:00:00Z`) / DAY_MS),
      column('time_zone', (r) => r.time_zone),
      column('start_time', (r) => BigInt(r.start_time) * 1000n),
      column('end_time', (r) => BigInt(r.end_time) * 1000n),
      column('project_id', (r) => r.project_id),
      column('project_name', (r) => r.project_name),
      column('num_sessions', (r) => BigInt(r.num_sessions)),
      column('code_interpreter_cost_usd', (r) => r.code_interpreter_cost_usd),
      column('total_cost_usd', (r) => r.total_cost_usd),
      column('unusual_reason', (r) => r.unusual_reason),
      column('routes', (r) => [...r.routes]),
    ],
    createdBy: 'usage-digest',
  });
  return new Uint8Array(buffer);
}
