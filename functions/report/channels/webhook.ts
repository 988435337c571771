import { createHmac } from 'node:crypto';
import { describeWindow } from '../core/render';
import type { Channel, DigestContent } from './channel';
import { postJson } from './http-post';

/** The signed POST: the result JSON (the contract's shape plus `kind` and `date`) and its headers. */
export interface WebhookPost {
  readonly body: string;
  readonly timestamp: number;
}

export const TIMESTAMP_HEADER = 'X-Usage-Digest-Timestamp';
export const SIGNATURE_HEADER = 'X-Usage-Digest-Signature';

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` keyed by the signing secret. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function renderWebhook(content: DigestContent, now: number): WebhookPost {
  const { report, timeZone } = content;
  const date = describeWindow({ start: report.start_time, end: report.end_time }, timeZone);
  return {
    body: JSON.stringify({ ...report, kind: report.kind, date, time_zone: timeZone }),
    timestamp: now,
  };
}

/**
 * Any HTTPS endpoint: the result as JSON, signed so the receiver can check it came from us and is
 * fresh (the timestamp is inside the signature).
 */
export function createWebhookChannel(
  options: { url: string; signingSecret: string; now: () => number },
  fetchImpl?: typeof fetch,
): Channel<WebhookPost> {
  return {
    name: 'webhook',
    render: (content) => renderWebhook(content, Math.floor(options.now() / 1000)),
    send: ({ body, timestamp }) =>
      postJson('webhook', options.url, body, {
        ...(fetchImpl ? { fetch: fetchImpl } : {}),
        headers: {
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signature(options.signingSecret, timestamp, body),
        },
      }),
  };
}
