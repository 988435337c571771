/** What stands in for a redacted secret. */
export const REDACTED = '[redacted]';

// An OpenAI key (sk-…, sk-admin-…, sk-proj-…) and any bearer token, wherever a server or proxy echoes them.
const OPENAI_KEY = /sk-[A-Za-z0-9_-]{8,}/g;
const BEARER_TOKEN = /(Bearer\s+)[^\s"',;]+/gi;

/**
 * Removes `secrets` (the admin key, known exactly) and anything shaped like an OpenAI key or a
 * bearer token from text that may reach a log, an error, a result or an email.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join(REDACTED);
  return out.replace(BEARER_TOKEN, `$1${REDACTED}`).replace(OPENAI_KEY, REDACTED);
}
