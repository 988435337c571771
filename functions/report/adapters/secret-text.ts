import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { awsSetupAdvice, rootCause, SecretError } from '../errors';

/** How long a warm function reuses a secret before asking Secrets Manager again. */
export const SECRET_MAX_AGE_SECONDS = 300;

/** How errors name a secret, and what `create-secret` should store in it. */
export interface SecretLabel {
  /** `the admin key secret`, `the secret` */
  readonly what: string;
  /** The value to show in the `create-secret` hint, e.g. `sk-admin-…`. */
  readonly example: string;
  /** Where such a value comes from, after the hint. */
  readonly source?: string;
}

const ANY_SECRET: SecretLabel = { what: 'the secret', example: '…' };

/**
 * Reads a secret's text through Powertools' provider, which caches it across warm invocations;
 * errors name the secret and say what to do, never its value. Empty or unreadable values give ''.
 */
export function createSecretReader(
  provider: Pick<SecretsProvider, 'get'>,
  label: SecretLabel = ANY_SECRET,
): (secretId: string) => Promise<string> {
  return async (secretId) => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw new SecretError(secretAdvice(error, secretId, label), { cause: error });
    }
    if (typeof value === 'string') return value;
    return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : '';
  };
}

/** Why the secret could not be read, and what to do; the SDK's own words follow. */
function secretAdvice(error: unknown, secretId: string, label: SecretLabel): string {
  // Powertools wraps the SDK error; the SDK's name (ResourceNotFoundException, AccessDeniedException…) is what helps.
  const root = rootCause(error);
  const said = root instanceof Error ? `${root.name}: ${root.message}` : String(root);
  const head = `could not read ${label.what} "${secretId}"`;
  const setup = awsSetupAdvice(error);
  if (setup) return `${head}: ${setup} (${said})`;
  if (root instanceof Error && root.name === 'ResourceNotFoundException') {
    return `${head}: there is no such secret in this account and region; create it with \`aws secretsmanager create-secret --name ${secretId} --secret-string ${label.example}\`${label.source ? ` (${label.source})` : ''} (${said})`;
  }
  if (root instanceof Error && /AccessDenied/.test(root.name)) {
    return `${head}: this role may not read it, or not decrypt it; a customer managed key must be named in the secretKmsKeyArn setting (${said})`;
  }
  return `${head}: ${said}`;
}

/** A webhook URL stored as the secret itself, or as JSON `{"url": "…"}`. Never echoed. */
export function webhookUrlOf(text: string, secretId: string): string {
  const trimmed = text.trim();
  let url = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      // Stryker disable next-line StringLiteral: whatever stands in for a missing url fails the URL check below
      url = String((JSON.parse(trimmed) as { url?: unknown }).url ?? '');
    } catch {
      throw new SecretError(`the secret "${secretId}" looks like JSON but does not parse`);
    }
  }
  if (!/^https?:\/\/\S+$/.test(url))
    throw new SecretError(`the secret "${secretId}" does not hold a webhook URL`);
  return url;
}

/** The webhook's HMAC key: the secret's text, trimmed; an empty key would sign nothing worth checking. */
export function signingKeyOf(text: string, secretId: string): string {
  const key = text.trim();
  if (!key) throw new SecretError(`the secret "${secretId}" is empty`);
  return key;
}
