import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { ADMIN_KEYS_URL, SecretError } from '../errors';
import { createSecretReader, type SecretLabel } from './secret-text';

const KEY_FIELDS = ['apiKey', 'api_key', 'OPENAI_ADMIN_KEY', 'adminKey', 'admin_key', 'key'];

const ADMIN_KEY: SecretLabel = {
  what: 'the admin key secret',
  example: 'sk-admin-…',
  source: `an organization admin key from ${ADMIN_KEYS_URL}`,
};

/** Reads the OpenAI admin key from Secrets Manager (cached for warm invocations), checked. */
export function createAdminKeySource(
  provider: Pick<SecretsProvider, 'get'>,
  secretId: string,
): () => Promise<string> {
  const read = createSecretReader(provider, ADMIN_KEY);
  return async () => extractKey(await read(secretId), secretId);
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
