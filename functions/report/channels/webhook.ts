import { createHmac } from 'node:crypto';
import { describeWindow } from '../core/render';
import type { Channel, DigestContent, PostTarget } from './channel';
import { postJson } from './http-post';

/** The signed POST: the result JSON (the contract's shape plus `kind` and `date`) and its headers. */
export interface WebhookPost {
  readonly body: string;
  readonly timestamp: number;
}

export const TIMESTAMP_HEADER = 'X-Usage-Digest-Timestamp';
export const SIGNATURE_HEADER = 'X-Usage-Digest-Signature';

/**
 * Our cap on a webhook's body: 256 KiB, the most SQS, SNS and EventBridge take in one message, so a
 * receiver can queue what it is sent as it is.
 */
export const WEBHOOK_MAX_BYTES = 256 * 1024;

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` keyed by the signing secret. */
export function signature(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The largest `n` in [0, max] for which `fits(n)` holds (`fits` holds for smaller n if for n), or -1. */
function largest(max: number, fits: (n: number) => boolean): number {
  let low = -1;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/**
 * The result as JSON with `kind`, `date`, `time_zone` and `projects_truncated`. Over `maxBytes`,
 * the projects are cut from the end (they are sorted biggest first) and `projects_truncated` says
 * how many were left out; totals, what is unusual, the limits and the month to date stay whole
 * (should even the unusual list not fit, it is cut the same way and `unusual_truncated` says by
 * how many; then the limits, worst kept, with `limits_truncated`).
 */
export function renderWebhook(
  content: DigestContent,
  now: number,
  maxBytes = WEBHOOK_MAX_BYTES,
): WebhookPost {
  const { report, timeZone } = content;
  const date = describeWindow({ start: report.start_time, end: report.end_time }, timeZone);
  const unusual = report.unusual ?? [];
  const limits = report.limits ?? [];
  const bodyOf = (projects: number, unusualKept = unusual.length, limitsKept = limits.length) =>
    JSON.stringify({
      ...report,
      projects: report.projects.slice(0, projects),
      ...(report.unusual ? { unusual: unusual.slice(0, unusualKept) } : {}),
      ...(report.limits ? { limits: limits.slice(0, limitsKept) } : {}),
      kind: report.kind,
      date,
      time_zone: timeZone,
      projects_truncated: report.projects.length - projects,
      ...(unusualKept < unusual.length ? { unusual_truncated: unusual.length - unusualKept } : {}),
      ...(limitsKept < limits.length ? { limits_truncated: limits.length - limitsKept } : {}),
    });
  const fits = (body: string) => Buffer.byteLength(body) <= maxBytes;
  let body = bodyOf(report.projects.length);
  // Stryker disable next-line ConditionalExpression: a search when the whole fits finds the whole
  if (!fits(body)) {
    const projects = Math.max(
      0,
      largest(report.projects.length, (n) => fits(bodyOf(n))),
    );
    const unusualKept = Math.max(
      0,
      largest(unusual.length, (n) => fits(bodyOf(projects, n))),
    );
    // Limits go last, from the end: they are sorted worst first, so those on track go first.
    body = bodyOf(
      projects,
      unusualKept,
      Math.max(
        0,
        largest(limits.length, (n) => fits(bodyOf(projects, unusualKept, n))),
      ),
    );
  }
  return { body, timestamp: now };
}

/**
 * Any HTTPS endpoint: the result as JSON, signed so the receiver can check it came from us and is
 * fresh (the timestamp is inside the signature).
 */
export function createWebhookChannel(
  options: { url: string; signingSecret: string; now: () => number },
  target: PostTarget = {},
): Channel<WebhookPost> {
  return {
    name: 'webhook',
    render: (content) => renderWebhook(content, Math.floor(options.now() / 1000)),
    send: ({ body, timestamp }) =>
      postJson('webhook', options.url, body, {
        ...target,
        headers: {
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signature(options.signingSecret, timestamp, body),
        },
      }),
  };
}
