/**
 * The history writer: what the function loads, lazily, through `../history-module`, so that the
 * S3 client and the Parquet writer stay out of runs that write no history.
 */
export { type HistoryRow, historyRows } from '../core/history-rows';
export { encodeHistoryParquet, HISTORY_COLUMNS, HISTORY_PARTITION_KEY, type HistoryColumn } from './parquet';
export {
  createHistoryStore,
  HISTORY_PREFIX,
  type HistoryStore,
  type HistoryStoreOptions,
  historyKey,
} from './store';
