import { DEFAULT_IN_FLIGHT } from './adapters/openai-http';
import { readBundledFile } from './bundled-file';
import {
  domainOf,
  isEmailAddress,
  parseAllowedDomains,
  parseProjectIds,
  parseRecipients,
  parseTimeZone,
} from './core/event';
import { DEFAULT_BUDGET_WARN_AT } from './core/runway';
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
  /** BUDGETS (or the file BUDGETS_FILE names): monthly budgets of your own, in USD. */
  readonly budgets: BudgetsConfig;
  /** BUDGET_WARN_AT: the fraction of a limit or budget at which the month's forecast warns. */
  readonly budgetWarnAt: number;
  /** HISTORY_BUCKET: where each scheduled daily digest writes its day's rows; unset, no history. */
  readonly historyBucket?: string;
}

/** Monthly budgets of your own, in USD (each above 0), which OpenAI never sees. */
export interface BudgetsConfig {
  readonly organizationUsd?: number;
  /** By project id; empty when none is set. */
  readonly projects: Readonly<Record<string, number>>;
}

export interface RouteConfig {
  readonly name: string;
  readonly projectIds: readonly string[];
  /** Empty: the route has no email, only its chat or webhook channels. */
  readonly recipients: readonly string[];
  readonly channels: ChannelsConfig;
  /** monthly_budget_usd: the team's budget, against the sum of its projects' spend. */
  readonly monthlyBudgetUsd?: number;
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
  const timeZone = asConfigError(() =>
    parseTimeZone(optional(env, 'REPORT_TIMEZONE') ?? 'UTC', 'REPORT_TIMEZONE'),
  );
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
  const historyBucket = historyBucketFrom(env);
  const recipients = recipientsFrom(env);
  const allowedRecipientDomains = asConfigError(() =>
    parseAllowedDomains(optional(env, 'ALLOWED_RECIPIENT_DOMAINS'), recipients, 'ALLOWED_RECIPIENT_DOMAINS'),
  );
  const config: ReportConfig = Object.freeze({
    thresholds: Object.freeze(thresholdsFrom(env)),
    quiet: flagFrom(env, 'QUIET'),
    channels: Object.freeze(channelsFrom(env)),
    routes: Object.freeze(routesFrom(optional(env, 'ROUTES') ?? readBundledFile(env, 'ROUTES_FILE'))),
    budgets: budgetsFrom(optional(env, 'BUDGETS') ?? readBundledFile(env, 'BUDGETS_FILE')),
    budgetWarnAt: budgetWarnAtFrom(env),
    secretId: required(env, 'ADMIN_KEY_SECRET_ID'),
    sender,
    recipients: Object.freeze(recipients),
    allowedRecipientDomains: Object.freeze(allowedRecipientDomains),
    timeZone,
    baseUrl,
    concurrency,
    requestTimeoutMs,
    ...(idempotencyTable ? { idempotencyTable } : {}),
    ...(historyBucket ? { historyBucket } : {}),
  });
  checkRouteRecipients(config);
  return config;
}

// S3's bucket naming rules (general purpose buckets): 3-63 characters, lower case, digits, dots and
// hyphens, a letter or digit at each end.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function historyBucketFrom(env: Env): string | undefined {
  const bucket = optional(env, 'HISTORY_BUCKET');
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) {
    throw new ConfigError(`HISTORY_BUCKET: "${bucket}" is not an S3 bucket name`);
  }
  return bucket;
}

/** A route mails only inside the allow-list, as synth checks (`routes[i].recipients`). */
function checkRouteRecipients(config: ReportConfig): void {
  config.routes.forEach((route, i) => {
    const outside = route.recipients.filter((r) => !config.allowedRecipientDomains.includes(domainOf(r)));
    if (outside.length) {
      throw new ConfigError(
        `ROUTES[${i}].recipients: ${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} outside ALLOWED_RECIPIENT_DOMAINS (${config.allowedRecipientDomains.join(', ')})`,
      );
    }
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
    const budget = route.monthly_budget_usd;
    if (budget !== undefined && !isUsd(budget)) {
      throw new ConfigError(`${at}.monthly_budget_usd: must be a positive number of US dollars`);
    }
    return {
      name,
      projectIds,
      recipients,
      channels,
      ...(budget === undefined ? {} : { monthlyBudgetUsd: budget as number }),
    };
  });
}

