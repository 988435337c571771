import type { ReportConfig } from './config';
import type { ReportRequest } from './core/event';
import { type HistoryRow, historyRows } from './core/history-rows';
import { type LocalDate, localDateOf } from './core/local-time';
import type { ComputedReport } from './run-report';

/** Where a run puts its day: the history store's `writeDay` (one PutObject, overwriting). */
export interface HistoryDayWriter {
  writeDay(date: LocalDate, rows: readonly HistoryRow[]): Promise<void>;
}

/**
 * The history bucket a run writes its day to: scheduled daily digests over every project in the
 * configured zone only. A dry run, a range, a filter, ad-hoc recipients or another zone is not
 * the day's record, and must not overwrite it.
 */
export function historyBucketOf(request: ReportRequest, config: ReportConfig): string | undefined {
  const scheduledDay =
    request.kind === 'daily' &&
    !request.dryRun &&
    request.projectIds === undefined &&
    !request.customRecipients &&
    request.timeZone === config.timeZone;
  return scheduledDay ? config.historyBucket : undefined;
}

/**
 * Writes the report day's rows (every project, each with its routes) to the store; never rejects:
 * its error, if any, as a value, so the run can deliver first and fail after (no unhandled
 * rejection while it waits).
 */
export function writeHistoryDay(
  store: Promise<HistoryDayWriter>,
  request: ReportRequest,
  computed: Pick<ComputedReport, 'result' | 'totalCostByProject'>,
  routes: ReportConfig['routes'],
): Promise<{ readonly error?: unknown }> {
  const { result } = computed;
  const date = localDateOf(result.start_time, request.timeZone);
  return store
    .then((writer) =>
      writer.writeDay(
        date,
        historyRows({
          result,
          timeZone: request.timeZone,
          date,
          totalCostByProject: computed.totalCostByProject ?? null,
          routes,
        }),
      ),
    )
    .then(
      () => ({}),
      (error: unknown) => ({ error }),
    );
}
