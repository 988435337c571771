import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ADMIN_KEYS_URL, awsSetupAdvice, rootCause, SecretError } from '../errors';

/** How long a warm function reuses the key before asking Secrets Manager again. */
export const ADMIN_KEY_MAX_AGE_SECONDS = 300;

const KEY_FIELDS = ['apiKey', 'api_key', 'OPENAI_ADMIN_KEY', 'adminKey', 'admin_key', 'key'];

/**
 * Reads the OpenAI admin key from Secrets Manager through Powertools' provider, which caches it
 * across warm invocations for ADMIN_KEY_MAX_AGE_SECONDS.
 */
export function createAdminKeySource(
  provider: Pick<SecretsProvider, 'get'>,
  secretId: string,
): () => Promise<string> {
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: ADMIN_KEY_MAX_AGE_SECONDS });
    } catch (error) {
      throw new SecretError(secretAdvice(error, secretId), { cause: error });
    }
    const text =
      typeof value === 'string'
        ? value
        : value instanceof Uint8Array
          ? Buffer.from(value).toString('utf8')
          : '';
    return extractKey(text, secretId);
  };
}

/** The key from a plain secret string, or from a JSON object holding it. Never echoes the value. */
export function extractKey(secretString: string, secretId: string): string {
  const text = secretString.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new SecretError(`the admin key secret "${secretId}" looks like JSON but does not parse`);
    }
    const record = (parsed ?? {}) as Record<string, unknown>;
    const named = KEY_FIELDS.map((field) => record[field]).find((v) => typeof v === 'string' && v.trim());
    const values = Object.values(record);
    const only = values.length === 1 && typeof values[0] === 'string' ? values[0] : undefined;
    const key = (named as string | undefined) ?? only;
    if (!key?.trim()) {
      throw new SecretError(
        `the admin key secret "${secretId}" is JSON without a key field (expected one of ${KEY_FIELDS.slice(0, 3).join(', ')})`,
      );
    }
    return checkKey(key.trim(), secretId);
  }
  if (!text) throw new SecretError(`the admin key secret "${secretId}" is empty`);
  return checkKey(text, secretId);
}

/**
 * A key goes into an HTTP header: whitespace, control characters or quotes inside it are a broken
 * secret (a pasted line break, a JSON string stored with its quotes), reported as such and never
 * retried as a network error. The message says what is wrong, never the value.
 */
function checkKey(key: string, secretId: string): string {
  const problem = /\s/.test(key)
    ? 'whitespace'
    : /\p{Cc}/u.test(key)
      ? 'a control character'
      : /["'`]/.test(key)
        ? 'a quote'
        : /[^\x21-\x7e]/.test(key)
          ? 'a character that is not printable ASCII'
          : undefined;
  if (problem) {
    throw new SecretError(
      `the admin key in secret "${secretId}" contains ${problem}; store the key alone (sk-admin-…)`,
    );
  }
  return key;
}

/** Why the secret could not be read, and what to do; the SDK's own words follow. */
function secretAdvice(error: unknown, secretId: string): string {
  // Powertools wraps the SDK error; the SDK's name (ResourceNotFoundException, AccessDeniedException…) is what helps.
  const root = rootCause(error);
  const said = root instanceof Error ? `${root.name}: ${root.message}` : String(root);
  const head = `could not read the admin key secret "${secretId}"`;
  const setup = awsSetupAdvice(error);
  if (setup) return `${head}: ${setup} (${said})`;
  if (root instanceof Error && root.name === 'ResourceNotFoundException') {
    return `${head}: there is no such secret in this account and region; create it with \`aws secretsmanager create-secret --name ${secretId} --secret-string sk-admin-…\` (an organization admin key from ${ADMIN_KEYS_URL}) (${said})`;
  }
  if (root instanceof Error && /AccessDenied/.test(root.name)) {
    return `${head}: this role may not read it, or not decrypt it; a customer managed key must be named in the secretKmsKeyArn setting (${said})`;
  }
  return `${head}: ${said}`;
}
