import { addDays, localDateOf, type Window } from './local-time';
import { MalformedPageError } from './usage-page';

const DAY = 86_400;
/** The Costs API's page size limit, in daily buckets. */
export const MAX_COST_BUCKETS = 180;

/** Code interpreter's line item, however the Costs API capitalises it ("Code Interpreter sessions"). */
export function isCodeInterpreterLine(lineItem: string | null): boolean {
  // Stryker disable next-line ConditionalExpression: test(null) reads "null", which never matches either
  return lineItem !== null && /code interpreter/i.test(lineItem);
}

/**
 * The cost window of a report: the Costs API has only whole UTC days, so a report's cost covers the
 * UTC days whose dates are the report's local dates (21 Nov in New York → 21 Nov UTC).
 */
export function costWindowOf(window: Window, timeZone: string): Window {
  const first = localDateOf(window.start, timeZone);
  const last = localDateOf(window.end - 1, timeZone);
  const start = Date.parse(`${first}T00:00:00Z`) / 1000;
  const end = Date.parse(`${addDays(last, 1)}T00:00:00Z`) / 1000;
  return { start, end };
}

/** A cost query: whole UTC days, at most MAX_COST_BUCKETS of them, so one page answers it. */
export interface CostQuery {
  readonly start: number;
  readonly end: number;
  readonly limit: number;
}

/** The cost window in chunks the API answers in one page each, to run at once. */
export function planCostQueries(window: Window): CostQuery[] {
  const queries: CostQuery[] = [];
  for (let start = window.start; start < window.end; start += MAX_COST_BUCKETS * DAY) {
    const end = Math.min(window.end, start + MAX_COST_BUCKETS * DAY);
    queries.push({ start, end, limit: (end - start) / DAY });
  }
  return queries;
}

export interface CostResult {
  readonly project_id: string | null;
  readonly line_item: string | null;
  /** The key the cost was spent through, when the query groups by `api_key_id` (null: none, or unknown). */
  readonly api_key_id?: string | null;
  /** USD. */
  readonly value: number;
}

export interface CostBucket {
  readonly start_time: number;
  readonly end_time: number;
  readonly results: readonly CostResult[];
}

export interface CostPage {
  readonly buckets: readonly CostBucket[];
  readonly hasMore: boolean;
  readonly nextPage: string | null;
}

/**
 * A Costs API page, checked: `amount.value` arrives as a number or a numeric string (both taken),
 * anything else fails naming the field; amounts in another currency than USD fail too. Every line
 * is checked; only code interpreter lines are kept (a year of pages is 100,000 lines, most of them
 * models), unless `keepLine` keeps others (a runway's few weeks need every line's amount).
 */
export function parseCostPage(
  body: unknown,
  keepLine: (lineItem: string | null) => boolean = isCodeInterpreterLine,
): CostPage {
  const page = body as { data?: unknown; has_more?: unknown; next_page?: unknown };
  if (!page || typeof page !== 'object' || !Array.isArray(page.data)) {
    throw new MalformedPageError('the page has no data array');
  }
  const buckets = page.data.map((raw, i): CostBucket => {
    const bucket = raw as { start_time?: unknown; end_time?: unknown; results?: unknown; result?: unknown };
    const where = `data[${i}]`;
    if (!Number.isInteger(bucket?.start_time) || !Number.isInteger(bucket?.end_time)) {
      throw new MalformedPageError(`${where} has no whole start_time and end_time`);
    }
    const rows = bucket.results ?? bucket.result ?? [];
    if (!Array.isArray(rows)) throw new MalformedPageError(`${where}.results is not an array`);
    const results: CostResult[] = [];
    rows.forEach((row, j) => {
      const result = parseCostResult(row, i, j, keepLine);
      if (result) results.push(result);
    });
    return { start_time: bucket.start_time as number, end_time: bucket.end_time as number, results };
  });
  return {
    buckets,
    hasMore: page.has_more === true,
    nextPage: typeof page.next_page === 'string' && page.next_page !== '' ? page.next_page : null,
  };
}

/** Row `j` of bucket `i`, checked; undefined for a line `keepLine` does not keep. */
function parseCostResult(
  raw: unknown,
  i: number,
  j: number,
  keepLine: (lineItem: string | null) => boolean,
): CostResult | undefined {
  const row = (raw ?? {}) as {
    amount?: { value?: unknown; currency?: unknown };
    line_item?: unknown;
    project_id?: unknown;
    api_key_id?: unknown;
  };
  const value = row.amount?.value;
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isFinite(number)) {
    throw new MalformedPageError(
      `${rowPath(i, j)}.amount.value is ${value === undefined ? 'missing' : JSON.stringify(value)}, not a number`,
    );
  }
  // Stryker disable next-line OptionalChaining: without an amount the value check above has thrown
  const currency = row.amount?.currency;
  if (typeof currency !== 'string' || (currency !== 'usd' && currency.toLowerCase() !== 'usd')) {
    throw new MalformedPageError(`${rowPath(i, j)}.amount.currency is ${JSON.stringify(currency)}, not usd`);
  }
  const project = row.project_id;
  if (project !== null && project !== undefined && typeof project !== 'string') {
    throw new MalformedPageError(`${rowPath(i, j)}.project_id is not a string`);
  }
  const key = row.api_key_id;
  if (key !== null && key !== undefined && typeof key !== 'string') {
    throw new MalformedPageError(`${rowPath(i, j)}.api_key_id is not a string`);
  }
  const line = typeof row.line_item === 'string' ? row.line_item : null;
  if (!keepLine(line)) return undefined;
  // Only rows grouped by key carry one: a year of other rows stays three fields each.
  return key === undefined
    ? { project_id: project ?? null, line_item: line, value: number }
    : { project_id: project ?? null, line_item: line, api_key_id: key, value: number };
}

