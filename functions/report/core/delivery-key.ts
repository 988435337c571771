import type { ReportRequest } from './event';

/**
 * What makes two deliveries the same email: everything that changes its content or its readers,
 * and never the event id, which differs per delivery.
 */
export interface DeliveryKey {
  readonly kind: ReportRequest['kind'];
  /** `daily:<date>`, or a manual `idempotency_key`. */
  readonly report: string;
  readonly start_time: number;
  readonly end_time: number;
  readonly time_zone: string;
  /** Sorted; null for every project. */
  readonly project_ids: readonly string[] | null;
  /** Lower-cased and sorted: addresses differing only in case reach the same mailbox. */
  readonly recipients: readonly string[];
  /** The channel, for all but the email (whose key stays as it always was): slack, teams, webhook. */
  readonly channel?: string;
  /** The route (team) whose digest this is; absent for the whole organization's. */
  readonly route?: string;
}

/** The delivery key of a request that is sent once; undefined when it is not (a manual run without a key). */
export function deliveryKey(request: ReportRequest): DeliveryKey | undefined {
  if (request.idempotencyKey === undefined) return undefined;
  return {
    kind: request.kind,
    report: request.idempotencyKey,
    start_time: request.window.start,
    end_time: request.window.end,
    time_zone: request.timeZone,
    project_ids: request.projectIds ? [...request.projectIds].sort() : null,
    recipients: [...new Set(request.recipients.map((r) => r.toLowerCase()))].sort(),
  };
}
