import { setTimeout as sleep } from 'node:timers/promises';
import { redactSecrets } from '../core/redact';
import { AuthError, UsageApiError } from '../errors';

/** How the OpenAI organization APIs (usage, costs, projects) are called. */
export interface UsageApiOptions {
  /** e.g. `https://api.openai.com/v1` */
  readonly baseUrl: string;
  readonly adminKey: string;
  readonly fetch?: typeof fetch;
  /** Requests in flight at once, usage, costs and projects together (default 16). */
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

/** The largest body we read, after decompression: a year of hourly buckets at 1,500 projects is far below. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Backoff: full jitter under 250 ms · 2^(attempt-1), capped at 8 s. */
const BASE_DELAY_MS = 250;
const MAX_DELAY_MS = 8_000;

/**
 * Requests in flight at once by default: a 365-day report (12 usage pages of 31 days, 3 cost pages
 * of 180, the names) is 16, so it goes in one wave; 3 years take three. A 429 still backs off.
 */
export const DEFAULT_IN_FLIGHT = 16;

/**
 * At most `limit` tasks at once; a finished task hands its slot to the next in line on the next
 * turn of the event loop, by when a failure it ended with has cancelled the run's other requests.
 */
function createLimit(limit: number) {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active < limit) active++;
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await task();
    } finally {
      const next = queue.shift();
      if (next) setImmediate(next);
      else active--;
    }
  };
}

/** The deadline passed while a request waited for its place. */
class OutOfTimeError extends Error {}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The API a path belongs to, as messages name it. */
function apiName(path: string): 'usage' | 'costs' | 'projects' {
  return path.includes('/costs') ? 'costs' : path.includes('/projects') ? 'projects' : 'usage';
}

export interface OpenAiHttp {
  /** GET `path?params` as JSON: retried, deadline-bound, size-capped; `cancel` stops it and its retries. */
  getJson(path: string, params: URLSearchParams, cancel?: AbortSignal): Promise<unknown>;
  readonly adminKey: string;
}

/**
 * The one HTTP client of the OpenAI organization APIs, shared by the usage, costs and projects
 * calls: HTTPS base URL, retries with jittered backoff and Retry-After, a deadline, a body cap, and
 * redaction. It never logs, throws or returns the admin key.
 */
export function createOpenAiHttp(options: UsageApiOptions): OpenAiHttp {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const maxAttempts = options.maxAttempts ?? 5;
  const requestTimeoutMs = options.requestTimeoutMs ?? 20_000;
  const emit = options.onEvent ?? (() => {});
  const deadline = options.deadline ?? Number.POSITIVE_INFINITY;
  const headers = { Authorization: `Bearer ${options.adminKey}`, Accept: 'application/json' };
  const inFlight = createLimit(options.concurrency ?? DEFAULT_IN_FLIGHT);

  /** `cancel` stops the request and its retries, e.g. once another query has failed the run. */
  async function getJson(path: string, params: URLSearchParams, cancel?: AbortSignal): Promise<unknown> {
    const url = `${options.baseUrl}${path}?${params}`;
    let lastReason = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      cancel?.throwIfAborted();
      try {
        return await inFlight(() => {
          // A query cancelled, or out of time, while it waited for its place sends nothing.
          cancel?.throwIfAborted();
          const left = deadline - Date.now();
          if (left <= 0) throw new OutOfTimeError();
          emit({ type: 'request', path, attempt });
          return requestOnce(url, Math.min(requestTimeoutMs, left), cancel);
        });
      } catch (error) {
        if (error instanceof OutOfTimeError) break;
        if (!(error instanceof RetryableError)) throw error;
        lastReason = error.message;
        if (attempt === maxAttempts) break;
        // Full jitter spreads retries of concurrent chunks; Retry-After, when given, is a floor.
        const backoff = Math.random() * Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
        const delayMs = Math.max(backoff, error.retryAfterMs ?? 0);
        // A wait a timer cannot hold is past any run's deadline: Node fires it at once instead.
        if (Date.now() + delayMs >= deadline || delayMs > MAX_TIMER_MS) {
          // Waiting past the deadline would only fail later: say when a new run can succeed.
          lastReason +=
            error.retryAfterMs === undefined
              ? '; no time left to retry before the deadline'
              : `; the API asked to wait ${waitUntil(error.retryAfterMs)}, past this run's deadline: try again after then`;
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
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new RetryableError(timedOut ? `timed out after ${timeoutMs} ms` : networkReason(error));
    }
    if (response.status === 401 || response.status === 403)
      throw new AuthError(response.status, apiName(new URL(url).pathname));
    if (response.status === 429 || response.status === 408 || response.status >= 500) {
      throw new RetryableError(
        `HTTP ${response.status}`,
        parseRetryAfter(response.headers.get('retry-after')),
      );
    }
    if (!response.ok) {
      throw new UsageApiError(
        `the ${apiName(new URL(url).pathname)} API answered HTTP ${response.status}: ${apiErrorMessage(text, options.adminKey)}`,
        { status: response.status },
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      const kind = (response.headers.get('content-type') ?? 'unknown type').split(';')[0];
      throw new RetryableError(`HTTP ${response.status} with a body that is not JSON (${kind})`);
    }
  }

  return { getJson, adminKey: options.adminKey };
}

/**
 * Retry-After in ms, from delay-seconds or an HTTP date (RFC 9110 §10.2.3; the date in any of the
 * three forms of §5.6.7, each starting with the day's name); a date past is 0. Undefined when absent
 * or unreadable: a negative delay, or a date `Date.parse` would guess at (it reads "-5" as 2001).
 * The delay may be Infinity, or too far off for a Date: callers compare it, never format it as one.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The longest timer Node keeps (2^31-1 ms, about 24.8 days): a longer one fires after 1 ms
 * (Node's timers documentation), so a longer wait is treated as past the deadline.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `until 2026-11-23T08:00:00.000Z`; `N s` past what a Date can hold; `for ever` past any number. */
function waitUntil(retryAfterMs: number): string {
  if (!Number.isFinite(retryAfterMs)) return 'for ever';
  const until = new Date(Date.now() + retryAfterMs);
  return Number.isNaN(until.getTime())
    ? `${(retryAfterMs / 1000).toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 0 })} s`
    : `until ${until.toISOString()}`;
}

function networkReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as { code?: unknown })?.code;
  return `network error${typeof code === 'string' ? ` (${code})` : ''}`;
}

/** The API's own error message, short and redacted: a proxy may echo the Authorization header into it. */
function apiErrorMessage(text: string, adminKey: string): string {
  let body: { error?: { message?: unknown } } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: no message
  }
  const message = body?.error?.message;
  return typeof message === 'string' ? redactSecrets(message, [adminKey]).slice(0, 300) : 'no error message';
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
  // Decoded as it arrives and joined once: a chunk is dropped as soon as it is text, so a 20 MB
  // page is held about twice (its parts, then the whole), not three times.
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  // No body (a 204, a 304) is no text.
  for await (const chunk of (response.body ?? []) as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    // Leaving the loop by throwing cancels the stream: the rest is never downloaded.
    if (bytes > limit) throw tooLarge();
    parts.push(decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}