/** Where row `j` of bucket `i` is, named only in an error: no closure per row (a year of pages holds 100,000). */
function rowPath(i: number, j: number): string {
  return `data[${i}].results[${j}]`;
}

/**
 * Code interpreter cost per project over the cost window, summed as pages arrive. A day's rows may
 * continue on the next page (a large organization has more projects × line items than a page
 * holds), so rows merge as usage rows do: keyed by UTC day, project and line item, a row seen before
 * with the same amount is dropped, with another amount fails, and a new row adds. A bucket outside
 * the window or not one UTC day fails, and so does a sum past what a number holds.
 */
export class CostTally {
  /** Per project, or per API key (null: none) for the keys behind a spike. */
  private readonly costs = new Map<string | null, number>();
  /** The code interpreter line item names each project's rows carried, as the API spells them. */
  private readonly lines = new Map<string | null, Set<string>>();
  /**
   * Amounts counted so far, by bucket start, line item and project: the guard against repeats. No
   * key string built per row: a year of 60 projects is 22,000 rows.
   */
  private readonly seen = new Map<number, Map<string, Map<string | null, number>>>();

  constructor(
    private readonly window: Window,
    private readonly by: 'project_id' | 'api_key_id' = 'project_id',
  ) {}

  addPage(buckets: readonly CostBucket[]): void {
    const byKey = this.by === 'api_key_id';
    const label = (id: string | null) => (byKey ? `key ${id ?? 'none'}` : `project ${id ?? 'unattributed'}`);
    for (const bucket of buckets) {
      const day = new Date(bucket.start_time * 1000).toISOString().slice(0, 10);
      if (bucket.end_time - bucket.start_time !== DAY || bucket.start_time % DAY !== 0) {
        throw new MalformedPageError(`the cost bucket starting ${day} is not one UTC day`);
      }
      if (bucket.start_time < this.window.start || bucket.end_time > this.window.end) {
        throw new MalformedPageError(`the cost bucket ${day} is outside the requested days`);
      }
      let lines = this.seen.get(bucket.start_time);
      if (!lines) {
        lines = new Map();
        this.seen.set(bucket.start_time, lines);
      }
      for (const row of bucket.results) {
        if (!isCodeInterpreterLine(row.line_item)) continue;
        const lineItem = row.line_item as string;
        let rows = lines.get(lineItem);
        if (!rows) {
          rows = new Map();
          lines.set(lineItem, rows);
        }
        const id = byKey ? (row.api_key_id ?? null) : row.project_id;
        const before = rows.get(id);
        if (before !== undefined) {
          if (before === row.value) continue;
          throw new MalformedPageError(
            `the cost bucket ${day} repeats ${label(id)}, line item ${JSON.stringify(row.line_item)}, with $${row.value} after $${before}`,
          );
        }
        rows.set(id, row.value);
        let names = this.lines.get(id);
        if (!names) {
          names = new Set();
          this.lines.set(id, names);
        }
        names.add(lineItem);
        const sum = (this.costs.get(id) ?? 0) + row.value;
        if (!Number.isFinite(sum)) {
          throw new MalformedPageError(
            `the cost of ${label(id)} is past what a number holds after the cost bucket ${day}`,
          );
        }
        this.costs.set(id, sum);
      }
    }
  }

  /** USD per project (null: unattributed), or per key (null: none), rounded to a millionth of a dollar. */
  perProject(): Map<string | null, number> {
    return new Map([...this.costs].map(([id, usd]) => [id, roundUsd(usd)]));
  }

  /** {@link perProject} of a tally by API key: USD per key id (null: cost tied to no key). */
  perKey(): Map<string | null, number> {
    return this.perProject();
  }

  /**
   * The exact code interpreter line item names each project's rows carried (sorted): what a later
   * query of the same days passes as `line_items` to ask for those lines alone.
   */
  lineItems(): Map<string | null, readonly string[]> {
    return new Map([...this.lines].map(([id, names]) => [id, [...names].sort()]));
  }
}

/** Dollars to a millionth: sums of decimal amounts in binary floating point, made stable. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

const USD_AMOUNT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/**
 * `$1,234.57`, or `−$1.50` for a credit (U+2212 before the dollar sign). Amounts under a cent show
 * as `<$0.01`, credits under a cent as `−<$0.01`: money did move, so never `$0.00`; zero (and the
 * `-0` that rounding a tiny credit gives) is `$0.00`. Throws a RangeError for Infinity or NaN:
 * the sums refuse those first (SumOverflowError), so reaching here is a bug, never `$∞`.
 */
export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`${value} is not an amount of dollars`);
  const sign = value < 0 ? '−' : '';
  const size = Math.abs(value);
  if (size > 0 && size < 0.005) return `${sign}<$0.01`;
  return `${sign}$${USD_AMOUNT.format(size)}`;
}
