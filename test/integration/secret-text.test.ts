import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdminKeySource } from '../../functions/report/adapters/admin-key';
import {
  createSecretReader,
  SECRET_MAX_AGE_SECONDS,
  signingKeyOf,
  webhookUrlOf,
} from '../../functions/report/adapters/secret-text';
import { SecretError } from '../../functions/report/errors';
import { LocalSecretsManager } from '../support/local-secrets-manager';
import { thrownBy } from '../support/thrown';

/**
 * Secrets read through Powertools' provider and the real SDK client: from the local Secrets Manager,
 * and from an endpoint answering Secrets Manager's own JSON error documents for what it refuses.
 */
const local = new LocalSecretsManager();
let localUrl = '';
/** The error type the refusing endpoint answers with. */
let refusal = { status: 400, type: 'AccessDeniedException', message: 'not authorized' };
const refusing = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(refusal.status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-errortype': refusal.type,
    });
    res.end(JSON.stringify({ __type: refusal.type, message: refusal.message }));
  });
});
let refusingUrl = '';

beforeAll(async () => {
  localUrl = await local.start();
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  refusingUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await local.stop();
  refusing.closeAllConnections();
  await new Promise<void>((resolve) => refusing.close(() => resolve()));
});
beforeEach(() => {
  local.secrets.clear();
  local.calls.length = 0;
});

/** A fresh provider (a cold start: nothing cached) on `endpoint`. */
const provider = (endpoint: string) =>
  new SecretsProvider({
    awsSdkV3Client: new SecretsManagerClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    }),
  });
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

describe('Function: createSecretReader', () => {
  it('reads the text, and asks Secrets Manager once in five minutes', async () => {
    local.secrets.set('hooks/slack', 'https://hooks.slack.com/services/T/B/x');
    const read = createSecretReader(provider(localUrl));
    expect(await read('hooks/slack')).toBe('https://hooks.slack.com/services/T/B/x');
    expect(await read('hooks/slack')).toBe('https://hooks.slack.com/services/T/B/x');
    expect(local.calls).toEqual(['hooks/slack']);
    expect(SECRET_MAX_AGE_SECONDS).toBe(300);
  });

  it('says how to create a secret that does not exist, keeping the SDK error as the cause', async () => {
    const error = await rejection(createSecretReader(provider(localUrl))('hooks/teams'));
    expect(error).toBeInstanceOf(SecretError);
    expect(error.message).toBe(
      'could not read the secret "hooks/teams": there is no such secret in this account and region; create it with `aws secretsmanager create-secret --name hooks/teams --secret-string …` (ResourceNotFoundException: Secrets Manager can\'t find the specified secret.)',
    );
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('says where an admin key comes from when that secret does not exist', async () => {
    const error = await rejection(createAdminKeySource(provider(localUrl), 'openai/admin-key')());
    expect(error.message).toBe(
      'could not read the admin key secret "openai/admin-key": there is no such secret in this account and region; create it with `aws secretsmanager create-secret --name openai/admin-key --secret-string sk-admin-…` (an organization admin key from https://platform.openai.com/settings/organization/admin-keys) (ResourceNotFoundException: Secrets Manager can\'t find the specified secret.)',
    );
  });

  it('says the role may not read or decrypt a secret it is denied', async () => {
    refusal = { status: 400, type: 'AccessDeniedException', message: 'not authorized' };
    const error = await rejection(createSecretReader(provider(refusingUrl))('hooks/slack'));
    expect(error.message).toBe(
      'could not read the secret "hooks/slack": this role may not read it, or not decrypt it; a customer managed key must be named in the secretKmsKeyArn setting (AccessDeniedException: not authorized)',
    );
  });

  it('passes on any other refusal in the words of the SDK', async () => {
    refusal = { status: 400, type: 'DecryptionFailure', message: 'KMS said no' };
    const error = await rejection(createSecretReader(provider(refusingUrl))('hooks/slack'));
    expect(error.message).toBe('could not read the secret "hooks/slack": DecryptionFailure: KMS said no');
  });

  it('says rejected credentials are a matter of setup', async () => {
    refusal = { status: 400, type: 'UnrecognizedClientException', message: 'bad token' };
    const error = await rejection(createSecretReader(provider(refusingUrl))('hooks/slack'));
    expect(error.message).toBe(
      'could not read the secret "hooks/slack": AWS rejected the credentials (UnrecognizedClientException): refresh them (aws sso login, or new access keys) (UnrecognizedClientException: bad token)',
    );
  });
});

describe('Function: webhookUrlOf', () => {
  it.each([
    ['https://hooks.slack.com/services/T/B/x', 'https://hooks.slack.com/services/T/B/x'],
    ['  http://127.0.0.1:9/hook\n', 'http://127.0.0.1:9/hook'],
    ['{"url":"https://example.com/hook"}', 'https://example.com/hook'],
    [' {"url":"https://example.com/a"} ', 'https://example.com/a'],
  ])('reads %j', (text, url) => {
    expect(webhookUrlOf(text, 'id')).toBe(url);
  });

  it.each([
    ['{"url":', 'the secret "hooks/x" looks like JSON but does not parse'],
    ['{"link":"https://example.com"}', 'the secret "hooks/x" does not hold a webhook URL'],
    ['hooks.slack.com/services/T/B/x', 'the secret "hooks/x" does not hold a webhook URL'],
    ['https://example.com/a b', 'the secret "hooks/x" does not hold a webhook URL'],
    ['ftp://example.com/hook', 'the secret "hooks/x" does not hold a webhook URL'],
    ['see https://example.com/hook', 'the secret "hooks/x" does not hold a webhook URL'],
    ['https://', 'the secret "hooks/x" does not hold a webhook URL'],
  ])('refuses %j without echoing it', (text, message) => {
    const error = thrownBy(() => webhookUrlOf(text, 'hooks/x'));
    expect(error).toBeInstanceOf(SecretError);
    expect(error?.message).toBe(message);
  });
});

describe('Function: signingKeyOf', () => {
  it('reads the key trimmed', () => {
    expect(signingKeyOf('  k3y\n', 'id')).toBe('k3y');
  });

  it('refuses an empty key', () => {
    const error = thrownBy(() => signingKeyOf(' \n', 'hooks/sign'));
    expect(error).toBeInstanceOf(SecretError);
    expect(error?.message).toBe('the secret "hooks/sign" is empty');
  });
});
