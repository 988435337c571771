import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/report/config';

const ENV = {
  ADMIN_KEY_SECRET_ID: 'openai/admin-key',
  REPORT_SENDER: 'digest@example.com',
  REPORT_RECIPIENTS: 'a@example.com, b@example.com',
};

describe('Function: loadConfig', () => {
  it('reads the contract environment with its defaults, frozen', () => {
    const config = loadConfig(ENV);
    expect(config).toEqual({
      secretId: 'openai/admin-key',
      sender: 'digest@example.com',
      recipients: ['a@example.com', 'b@example.com'],
      timeZone: 'UTC',
      baseUrl: 'https://api.openai.com/v1',
      concurrency: 8,
      requestTimeoutMs: 20_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes the optional variables', () => {
    const config = loadConfig({
      ...ENV,
      REPORT_TIMEZONE: 'Asia/Kathmandu',
      OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1/',
      IDEMPOTENCY_TABLE: 'digest-idempotency',
      USAGE_CONCURRENCY: '12',
    });
    expect(config).toMatchObject({
      timeZone: 'Asia/Kathmandu',
      baseUrl: 'http://127.0.0.1:8080/v1',
      idempotencyTable: 'digest-idempotency',
      concurrency: 12,
    });
  });

  it.each([
    [{ ...ENV, ADMIN_KEY_SECRET_ID: '' }, 'ADMIN_KEY_SECRET_ID: required environment variable is not set'],
    [{ ...ENV, REPORT_SENDER: undefined }, 'REPORT_SENDER: required'],
    [{ ...ENV, REPORT_SENDER: 'digest' }, 'REPORT_SENDER: "digest" is not an email address'],
    [
      { ...ENV, REPORT_RECIPIENTS: 'a@example.com,,nope' },
      'REPORT_RECIPIENTS: "nope" is not an email address',
    ],
    [{ ...ENV, REPORT_TIMEZONE: 'CET+1' }, 'REPORT_TIMEZONE'],
    [{ ...ENV, OPENAI_BASE_URL: 'ftp://x' }, 'OPENAI_BASE_URL'],
    [{ ...ENV, USAGE_CONCURRENCY: '0' }, 'USAGE_CONCURRENCY'],
  ])('names the variable at fault: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
