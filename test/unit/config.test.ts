import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      budgets: { projects: {} },
      budgetWarnAt: 0.8,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.budgets)).toBe(true);
    expect(Object.isFrozen(config.budgets.projects)).toBe(true);
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
    [{ REPORT_TIMEZONE: '+02:00' }, 'REPORT_TIMEZONE: "+02:00" is not an IANA time zone'],
    [{ REPORT_TIMEZONE: 'EST' }, 'REPORT_TIMEZONE: "EST" is not an IANA time zone'],
    [
      { WEBHOOK_URL: 'https://user:pass@hooks.example.com/usage', WEBHOOK_SIGNING_SECRET_ID: 'k' },
      'WEBHOOK_URL: must not carry a user name or password',
    ],
    [
      {
        ROUTES:
          '[{"name":"a","project_ids":["p1"],"webhook_url":"https://u:p@h.example/x","webhook_signing_secret_id":"k"}]',
      },
      'ROUTES[0].webhook_url: must not carry a user name or password',
    ],
    [
      { ROUTES: '[{"name":"a","project_ids":["p1"],"recipients":["x@other.example"]}]' },
      'ROUTES[0].recipients: x@other.example is outside ALLOWED_RECIPIENT_DOMAINS (example.com)',
    ],
  ])('refuses %j, naming the variable', (extra, message) => {
    expect(() => loadConfig({ ...ENV, ...extra })).toThrow(message);
  });

  describe('budgets', () => {
    const BUDGETS = { organization_usd: 500, projects: { proj_a: 120, 'proj-b_2': 80.5 } };

    it("reads BUDGETS, BUDGET_WARN_AT and a route's monthly_budget_usd", () => {
      const config = loadConfig({
        ...ENV,
        BUDGETS: JSON.stringify(BUDGETS),
        BUDGET_WARN_AT: '0.9',
        ROUTES:
          '[{"name":"a","project_ids":["proj_a"],"recipients":["r@example.com"],"monthly_budget_usd":300}]',
      });
      expect(config.budgets).toEqual({ organizationUsd: 500, projects: { proj_a: 120, 'proj-b_2': 80.5 } });
      expect(config.budgetWarnAt).toBe(0.9);
      expect(config.routes[0]?.monthlyBudgetUsd).toBe(300);
      expect(loadConfig({ ...ENV, BUDGET_WARN_AT: '1' }).budgetWarnAt).toBe(1);
      expect(loadConfig({ ...ENV, BUDGETS: '{"projects":{"p1":1}}' }).budgets).toEqual({
        projects: { p1: 1 },
      });
      expect(
        loadConfig({ ...ENV, ROUTES: '[{"name":"a","project_ids":["p1"]}]' }).routes[0],
      ).not.toHaveProperty('monthlyBudgetUsd');
    });

    it('reads the budgets from the file BUDGETS_FILE names, beside the function (LAMBDA_TASK_ROOT)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'budgets-'));
      writeFileSync(join(dir, 'budgets.json'), JSON.stringify(BUDGETS));
      expect(loadConfig({ ...ENV, BUDGETS_FILE: 'budgets.json', LAMBDA_TASK_ROOT: dir }).budgets).toEqual({
        organizationUsd: 500,
        projects: { proj_a: 120, 'proj-b_2': 80.5 },
      });
      // BUDGETS, when set, wins: tests and manual configuration need no file.
      expect(
        loadConfig({ ...ENV, BUDGETS: '{"organization_usd":7}', BUDGETS_FILE: '/nonexistent/budgets.json' })
          .budgets,
      ).toEqual({ organizationUsd: 7, projects: {} });
      expect(() => loadConfig({ ...ENV, BUDGETS_FILE: 'missing.json', LAMBDA_TASK_ROOT: dir })).toThrow(
        `BUDGETS_FILE: cannot read ${join(dir, 'missing.json')}`,
      );
      writeFileSync(join(dir, 'bad.json'), '{"projects":{"proj_x":"lots"}}');
      expect(() => loadConfig({ ...ENV, BUDGETS_FILE: 'bad.json', LAMBDA_TASK_ROOT: dir })).toThrow(
        'BUDGETS.projects.proj_x: must be a positive number of US dollars',
      );
    });

    it.each([
      [{ BUDGETS: '{' }, 'BUDGETS: is not JSON'],
      [{ BUDGETS: '[500]' }, 'BUDGETS: must be a JSON object of organization_usd and projects'],
      [{ BUDGETS: '500' }, 'BUDGETS: must be a JSON object of organization_usd and projects'],
      [
        { BUDGETS: '{"organization_usd":0}' },
        'BUDGETS.organization_usd: must be a positive number of US dollars',
      ],
      [{ BUDGETS: '{"organization_usd":"500"}' }, 'BUDGETS.organization_usd: must be a positive number'],
      [
        { BUDGETS: '{"projects":{"proj_x":-1}}' },
        'BUDGETS.projects.proj_x: must be a positive number of US dollars',
      ],
      [{ BUDGETS: '{"projects":{"proj_x":null}}' }, 'BUDGETS.projects.proj_x: must be a positive number'],
      [
        { BUDGETS: '{"projects":["proj_x"]}' },
        'BUDGETS.projects: must be a JSON object of project ids to US dollars',
      ],
      [
        { BUDGETS: '{"projects":{"not a project":5}}' },
        'BUDGETS.projects: "not a project" is not a project id',
      ],
      [
        { BUDGETS: '{"organisation_usd":5}' },
        'BUDGETS.organisation_usd: unknown key (organization_usd, projects)',
      ],
      [{ BUDGET_WARN_AT: '0' }, 'BUDGET_WARN_AT: must be a fraction above 0 and at most 1'],
      [{ BUDGET_WARN_AT: '1.5' }, 'BUDGET_WARN_AT: must be a fraction above 0 and at most 1'],
      [{ BUDGET_WARN_AT: '80%' }, 'BUDGET_WARN_AT: must be a fraction above 0 and at most 1'],
      [
        {
          ROUTES: '[{"name":"a","project_ids":["p1"],"recipients":["r@example.com"],"monthly_budget_usd":0}]',
        },
        'ROUTES[0].monthly_budget_usd: must be a positive number of US dollars',
      ],
      [
        {
          ROUTES:
            '[{"name":"a","project_ids":["p1"],"recipients":["r@example.com"],"monthly_budget_usd":"9"}]',
        },
        'ROUTES[0].monthly_budget_usd: must be a positive number of US dollars',
      ],
    ])('refuses %j, naming the variable and field', (extra, message) => {
      const error = thrownBy(() => loadConfig({ ...ENV, ...extra }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error?.message).toContain(message);
    });
  });

  it('canonicalises REPORT_TIMEZONE to its IANA name', () => {
    expect(loadConfig({ ...ENV, REPORT_TIMEZONE: 'europe/berlin' }).timeZone).toBe('Europe/Berlin');
    expect(loadConfig({ ...ENV, REPORT_TIMEZONE: 'Asia/Kolkata' }).timeZone).toBe('Asia/Kolkata');
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
