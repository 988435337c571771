import { setTimeout as sleep } from 'node:timers/promises';
import { parseRetryAfter } from '../adapters/openai-http';
import { isSecureUrl } from '../config';
import { ChannelError } from '../errors';

/** Slack, Teams and webhook receivers take far less; a bigger body is our bug, not theirs. */
export const MAX_POST_BYTES = 256 * 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;
/** One try and two retries. */
export const ATTEMPTS = 3;
/** One try's limit: a receiver silent for 5 s is treated as down for that try. */
export const ATTEMPT_TIMEOUT_MS = 5_000;
/** The first retry waits 400 ms, the second 800 ms, unless the receiver asks for longer. */
export const BACKOFF_MS = 200;
/** Without a deadline from the caller: three tries of 5 s and both waits fit. */
const DEFAULT_BUDGET_MS = 20_000;

export interface PostOptions {
  /** Epoch ms by which every try and every wait is over. @default 20 s from the call */
  readonly deadline?: number;
  readonly headers?: Record<string, string>;
}

/**
 * POSTs `body` (JSON text) to a channel's URL: HTTPS only (loopback allowed, for tests), size-capped
 * both ways, retried twice on 429, 5xx and network errors, all within `deadline`. A receiver's
 * Retry-After is honoured when it fits the deadline and ends the post at once when it does not; a
 * redirect is refused at once (a webhook URL must be the final one, and following it would resend
 * the body to a URL nobody configured). Errors name the channel, never the URL: it is a credential.
 */
export async function postJson(
  channel: string,
  url: string,
  body: string,
  options: PostOptions = {},
): Promise<string> {
  // Query strings are part of some webhook URLs (a Teams workflow's signature): only the scheme is checked.
  if (!URL.canParse(url) || !isSecureUrl(new URL(url))) {
    throw new ChannelError(channel, 'its URL must be https:// (http only for localhost)');
  }
  if (Buffer.byteLength(body) > MAX_POST_BYTES) {
    throw new ChannelError(channel, `the message is over ${MAX_POST_BYTES / 1024} KiB`);
  }
  const deadline = options.deadline ?? Date.now() + DEFAULT_BUDGET_MS;
  let reason = 'there was no time left to send it before the delivery deadline';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const left = deadline - Date.now();
    // Stryker disable next-line EqualityOperator: at exactly 0 ms left a try would be aborted at once, failing all the same
    if (left <= 0) break;
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...options.headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(Math.min(ATTEMPT_TIMEOUT_MS, left)),
      });
      // Drained (up to a cap) so the connection is reused; its content is the receiver's, not shown.
      await drainCapped(response);
      if (response.ok) return `HTTP ${response.status}`;
      reason = `the receiver answered HTTP ${response.status}`;
      // Not ok and under 400 is a 3xx: fetch never hands over a 1xx.
      if (response.status < 400) {
        throw new ChannelError(channel, `${reason} (a redirect; webhook URLs must be the final URL)`);
      }
      if (response.status !== 429 && response.status < 500) break;
      retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    } catch (error) {
      if (error instanceof ChannelError) throw error;
      reason =
        (error as Error).name === 'TimeoutError'
          ? 'the receiver did not answer in time'
          : 'the receiver could not be reached (network error)';
    }
    if (attempt === ATTEMPTS) break;
    const delayMs = Math.max(BACKOFF_MS * 2 ** attempt, retryAfterMs ?? 0);
    // Stryker disable next-line EqualityOperator: a wait ending at the very ms of the deadline leaves no time to try
    if (Date.now() + delayMs >= deadline) {
      // When the receiver's wait is the one past the deadline, say so (in seconds: an absurd one is no valid Date).
      if (delayMs === retryAfterMs) {
        reason += ` and asked to wait ${Math.ceil(retryAfterMs / 1000).toLocaleString('en-US')} s, past this delivery's deadline`;
      }
      break;
    }
    await sleep(delayMs);
  }
  throw new ChannelError(channel, reason);
}

/** Reads at most MAX_RESPONSE_BYTES of a receiver's answer, then stops downloading. */
async function drainCapped(response: Response): Promise<void> {
  if (!response.body) return;
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    if (bytes > MAX_RESPONSE_BYTES) break;
  }
}
