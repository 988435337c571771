import { describe, expect, it } from 'vitest';
import { createAdminKeySource, extractKey } from '../../functions/report/adapters/admin-key';
import { parseRetryAfter } from '../../functions/report/adapters/usage-api';
import { thrownBy } from '../support/thrown';

describe('Function: extractKey', () => {
  it.each([
    ['sk-admin-abc', 'sk-admin-abc'],
    ['  sk-admin-abc\n', 'sk-admin-abc'],
    ['{"apiKey":"sk-admin-1"}', 'sk-admin-1'],
    ['{"api_key":"sk-admin-2","note":"x"}', 'sk-admin-2'],
    ['{"OPENAI_ADMIN_KEY":"sk-admin-3"}', 'sk-admin-3'],
    ['{"whatever":"sk-admin-4"}', 'sk-admin-4'],
    ['{"adminKey":"sk-admin-5","note":"x"}', 'sk-admin-5'],
    ['{"admin_key":"sk-admin-6","note":"x"}', 'sk-admin-6'],
    ['{"key":"sk-admin-7","note":"x"}', 'sk-admin-7'],
    ['{"apiKey":"sk-admin-8","note":"x"}', 'sk-admin-8'],
    ['{"OPENAI_ADMIN_KEY":"sk-admin-9","note":"x"}', 'sk-admin-9'],
    ['{"apiKey":"  ","key":"sk-admin-10"}', 'sk-admin-10'],
    ['{"apiKey":" sk-admin-11 "}', 'sk-admin-11'],
  ])('reads %s', (secret, key) => {
    expect(extractKey(secret, 'id')).toBe(key);
  });

  it.each([
    ['', 'is empty'],
    ['{"a":"1","b":"2"}', 'is JSON without a key field (expected one of apiKey, api_key, OPENAI_ADMIN_KEY)'],
    ['{"a":5}', 'is JSON without a key field'],
    ['{"a":"  "}', 'is JSON without a key field'],
    ['{not json', 'does not parse'],
    ['two words', 'contains whitespace'],
    ['{"apiKey":"sk-admin-a b"}', 'contains whitespace'],
    ['sk-admin-\u0000abc', 'contains a control character'],
    ['{"apiKey":"sk-admin-\\u007fabc"}', 'contains a control character'],
    ['"sk-admin-quoted"', 'contains a quote'],
    ["sk-admin-it's", 'contains a quote'],
    ['sk-admin-`x`', 'contains a quote'],
    ['sk-admin-café', 'a character that is not printable ASCII'],
  ])('refuses %j without echoing it', (secret, message) => {
    const error = thrownBy(() => extractKey(secret, 'openai/admin-key'));
    expect(error?.message).toContain(message);
    expect(error?.message).toContain('"openai/admin-key"');
    if (secret) expect(error?.message).not.toContain(secret);
  });
});

describe('Function: parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-23T07:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 07:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('Function: createAdminKeySource', () => {
  it('asks for the secret with a 5-minute cache, and reads a binary secret as UTF-8', async () => {
    const calls: unknown[][] = [];
    const source = createAdminKeySource(
      {
        get: (async (...args: unknown[]) => {
          calls.push(args);
          return new TextEncoder().encode('sk-admin-binary');
        }) as never,
      },
      'openai/admin-key',
    );
    expect(await source()).toBe('sk-admin-binary');
    expect(calls).toEqual([['openai/admin-key', { maxAge: 300 }]]);
  });

  it('reads anything but text or bytes as an empty secret', async () => {
    const source = createAdminKeySource({ get: (async () => 42) as never }, 'id');
    await expect(source()).rejects.toThrow('the admin key secret "id" is empty');
  });

  it('names the secret and the AWS error, keeping it as the cause', async () => {
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    const wrapped = new Error('could not get', { cause: denied });
    const source = createAdminKeySource({ get: (async () => Promise.reject(wrapped)) as never }, 'id');
    const error = (await source().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe(
      'could not read the admin key secret "id": this role may not read it, or not decrypt it; a customer managed key must be named in the secretKmsKeyArn setting (AccessDeniedException: not allowed)',
    );
    expect(error.cause).toBe(wrapped);
  });

  it.each([
    [
      'ThrottlingException',
      'slow down',
      'could not read the admin key secret "id": ThrottlingException: slow down',
    ],
    ['Error', 'Region is missing', 'could not read the admin key secret "id": no AWS region: set AWS_REGION'],
    [
      'CredentialsProviderError',
      'Could not load credentials from any providers',
      'no AWS credentials: run `aws configure`',
    ],
    [
      'ExpiredTokenException',
      'expired',
      'AWS rejected the credentials (ExpiredTokenException): refresh them',
    ],
  ])('says what to do about %s', async (name, message, expected) => {
    const error = Object.assign(new Error(message), { name });
    const source = createAdminKeySource({ get: (async () => Promise.reject(error)) as never }, 'id');
    expect(((await source().catch((e: unknown) => e)) as Error).message).toContain(expected);
  });
});
