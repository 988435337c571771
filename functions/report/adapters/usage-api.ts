import { setTimeout as sleep } from 'node:timers/promises';
import type { UsageQuery } from '../core/plan';
import { redactSecrets } from '../core/redact';
import { MalformedPageError, parseUsagePage, type UsageBucket, type UsagePage } from '../core/usage-page';
import { AuthError, PaginationError, UsageApiError } from '../errors';

export interface UsageApiOptions {
  /** e.g. `https://api.openai.com/v1` */
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly fetch?: typeof fetch;
  /** Requests in flight at once across all queries. */
  readonly concurrency?: number;
  /** Attempts per request, the first included. */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  /** Epoch ms after which no request starts and no retry is scheduled. */
  readonly deadline?: number;
  /** Told about every request and retry (for logs). */
  readonly onEvent?: (event: UsageApiEvent) => void;
}

export type UsageApiEvent =
  | { readonly type: 'request'; readonly path: string; readonly attempt: number }
  | {
      readonly type: 'retry';
      readonly path: string;
      readonly attempt: number;
      readonly delayMs: number;
      readonly reason: string;
    };

/** Where pages go as they arrive (the core's UsageTally); it may throw a MalformedPageError. */
export interface UsageSink {
  addPage(query: UsageQuery, buckets: readonly UsageBucket[]): void;
  finishQuery(query: UsageQuery): void;
}

export interface UsageApi {
  /** Feeds every bucket of every query to `sink`, all pages followed, queries run concurrently. */
  fetchUsage(
    queries: readonly UsageQuery[],
    sink: UsageSink,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void>;
  /** Project id → name, archived projects included. */
  listProjectNames(): Promise<Map<string, string>>;
}

/**
 * Pages one bucket may take before we call the cursor endless: we ask for every bucket of a query
 * in one page, so more pages only come from buckets cut by rows (2,000 projects at 100 a page is 20).
 */
const PAGES_PER_BUCKET_ALLOWANCE = 20;
/** The largest body we read, after decompression: a year of hourly buckets at 1,500 projects is far below. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_PROJECT_PAGES = 1_000;
const PROJECTS_PAGE_SIZE = 100;
/** Backoff: full jitter under 250 ms · 2^(attempt-1), capped at 8 s. */
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A client for the organization usage API that never logs, throws or returns the admin key. */
export function createUsageApi(options: UsageApiOptions): UsageApi {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const concurrency = options.concurrency ?? 8;
  const maxAttempts = options.maxAttempts ?? 5;
  const requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
  const emit = options.onEvent ?? (() => {});
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const headers = { Authorization: `Bearer ${options.adminKey}`, Accept: 'application/json' };

  /** `cancel` stops the request and its retries, e.g. once another query has failed the run. */
  async function getJson(path: string, params: URLSearchParams, cancel?: AbortSignal): Promise<unknown> {
    const url = `${options.baseUrl}${path}?${params}`;
    let lastReason = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      cancel?.throwIfAborted();
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      emit({ type: 'request', path, attempt });
      try {
        return await requestOnce(url, Math.min(requestTimeoutMs, remaining), cancel);
      } catch (error) {
        if (!(error instanceof RetryableError)) throw error;
        lastReason = error.message;
        if (attempt === maxAttempts) break;
        // Full jitter spreads retries of concurrent chunks; Retry-After, when given, is a floor.
        const backoff = Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
        const delayMs = Math.max(backoff, error.retryAfterMs ?? 0);
        if (Date.now() + delayMs >= deadline) {
          // Waiting past the deadline would only fail later: say when a new run can succeed.
          lastReason +=
            error.retryAfterMs === undefined
              ? '; no time left to retry before the deadline'
              : `; the API asked to wait until ${new Date(Date.now() + error.retryAfterMs).toISOString()}, past this run's deadline: try again after then`;
          break;
        }
        emit({ type: 'retry', path, attempt, delayMs: Math.round(delayMs), reason: error.message });
        await sleep(delayMs, undefined, { signal: cancel });
      }
    }
    throw new UsageApiError(`GET ${path} failed: ${lastReason || 'no time left before the deadline'}`);
  }

