import { DEFAULT_IN_FLIGHT } from './adapters/openai-http';
import { isEmailAddress, parseAllowedDomains, parseProjectIds, parseRecipients } from './core/event';
import { isValidTimeZone } from './core/local-time';
import { DEFAULT_THRESHOLDS, type UnusualThresholds } from './core/unusual';
import { ConfigError } from './errors';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_CONCURRENCY = DEFAULT_IN_FLIGHT;
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
  /** Domains (lower case) a manual invoke may mail; the configured recipients' domains unless set. */
  readonly allowedRecipientDomains: readonly string[];
  /** When a project's day is unusual (UNUSUAL_FACTOR, UNUSUAL_MIN_SESSIONS, ALERT_COST_USD). */
  readonly thresholds: UnusualThresholds;
  /** QUIET=true: the daily digest goes out only on days with something unusual. */
  readonly quiet: boolean;
  /** Chat and webhook channels beside the email; their URLs and keys live in Secrets Manager. */
  readonly channels: ChannelsConfig;
  /** ROUTES: a digest per team, of its projects only, on its own channels. */
  readonly routes: readonly RouteConfig[];
}

export interface RouteConfig {
  readonly name: string;
  readonly projectIds: readonly string[];
  /** Empty: the route has no email, only its chat or webhook channels. */
  readonly recipients: readonly string[];
  readonly channels: ChannelsConfig;
}

export interface ChannelsConfig {
  /** SLACK_WEBHOOK_SECRET_ID: the secret holding a Slack incoming-webhook URL. */
  readonly slack?: { readonly secretId: string };
  /** TEAMS_WEBHOOK_SECRET_ID: the secret holding a Teams Workflows webhook URL. */
  readonly teams?: { readonly secretId: string };
  /** WEBHOOK_URL and WEBHOOK_SIGNING_SECRET_ID: where to POST the signed result, and the HMAC key's secret. */
  readonly webhook?: { readonly url: string; readonly signingSecretId: string };
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
  const baseUrl = checkBaseUrl(optional(env, 'OPENAI_BASE_URL') ?? DEFAULT_BASE_URL, 'OPENAI_BASE_URL');
  const concurrency = Number(optional(env, 'USAGE_CONCURRENCY') ?? DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new ConfigError('USAGE_CONCURRENCY: must be a whole number from 1 to 32');
  }
  const requestTimeoutMs = Number(optional(env, 'USAGE_REQUEST_TIMEOUT_MS') ?? DEFAULT_REQUEST_TIMEOUT_MS);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 100) {
    throw new ConfigError('USAGE_REQUEST_TIMEOUT_MS: must be a whole number of milliseconds, at least 100');
  }
  const idempotencyTable = optional(env, 'IDEMPOTENCY_TABLE');
  const recipients = recipientsFrom(env);
  const allowedRecipientDomains = asConfigError(() =>
    parseAllowedDomains(optional(env, 'ALLOWED_RECIPIENT_DOMAINS'), recipients, 'ALLOWED_RECIPIENT_DOMAINS'),
  );
  return Object.freeze({
    thresholds: Object.freeze(thresholdsFrom(env)),
    quiet: flagFrom(env, 'QUIET'),
    channels: Object.freeze(channelsFrom(env)),
    routes: Object.freeze(routesFrom(optional(env, 'ROUTES'))),
    secretId: required(env, 'ADMIN_KEY_SECRET_ID'),
    sender,
    recipients: Object.freeze(recipients),
    allowedRecipientDomains: Object.freeze(allowedRecipientDomains),
    timeZone,
    baseUrl,
    concurrency,
    requestTimeoutMs,
    ...(idempotencyTable ? { idempotencyTable } : {}),
  });
}

/** UNUSUAL_FACTOR, UNUSUAL_MIN_SESSIONS and ALERT_COST_USD, checked; shared by the function and the CLI. */
export function thresholdsFrom(env: Env): UnusualThresholds {
  const factor = Number(optional(env, 'UNUSUAL_FACTOR') ?? DEFAULT_THRESHOLDS.factor);
  if (!Number.isFinite(factor) || factor <= 1) {
    throw new ConfigError('UNUSUAL_FACTOR: must be a number above 1 (times the 7-day mean)');
  }
  const minSessions = Number(optional(env, 'UNUSUAL_MIN_SESSIONS') ?? DEFAULT_THRESHOLDS.minSessions);
  if (!Number.isInteger(minSessions) || minSessions < 1) {
    throw new ConfigError('UNUSUAL_MIN_SESSIONS: must be a whole number of sessions, at least 1');
  }
  const alert = optional(env, 'ALERT_COST_USD');
  const alertCostUsd = alert === undefined ? undefined : Number(alert);
  if (alertCostUsd !== undefined && !(Number.isFinite(alertCostUsd) && alertCostUsd > 0)) {
    throw new ConfigError('ALERT_COST_USD: must be a positive number of US dollars');
  }
  return { factor, minSessions, ...(alertCostUsd === undefined ? {} : { alertCostUsd }) };
}