const BUDGET_KEYS = ['organization_usd', 'projects'];

/**
 * BUDGETS as the stack writes it (`{ "organization_usd"?: n, "projects"?: { id: n } }`), checked
 * key by key, errors naming BUDGETS.key; frozen. The stack puts it in the bundle (BUDGETS_FILE):
 * budgets may name thousands of projects, far past the environment's 4 KB.
 */
function budgetsFrom(json: string | undefined): BudgetsConfig {
  if (json === undefined) return Object.freeze({ projects: Object.freeze({}) });
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigError('BUDGETS: is not JSON');
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError('BUDGETS: must be a JSON object of organization_usd and projects');
  }
  const unknown = Object.keys(parsed).find((key) => !BUDGET_KEYS.includes(key));
  if (unknown !== undefined) {
    throw new ConfigError(`BUDGETS.${unknown}: unknown key (${BUDGET_KEYS.join(', ')})`);
  }
  const { organization_usd: organizationUsd, projects = {} } = parsed;
  if (organizationUsd !== undefined && !isUsd(organizationUsd)) {
    throw new ConfigError('BUDGETS.organization_usd: must be a positive number of US dollars');
  }
  if (!isPlainObject(projects)) {
    throw new ConfigError('BUDGETS.projects: must be a JSON object of project ids to US dollars');
  }
  const ids = Object.keys(projects);
  if (ids.length) asConfigError(() => parseProjectIds(ids, 'BUDGETS.projects'));
  for (const [id, usd] of Object.entries(projects)) {
    if (!isUsd(usd)) throw new ConfigError(`BUDGETS.projects.${id}: must be a positive number of US dollars`);
  }
  return Object.freeze({
    ...(organizationUsd === undefined ? {} : { organizationUsd: organizationUsd as number }),
    projects: Object.freeze({ ...(projects as Record<string, number>) }),
  });
}

/** BUDGET_WARN_AT: a fraction above 0 and at most 1. */
function budgetWarnAtFrom(env: Env): number {
  const value = optional(env, 'BUDGET_WARN_AT');
  if (value === undefined) return DEFAULT_BUDGET_WARN_AT;
  const fraction = Number(value);
  if (!(Number.isFinite(fraction) && fraction > 0 && fraction <= 1)) {
    throw new ConfigError('BUDGET_WARN_AT: must be a fraction above 0 and at most 1 (e.g. 0.8)');
  }
  return fraction;
}

/** A JSON number of US dollars above 0. */
function isUsd(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
    ...(url && signingSecretId
      ? {
          webhook: {
            url: checkWebhookUrl(url, prefix ? `${prefix}.webhook_url` : 'WEBHOOK_URL'),
            signingSecretId,
          },
        }
      : {}),
  };
}

function checkWebhookUrl(value: string, name: string): string {
  const problem = webhookUrlProblem(value);
  if (problem) throw new ConfigError(`${name}: ${problem}`);
  return value;
}

/**
 * What is wrong with a webhook URL, or undefined: the one rule of the settings, the props and the
 * function. https only (loopback allowed for tests), like the API base URL, and no `user:pass@`:
 * fetch refuses to build a request from a URL with credentials, so such a webhook never delivers.
 */
export function webhookUrlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return `"${value}" is not a URL`;
  const url = new URL(value);
  if (!isSecureUrl(url)) return 'must be https:// (http:// only for localhost)';
  if (url.username || url.password) {
    return 'must not carry a user name or password (user:pass@): fetch refuses such a URL; the receiver checks the signature instead';
  }
  return undefined;
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
