import { redactSecrets } from './core/redact';

/**
 * Named errors of the report. Each sets `name` and keeps `cause`, so logs show the chain while
 * messages stay safe to print: none of them ever carries the admin key.
 */
export class ReportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The event or CLI input is invalid; `field` names the offending input. */
export class InputError extends ReportError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A required environment variable is missing or malformed. */
export class ConfigError extends ReportError {}

/** The admin key secret could not be read or holds no usable key. */
export class SecretError extends ReportError {}

/** The usage API refused the admin key (401/403): retrying cannot help. */
export class AuthError extends ReportError {
  constructor(
    readonly status: number,
    api: 'usage' | 'costs' | 'projects' = 'usage',
  ) {
    super(
      `the OpenAI admin key was rejected (${status}): the ${api} API takes only an organization admin key (sk-admin-…), which an organization owner creates at ${ADMIN_KEYS_URL}; a project or user key is refused`,
    );
  }
}

/** The usage API kept failing, or answered something we cannot use. */
export class UsageApiError extends ReportError {
  /** The HTTP status of an answer that is not retried (e.g. 404), when such an answer is what failed. */
  declare readonly status?: number;

  constructor(message: string, options?: ErrorOptions & { readonly status?: number }) {
    super(message, options);
    if (options?.status !== undefined) Object.assign(this, { status: options.status });
  }
}

/** The API's pagination broke its own contract (looping or missing cursor, too many pages). */
export class PaginationError extends ReportError {}

/**
 * A sum of the APIs' figures is past what a number holds (cost beyond Number.MAX_VALUE, sessions
 * beyond Number.MAX_SAFE_INTEGER): no digest can show it truthfully. `field` names the sum.
 */
export class SumOverflowError extends ReportError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * Another delivery of the same digest holds the in-progress record. Thrown, not swallowed, so that
 * Lambda's retry comes back: only a completed record means "already sent".
 */
export class DeliveryInProgressError extends ReportError {
  readonly retryable = true;
}

/** A chat or webhook channel failed; names the channel, never its URL (a credential). */
export class ChannelError extends ReportError {
  constructor(
    readonly channel: string,
    message: string,
  ) {
    super(`${channel}: ${message}`);
  }
}

/** One or more channels failed after every channel was tried; the others were delivered. */
export class DeliveryError extends ReportError {
  constructor(readonly failures: readonly Error[]) {
    super(
      `delivery failed on ${failures.length === 1 ? 'one channel' : `${failures.length} channels`}: ${failures.map((f) => f.message).join('; ')}`,
    );
  }
}

/** SES refused or failed the digest; the message says what to do about it. */
export class MailError extends ReportError {}

/** Where an organization owner creates the admin key the usage and costs APIs need. */
export const ADMIN_KEYS_URL = 'https://platform.openai.com/settings/organization/admin-keys';

/** The error at the bottom of a chain of causes: what a wrapper (Powertools, the SDK) wraps. */
export function rootCause(error: unknown): unknown {
  const seen = new Set<unknown>();
  let current = error;
  while (current instanceof Error && current.cause instanceof Error && !seen.has(current)) {
    seen.add(current);
    current = current.cause;
  }
  return current;
}

/**
 * What to do about an AWS SDK error that is about the caller's setup rather than one service:
 * no region, no credentials, rejected or expired credentials. Undefined for anything else.
 */
export function awsSetupAdvice(error: unknown): string | undefined {
  const root = rootCause(error);
  if (!(root instanceof Error)) return undefined;
  if (/region is missing/i.test(root.message)) {
    return 'no AWS region: set AWS_REGION (e.g. export AWS_REGION=eu-west-1) or a region in your AWS profile';
  }
  if (root.name === 'CredentialsProviderError' || /could not load credentials/i.test(root.message)) {
    return 'no AWS credentials: run `aws configure` or `aws sso login`, or set AWS_PROFILE or AWS_ACCESS_KEY_ID';
  }
  if (
    ['UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredTokenException', 'ExpiredToken'].includes(
      root.name,
    )
  ) {
    return `AWS rejected the credentials (${root.name}): refresh them (aws sso login, or new access keys)`;
  }
  return undefined;
}

/** What a log line says of an error: name and message, redacted, no SDK metadata. */
export function errorSummary(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: redactSecrets(error.message) }
    : { name: 'Error', message: redactSecrets(String(error)) };
}

/**
 * Redacts `secrets` from an error's message and stack, and from its causes', in place, so that
 * whatever prints it (the Lambda runtime prints message and stack) cannot show the key.
 */
export function redactError<T>(error: T, secrets: readonly string[] = []): T {
  const seen = new Set<unknown>();
  for (
    let current: unknown = error;
    current instanceof Error && !seen.has(current);
    current = current.cause
  ) {
    seen.add(current);
    current.message = redactSecrets(current.message, secrets);
    if (current.stack) current.stack = redactSecrets(current.stack, secrets);
  }
  return error;
}
