/** One bucket's rows, normalised from either spelling the API has used. */
export interface UsageBucket {
  readonly start_time: number;
  readonly end_time: number;
  readonly results: readonly UsageRow[];
}

export interface UsageRow {
  /** null: usage not attributed to any project. */
  readonly project_id: string | null;
  readonly num_sessions: number;
}

export interface UsagePage {
  readonly buckets: readonly UsageBucket[];
  readonly hasMore: boolean;
  readonly nextPage: string | null;
}

/** Raised when a body is JSON but not a usage page; the message says which part is off. */
export class MalformedPageError extends Error {
  override name = 'MalformedPageError';
}

/**
 * Validates a usage page. Rows may sit in `results` or (older spec) `result`, and count in
 * `num_sessions` or (older spec) `sessions`.
 */
export function parseUsagePage(body: unknown): UsagePage {
  if (!isObject(body) || !Array.isArray(body.data)) throw new MalformedPageError('page has no data array');
  const buckets = body.data.map((bucket, index): UsageBucket => {
    if (!isObject(bucket)) throw new MalformedPageError(`data[${index}] is not a bucket`);
    const rows = bucket.results ?? bucket.result;
    if (!Number.isInteger(bucket.start_time) || !Number.isInteger(bucket.end_time) || !Array.isArray(rows)) {
      throw new MalformedPageError(`data[${index}] lacks start_time, end_time or results`);
    }
    return {
      start_time: bucket.start_time as number,
      end_time: bucket.end_time as number,
      results: rows.map((row, rowIndex) => parseRow(row, `data[${index}].results[${rowIndex}]`)),
    };
  });
  const hasMore = body.has_more === true;
  const nextPage = typeof body.next_page === 'string' && body.next_page !== '' ? body.next_page : null;
  return { buckets, hasMore, nextPage };
}

function parseRow(row: unknown, where: string): UsageRow {
  if (!isObject(row)) throw new MalformedPageError(`${where} is not an object`);
  // A count that is absent or unreadable is refused, never read as 0: an understated digest is worse than none.
  const field = 'num_sessions' in row ? 'num_sessions' : 'sessions' in row ? 'sessions' : undefined;
  if (field === undefined) throw new MalformedPageError(`${where}.num_sessions is missing`);
  const count = row[field];
  if (!Number.isSafeInteger(count) || (count as number) < 0) {
    throw new MalformedPageError(
      `${where}.${field} is ${JSON.stringify(count) ?? String(count)}, not a whole number of sessions`,
    );
  }
  const projectId = row.project_id ?? null;
  if (projectId !== null && typeof projectId !== 'string') {
    throw new MalformedPageError(`${where}.project_id is not a string`);
  }
  return { project_id: projectId === '' ? null : projectId, num_sessions: count as number };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