/** ROUTES as the stack writes it: JSON, checked field by field, errors naming ROUTES[i].field. */
function routesFrom(json: string | undefined): RouteConfig[] {
  if (json === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError('ROUTES: is not JSON');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('ROUTES: must be a JSON array of routes');
  return parsed.map((raw, i) => {
    const at = `ROUTES[${i}]`;
    const route = (raw ?? {}) as Record<string, unknown>;
    const text = (key: string) => {
      const value = route[key];
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || !value.trim())
        throw new ConfigError(`${at}.${key}: must be a non-empty string`);
      return value.trim();
    };
    const name = text('name');
    if (!name) throw new ConfigError(`${at}.name: required`);
    if (Array.isArray(route.project_ids) && route.project_ids.length === 0) {
      throw new ConfigError(`${at}.project_ids: must name at least one project`);
    }
    const projectIds = asConfigError(() => parseProjectIds(route.project_ids, `${at}.project_ids`));
    const recipients =
      route.recipients === undefined
        ? []
        : asConfigError(() => parseRecipients(route.recipients, `${at}.recipients`));
    const channels = channelsFrom(
      {
        SLACK_WEBHOOK_SECRET_ID: text('slack_secret_id'),
        TEAMS_WEBHOOK_SECRET_ID: text('teams_secret_id'),
        WEBHOOK_URL: text('webhook_url'),
        WEBHOOK_SIGNING_SECRET_ID: text('webhook_signing_secret_id'),
      },
      at,
    );
    return { name, projectIds, recipients, channels };
  });
}

function channelsFrom(env: Env, prefix = ''): ChannelsConfig {
  const slack = optional(env, 'SLACK_WEBHOOK_SECRET_ID');
  const teams = optional(env, 'TEAMS_WEBHOOK_SECRET_ID');
  const url = optional(env, 'WEBHOOK_URL');
  const signingSecretId = optional(env, 'WEBHOOK_SIGNING_SECRET_ID');
  if (url !== undefined && signingSecretId === undefined) {
    throw new ConfigError(
      `${prefix ? `${prefix}.webhook_signing_secret_id` : 'WEBHOOK_SIGNING_SECRET_ID'}: required with the webhook URL (webhooks are always signed)`,
    );
  }
  return {
    ...(slack ? { slack: { secretId: slack } } : {}),
    ...(teams ? { teams: { secretId: teams } } : {}),
    ...(url && signingSecretId ? { webhook: { url: checkWebhookUrl(url), signingSecretId } } : {}),
  };
}

/** A webhook receives the result: https only (loopback allowed for tests), like the API base URL. */
function checkWebhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`WEBHOOK_URL: "${value}" is not a URL`);
  }
  if (!isSecureUrl(url)) {
    throw new ConfigError('WEBHOOK_URL: must be https:// (http:// only for localhost)');
  }
  return value;
}

function flagFrom(env: Env, name: string): boolean {
  const value = optional(env, name)?.toLowerCase();
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`${name}: must be true or false`);
}

function recipientsFrom(env: Env): string[] {
  const value = required(env, 'REPORT_RECIPIENTS');
  return asConfigError(() => parseRecipients(value, 'REPORT_RECIPIENTS'));
}

/** The core's parsers throw InputError only; read from the environment, that is the stack's configuration at fault. */
function asConfigError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
}

/** Loopback hosts, where plain HTTP never leaves the machine (tests, the demo). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https://, or http:// to a loopback host: the one rule for every URL a secret or a result goes to. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/**
 * The API base URL without trailing slashes. It must be https: the admin key travels in its
 * Authorization header. Plain http is accepted for loopback hosts only. `name` is what the user set.
 */
export function checkBaseUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name}: "${value}" is not a URL`);
  }
  if (!isSecureUrl(url)) {
    throw new ConfigError(
      `${name}: "${url.origin}" must be https:// (the admin key is sent to it); http:// is allowed only for localhost`,
    );
  }
  if (url.username || url.password || url.search || url.hash)
    throw new ConfigError(`${name}: give a plain base URL, without credentials, query or fragment`);
  return value.replace(/\/+$/, '');
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
