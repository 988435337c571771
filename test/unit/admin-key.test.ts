import { describe, expect, it } from 'vitest';
import { extractKey } from '../../functions/report/adapters/admin-key';
import { parseRetryAfter } from '../../functions/report/adapters/usage-api';

describe('Function: extractKey', () => {
  it.each([
    ['sk-admin-abc', 'sk-admin-abc'],
    ['  sk-admin-abc\n', 'sk-admin-abc'],
    ['{"apiKey":"sk-admin-1"}', 'sk-admin-1'],
    ['{"api_key":"sk-admin-2","note":"x"}', 'sk-admin-2'],
    ['{"OPENAI_ADMIN_KEY":"sk-admin-3"}', 'sk-admin-3'],
    ['{"whatever":"sk-admin-4"}', 'sk-admin-4'],
  ])('reads %s', (secret, key) => {
    expect(extractKey(secret, 'id')).toBe(key);
  });

  it.each([
    ['', 'is empty'],
    ['{"a":"1","b":"2"}', 'is JSON without a key field'],
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
    const error = (() => {
      try {
        extractKey(secret, 'openai/admin-key');
      } catch (e) {
        return e as Error;
      }
    })();
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
