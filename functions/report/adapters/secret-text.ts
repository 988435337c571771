import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretError } from '../errors';
import { ADMIN_KEY_MAX_AGE_SECONDS } from './admin-key';

/** Reads a secret's text through Powertools (cached for warm starts); errors name the secret, never its value. */
export function createSecretReader(
  provider: Pick<SecretsProvider, 'get'>,
): (secretId: string) => Promise<string> {
  return async (secretId) => {
    let value: unknown;
    try {
      value = await provider.get(secretId, { maxAge: ADMIN_KEY_MAX_AGE_SECONDS });
    } catch (error) {
      throw new SecretError(`could not read the secret "${secretId}"`, { cause: error });
    }
    if (typeof value === 'string' && value.trim()) return value;
    if (value instanceof Uint8Array && value.byteLength) return Buffer.from(value).toString('utf8');
    throw new SecretError(`the secret "${secretId}" is empty`);
  };
}

/** A webhook URL stored as the secret itself, or as JSON `{"url": "…"}`. Never echoed. */
export function webhookUrlOf(text: string, secretId: string): string {
  const trimmed = text.trim();
  let url = trimmed;
  if (trimmed.startsWith('{')) {
    try {
      url = String((JSON.parse(trimmed) as { url?: unknown }).url ?? '');
    } catch {
      throw new SecretError(`the secret "${secretId}" looks like JSON but does not parse`);
    }
  }
  if (!/^https?:\/\/\S+$/.test(url))
    throw new SecretError(`the secret "${secretId}" does not hold a webhook URL`);
  return url;
}
