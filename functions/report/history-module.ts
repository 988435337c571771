/**
 * The history writer, loaded on first use: a run without `HISTORY_BUCKET` never loads the S3
 * client or the Parquet writer. Nothing else in the function imports `./history/*`.
 */
export const loadHistory = () => import('./history/index.js');

/** The history module's exports. */
export type HistoryModule = Awaited<ReturnType<typeof loadHistory>>;