  async function requestOnce(url: string, timeoutMs: number, cancel?: AbortSignal): Promise<unknown> {
    let response: Response;
    let text: string;
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      response = await fetchImpl(url, {
        headers,
        signal: cancel ? AbortSignal.any([timeout, cancel]) : timeout,
      });
      text = await readCapped(response, MAX_BODY_BYTES);
    } catch (error) {
      if (cancel?.aborted) throw cancel.reason;
      if (error instanceof UsageApiError) throw error;
      const name = error instanceof Error ? error.name : 'Error';
      const reason =
        name === 'TimeoutError' || name === 'AbortError'
          ? `timed out after ${timeoutMs} ms`
          : networkReason(error);
      throw new RetryableError(reason);
    }
    if (response.status === 401 || response.status === 403) throw new AuthError(response.status);
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      throw new RetryableError(
        `HTTP ${response.status}`,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (!response.ok) {
      throw new UsageApiError(
        `the usage API answered HTTP ${response.status}: ${apiErrorMessage(text, options.adminKey)}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      const kind = (response.headers.get('content-type') ?? 'unknown type').split(';')[0];
      throw new RetryableError(`HTTP ${response.status} with a body that is not JSON (${kind})`);
    }
  }

  async function* pagesOf(query: UsageQuery, cancel: AbortSignal): AsyncGenerator<UsagePage> {
    const maxPages = query.limit * PAGES_PER_BUCKET_ALLOWANCE;
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let pageNumber = 1; ; pageNumber++) {
      const params = queryParams(query);
      if (cursor !== undefined) params.set('page', cursor);
      const body = await getJson('/organization/usage/code_interpreter_sessions', params, cancel);
      let page: UsagePage;
      try {
        page = parseUsagePage(body);
      } catch (error) {
        // parseUsagePage throws only MalformedPageError.
        throw new UsageApiError(`the usage API sent a malformed page: ${(error as Error).message}`);
      }
      yield page;
      if (!page.hasMore) return;
      if (page.nextPage === null)
        throw new PaginationError('the usage API said has_more but gave no next_page cursor');
      if (seen.has(page.nextPage)) {
        throw new PaginationError(
          `the usage API repeated a next_page cursor after ${pageNumber} pages (a pagination loop)`,
        );
      }
      if (pageNumber >= maxPages) {
        throw new PaginationError(
          `the usage API kept paginating past ${maxPages} pages for ${query.limit} buckets`,
        );
      }
      seen.add(page.nextPage);
      cursor = page.nextPage;
    }
  }

  async function fetchQuery(query: UsageQuery, sink: UsageSink, cancel: AbortSignal): Promise<void> {
    for await (const page of pagesOf(query, cancel)) {
      try {
        sink.addPage(query, page.buckets);
      } catch (error) {
        if (error instanceof MalformedPageError)
          throw new UsageApiError(`the usage API sent inconsistent data: ${error.message}`);
        throw error;
      }
    }
    sink.finishQuery(query);
  }

  return {
    async fetchUsage(queries, sink, onProgress) {
      let done = 0;
      // The first failure fails the report: stop the other queries rather than let them retry on.
      const cancel = new AbortController();
      try {
        await runWithConcurrency(queries, concurrency, async (query) => {
          await fetchQuery(query, sink, cancel.signal);
          onProgress?.(++done, queries.length);
        });
      } catch (error) {
        cancel.abort(error);
        throw error;
      }
    },

    async listProjectNames() {
      const names = new Map<string, string>();
      let after: string | undefined;
      for (let page = 0; page < MAX_PROJECT_PAGES; page++) {
        const params = new URLSearchParams({ limit: String(PROJECTS_PAGE_SIZE), include_archived: 'true' });
        if (after) params.set('after', after);
        const body = (await getJson('/organization/projects', params)) as {
          data?: { id?: unknown; name?: unknown }[];
          has_more?: unknown;
          last_id?: unknown;
        };
        if (!Array.isArray(body?.data)) throw new UsageApiError('the projects API sent a page without data');
        for (const project of body.data) {
          if (typeof project?.id === 'string' && typeof project.name === 'string')
            names.set(project.id, redactSecrets(project.name, [options.adminKey]));
        }
        const lastId = typeof body.last_id === 'string' ? body.last_id : body.data.at(-1)?.id;
        if (body.has_more !== true) return names;
        if (typeof lastId !== 'string' || lastId === after) {
          throw new PaginationError('the projects API said has_more but its cursor did not advance');
        }
        after = lastId;
      }
      throw new PaginationError(`the projects API kept paginating past ${MAX_PROJECT_PAGES} pages`);
    },
  };
}

/** The query string for one planned query; the cursor is only valid with these exact parameters. */
function queryParams(query: UsageQuery): URLSearchParams {
  const params = new URLSearchParams({
    start_time: String(query.start),
    end_time: String(query.end),
    bucket_width: query.width,
    limit: String(query.limit),
    group_by: 'project_id',
  });
  for (const id of query.projectIds ?? []) params.append('project_ids', id);
  return params;
}

/** Runs `task` over `items` with at most `limit` in flight; fails fast on the first error. */
async function runWithConcurrency<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Retry-After as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown })?.code;
  return `network error${typeof code === 'string' ? ` (${code})` : ''}`;
}

/** The API's own error message, short and redacted: a proxy may echo the Authorization header into it. */
function apiErrorMessage(text: string, adminKey: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } })?.error?.message;
    if (typeof message === 'string') return redactSecrets(message, [adminKey]).slice(0, 300);
  } catch {
    // not JSON: fall through
  }
  return 'no error message';
}

/** The body as text, refused once it passes `limit` bytes (decompressed), before it is all in memory. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const tooLarge = () =>
    new UsageApiError(`the usage API sent a body over ${limit / 1024 / 1024} MiB; refusing to read it`);
  const declared = Number(response.headers.get('content-length'));
  if (declared > limit) {
    await response.body?.cancel();
    throw tooLarge();
  }
  if (!response.body) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    // Leaving the loop by throwing cancels the stream: the rest is never downloaded.
    if (bytes > limit) throw tooLarge();
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
