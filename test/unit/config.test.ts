import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/report/config';
import { ConfigError } from '../../functions/report/errors';
import { thrownBy } from '../support/thrown';

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
      concurrency: 16,
      requestTimeoutMs: 20_000,
      allowedRecipientDomains: ['example.com'],
      thresholds: { factor: 3, minSessions: 50 },
      quiet: false,
      channels: {},
      routes: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the unusual thresholds and QUIET', () => {
    expect(
      loadConfig({
        ...ENV,
        UNUSUAL_FACTOR: '2.5',
        UNUSUAL_MIN_SESSIONS: '20',
        ALERT_COST_USD: '12.5',
        QUIET: 'true',
      }),
    ).toMatchObject({ thresholds: { factor: 2.5, minSessions: 20, alertCostUsd: 12.5 }, quiet: true });
  });

  it.each([
    [{ UNUSUAL_FACTOR: '1' }, 'UNUSUAL_FACTOR: must be a number above 1'],
    [{ UNUSUAL_FACTOR: 'x3' }, 'UNUSUAL_FACTOR: must be a number above 1'],
    [{ UNUSUAL_MIN_SESSIONS: '0' }, 'UNUSUAL_MIN_SESSIONS: must be a whole number of sessions, at least 1'],
    [{ UNUSUAL_MIN_SESSIONS: '2.5' }, 'UNUSUAL_MIN_SESSIONS: must be a whole number'],
    [{ ALERT_COST_USD: '-5' }, 'ALERT_COST_USD: must be a positive number of US dollars'],
    [{ ALERT_COST_USD: 'ten' }, 'ALERT_COST_USD: must be a positive number of US dollars'],
    [{ QUIET: 'yes' }, 'QUIET: must be true or false'],
    [{ ROUTES: '{' }, 'ROUTES: is not JSON'],
    [{ ROUTES: '[{"project_ids":["p1"]}]' }, 'ROUTES[0].name: required'],
    [{ ROUTES: '[{"name":"a","project_ids":[]}]' }, 'ROUTES[0].project_ids: must name at least one project'],
    [
      { ROUTES: '[{"name":"a","project_ids":["p1"],"webhook_url":"https://h.example/x"}]' },
      'ROUTES[0].webhook_signing_secret_id: required with the webhook URL',
    ],
    [
      { WEBHOOK_URL: 'https://hooks.example.com/usage' },
      'WEBHOOK_SIGNING_SECRET_ID: required with the webhook URL',
    ],
    [
      { WEBHOOK_URL: 'http://hooks.example.com/usage', WEBHOOK_SIGNING_SECRET_ID: 'k' },
      'WEBHOOK_URL: must be https://',
    ],
  ])('refuses %j, naming the variable', (extra, message) => {
    expect(() => loadConfig({ ...ENV, ...extra })).toThrow(message);
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
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1'],
    ['http://localhost:8080/v1', 'http://localhost:8080/v1'],
    ['http://[::1]:8080/v1', 'http://[::1]:8080/v1'],
  ])('takes %s as the API base URL', (url, baseUrl) => {
    expect(loadConfig({ ...ENV, OPENAI_BASE_URL: url }).baseUrl).toBe(baseUrl);
  });

  it('takes a sender with a display name, the edges of every number, and trims trailing slashes', () => {
    const config = loadConfig({
      ...ENV,
      REPORT_SENDER: 'Usage Digest <digest@example.com>',
      USAGE_CONCURRENCY: '32',
      USAGE_REQUEST_TIMEOUT_MS: '100',
      OPENAI_BASE_URL: 'https://api.openai.com/v1///',
    });
    expect(config).toMatchObject({
      concurrency: 32,
      requestTimeoutMs: 100,
      baseUrl: 'https://api.openai.com/v1',
    });
    expect(loadConfig({ ...ENV, USAGE_CONCURRENCY: '1' }).concurrency).toBe(1);
    expect(
      loadConfig({ ...ENV, ALLOWED_RECIPIENT_DOMAINS: 'example.com,a.example' }).allowedRecipientDomains,
    ).toEqual(['example.com', 'a.example']);
  });

  it('reports recipients at fault as a configuration error', () => {
    const error = thrownBy(() => loadConfig({ ...ENV, REPORT_RECIPIENTS: 'nope' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.message).toBe('REPORT_RECIPIENTS: "nope" is not an email address');
  });

  it('takes an allow-list of recipient domains, lower case, that holds the configured recipients', () => {
    const config = loadConfig({
      ...ENV,
      ALLOWED_RECIPIENT_DOMAINS: 'Example.COM, partner.example ,example.com',
    });
    expect(config.allowedRecipientDomains).toEqual(['example.com', 'partner.example']);
    expect(
      loadConfig({ ...ENV, REPORT_RECIPIENTS: 'a@x.example,b@y.example,c@x.example' })
        .allowedRecipientDomains,
    ).toEqual(['x.example', 'y.example']);
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
    [{ ...ENV, OPENAI_BASE_URL: 'ftp://x' }, 'OPENAI_BASE_URL: "ftp://x" must be https://'],
    [
      { ...ENV, OPENAI_BASE_URL: 'http://api.openai.com/v1' },
      'OPENAI_BASE_URL: "http://api.openai.com" must be https://',
    ],
    [{ ...ENV, OPENAI_BASE_URL: 'http://127.0.0.2/v1' }, 'must be https://'],
    [{ ...ENV, OPENAI_BASE_URL: 'http://localhost.evil.example/v1' }, 'must be https://'],
    [{ ...ENV, OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL: "not a url" is not a URL'],
    [
      { ...ENV, OPENAI_BASE_URL: 'https://user:pw@proxy.example/v1' },
      'without credentials, query or fragment',
    ],
    [{ ...ENV, OPENAI_BASE_URL: 'https://proxy.example/v1?x=1' }, 'without credentials'],
    [{ ...ENV, OPENAI_BASE_URL: 'https://proxy.example/v1#top' }, 'without credentials'],
    [
      { ...ENV, ALLOWED_RECIPIENT_DOMAINS: 'example.org' },
      'ALLOWED_RECIPIENT_DOMAINS: must include the domain of every recipient (a@example.com, b@example.com)',
    ],
    [
      { ...ENV, ALLOWED_RECIPIENT_DOMAINS: 'example.com,not a domain' },
      'ALLOWED_RECIPIENT_DOMAINS: "not a domain" is not a domain',
    ],
    [
      { ...ENV, ALLOWED_RECIPIENT_DOMAINS: ' , ' },
      'ALLOWED_RECIPIENT_DOMAINS: must name at least one domain',
    ],
    [{ ...ENV, USAGE_REQUEST_TIMEOUT_MS: '99' }, 'USAGE_REQUEST_TIMEOUT_MS'],
    [{ ...ENV, USAGE_CONCURRENCY: '33' }, 'USAGE_CONCURRENCY'],
    [{ ...ENV, USAGE_CONCURRENCY: '1.5' }, 'USAGE_CONCURRENCY'],
    [{ ...ENV, USAGE_CONCURRENCY: '0' }, 'USAGE_CONCURRENCY'],
    [
      { ...ENV, REPORT_RECIPIENTS: 'a@example.com,ü@example.com' },
      'REPORT_RECIPIENTS: "ü@example.com" is not ASCII',
    ],
  ])('names the variable at fault: %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });
});
