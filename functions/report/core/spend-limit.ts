/*
 * Shapes from openai/openai-node (snapshot 7b7d6ca71130d37ec09792c50056b47861f2eccf, 2026-08-21):
 * - src/resources/admin/organization/spend-limit.ts: `GET /organization/spend_limit` → OrganizationSpendLimit
 * - src/resources/admin/organization/projects/spend-limit.ts:
 *   `GET /organization/projects/{project_id}/spend_limit` → ProjectSpendLimit
 * Both read `{ object: 'organization.spend_limit' | 'project.spend_limit', currency: 'USD', interval: 'month',
 * threshold_amount (cents), enforcement: { status: 'inactive' | 'enforcing' } }`; currency, interval and
 * status are typed as open strings (`(string & {}) | 'USD'`), so other values may appear in future.
 */

/** One scope's hard monthly spend limit, as OpenAI reports it. */
export interface SpendLimit {
  /** The limit in USD; null when the scope has none (`threshold_amount: 0`, or not found). */
  readonly limitUsd: number | null;
  /** True when OpenAI is refusing the scope's requests now (`enforcement.status: "enforcing"`). */
  readonly enforcing: boolean;
}

/** A scope without a hard limit. */
export const NO_SPEND_LIMIT: SpendLimit = Object.freeze({ limitUsd: null, enforcing: false });

/** Raised when a spend-limit body is JSON but not a spend limit; `field` names the part that is off. */
export class MalformedSpendLimitError extends Error {
  override name = 'MalformedSpendLimitError';

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * True when an HTTP answer to a spend-limit request means "no limit": a scope without a hard limit
 * may answer 404 instead of `threshold_amount: 0`. Other failures (403, 5xx) are not "no limit".
 */
export function isNoSpendLimitAnswer(status: number): boolean {
  return status === 404;
}

/**
 * Reads one spend-limit body. `threshold_amount` is whole cents (0: no limit) and becomes USD as
 * cents / 100; a fraction of a cent, a negative amount, another currency or interval than USD per
 * month, or an enforcement status that is not a string fails with {@link MalformedSpendLimitError}.
 */
export function parseSpendLimit(body: unknown): SpendLimit {
  if (!isObject(body)) throw new MalformedSpendLimitError('body', 'the spend limit is not an object');
  const object = body.object;
  if (object !== undefined && object !== 'organization.spend_limit' && object !== 'project.spend_limit') {
    throw new MalformedSpendLimitError('object', `object is ${describe(object)}, not a spend limit`);
  }
  const cents = readCents(body.threshold_amount);
  // A limit in another currency or over another interval would make every runway figure wrong.
  if (typeof body.currency !== 'string' || body.currency.toUpperCase() !== 'USD') {
    throw new MalformedSpendLimitError('currency', `currency is ${describe(body.currency)}, not USD`);
  }
  if (body.interval !== 'month') {
    throw new MalformedSpendLimitError('interval', `interval is ${describe(body.interval)}, not month`);
  }
  const enforcement = body.enforcement;
  if (!isObject(enforcement) || typeof enforcement.status !== 'string') {
    throw new MalformedSpendLimitError(
      'enforcement.status',
      `enforcement.status is ${describe(isObject(enforcement) ? enforcement.status : enforcement)}, not a string`,
    );
  }
  return { limitUsd: cents === 0 ? null : cents / 100, enforcing: enforcement.status === 'enforcing' };
}

function readCents(value: unknown): number {
  // Typed as a number, but the Costs API's amounts have arrived as numeric strings although typed as
  // numbers (steipete/CodexBar#999, mozilla/bigquery-etl#9739), so a string of digits is read too.
  const cents = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof cents !== 'number' || !Number.isSafeInteger(cents) || cents < 0) {
    throw new MalformedSpendLimitError(
      'threshold_amount',
      `threshold_amount is ${describe(value)}, not a whole number of cents`,
    );
  }
  return cents;
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
