import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createAdminKeySource } from '../functions/report/adapters/admin-key';
import { checkBaseUrl, DEFAULT_BASE_URL, DEFAULT_CONCURRENCY } from '../functions/report/config';
import { awsSetupAdvice, ReportError, rootCause } from '../functions/report/errors';

/** A command-line mistake: one line a person reads at once, with where the help is. */
export class UsageError extends Error {}

/** The flags every command that reads the API takes. */
export interface AccessFlags {
  readonly 'secret-id'?: string;
  readonly 'base-url'?: string;
  readonly concurrency?: string;
}

/** The admin key's source, the API's URL and the requests in flight, from the flags and environment. */
export function adminAccess(values: AccessFlags, env: NodeJS.ProcessEnv) {
  const concurrency = Number(values.concurrency ?? DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError('--concurrency must be a whole number from 1 to 32');
  }
  const secretId = values['secret-id'];
  const envKey = env.OPENAI_ADMIN_KEY?.trim();
  if (!secretId && !envKey)
    throw new UsageError('no admin key: set OPENAI_ADMIN_KEY or pass --secret-id NAME');
  const keySource = secretId
    ? createAdminKeySource(new SecretsProvider({ awsSdkV3Client: new SecretsManagerClient({}) }), secretId)
    : async () => envKey as string;
  return {
    keySource,
    concurrency,
    baseUrl: values['base-url']
      ? checkBaseUrl(values['base-url'], '--base-url')
      : checkBaseUrl(env.OPENAI_BASE_URL || DEFAULT_BASE_URL, 'OPENAI_BASE_URL'),
  };
}

/** The error in a sentence that says what to do; SDK errors never reach the user without one. */
export function explain(error: unknown): string {
  if (error instanceof ReportError) return error.message;
  const root = rootCause(error) as Error;
  const said = `${root.name}: ${root.message}`;
  const advice = awsSetupAdvice(error);
  return advice ? `${advice} (${said})` : said;
}
