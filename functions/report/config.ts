import { isEmailAddress, parseRecipients } from './core/event';
import { isValidTimeZone } from './core/local-time';
import { ConfigError, InputError } from './errors';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_CONCURRENCY = 8;
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/** The function's configuration, read once from its environment. */
export interface ReportConfig {
  readonly secretId: string;
  readonly sender: string;
  readonly recipients: readonly string[];
  readonly timeZone: string;
  readonly baseUrl: string;
  /** Unset: no deduplication of deliveries. */
  readonly idempotencyTable?: string;
  /** Usage requests in flight at once. */
  readonly concurrency: number;
  /** Per-request timeout before a retry. */
  readonly requestTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment; throws a ConfigError naming the variable at fault. */
export function loadConfig(env: Env = process.env): ReportConfig {
  const timeZone = optional(env, 'REPORT_TIMEZONE') ?? 'UTC';
  if (!isValidTimeZone(timeZone))
    throw new ConfigError(`REPORT_TIMEZONE: "${timeZone}" is not an IANA time zone`);
  const sender = required(env, 'REPORT_SENDER');
  if (!isEmailAddress(sender.replace(/^.*<(.+)>$/, '$1'))) {
    throw new ConfigError(`REPORT_SENDER: "${sender}" is not an email address`);
  }
  const baseUrl = (optional(env, 'OPENAI_BASE_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(baseUrl))
    throw new ConfigError(`OPENAI_BASE_URL: "${baseUrl}" is not an http(s) URL`);
  const concurrency = Number(optional(env, 'USAGE_CONCURRENCY') ?? DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new ConfigError('USAGE_CONCURRENCY: must be a whole number from 1 to 32');
  }
  const requestTimeoutMs = Number(optional(env, 'USAGE_REQUEST_TIMEOUT_MS') ?? DEFAULT_REQUEST_TIMEOUT_MS);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 100) {
    throw new ConfigError('USAGE_REQUEST_TIMEOUT_MS: must be a whole number of milliseconds, at least 100');
  }
  const idempotencyTable = optional(env, 'IDEMPOTENCY_TABLE');
  return Object.freeze({
    secretId: required(env, 'ADMIN_KEY_SECRET_ID'),
    sender,
    recipients: Object.freeze(recipientsFrom(env)),
    timeZone,
    baseUrl,
    concurrency,
    requestTimeoutMs,
    ...(idempotencyTable ? { idempotencyTable } : {}),
  });
}

function recipientsFrom(env: Env): string[] {
  try {
    return parseRecipients(required(env, 'REPORT_RECIPIENTS'), 'REPORT_RECIPIENTS');
  } catch (error) {
    if (error instanceof InputError) throw new ConfigError(error.message);
    throw error;
  }
}

function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(`${name}: required environment variable is not set`);
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
