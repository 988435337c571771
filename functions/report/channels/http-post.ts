import { setTimeout as sleep } from 'node:timers/promises';
import { isSecureUrl } from '../config';
import { ChannelError } from '../errors';

/** Slack, Teams and webhook receivers take far less; a bigger body is our bug, not theirs. */
export const MAX_POST_BYTES = 256 * 1024;
const MAX_RESPONSE_BYTES = 64 * 1024;
const ATTEMPTS = 3;

export interface PostOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
  readonly headers?: Record<string, string>;
}

/**
 * POSTs `body` (JSON text) to a channel's URL: HTTPS only (loopback allowed, for tests), size-capped
 * both ways, retried twice on 429, 5xx and network errors. Errors name the channel, never the URL:
 * a webhook URL is a credential.
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
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let reason = '';
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...options.headers },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      // Drained (up to a cap) so the connection is reused; its content is the receiver's, not shown.
      await drainCapped(response);
      if (response.ok) return `HTTP ${response.status}`;
      reason = `HTTP ${response.status}`;
      if (response.status !== 429 && response.status < 500) break;
    } catch (error) {
      reason = (error as Error).name === 'TimeoutError' ? 'timed out' : 'network error';
    }
    if (attempt < ATTEMPTS) await sleep(200 * 2 ** attempt);
  }
  throw new ChannelError(channel, `the receiver answered ${reason}`);
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
