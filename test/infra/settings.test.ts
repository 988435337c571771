import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadSettings,
  missingSettings,
  SCHEMA_FILE,
  SettingsError,
  settingsJsonSchema,
} from '../../infra/settings';
import { propsOfSettings, settingsOfProps, type UsageDigestProps } from '../../infra/usage-digest-props';

const ROOT = join(import.meta.dirname, '..', '..');
const BASE = {
  sender: 'digest@example.com',
  recipients: 'ops@example.com,finance@example.com',
  timezone: 'Europe/Berlin',
};
const FILE = {
  sender: 'digest@example.com',
  recipients: ['ops@example.com', 'finance@example.com'],
  timezone: 'Europe/Berlin',
};

const fromContext = (context: Record<string, unknown>) => () => loadSettings({ context }, '2026-11-30');
const fromFile =
  (file: unknown, context: Record<string, unknown> = {}) =>
  () =>
    loadSettings({ file, context }, '2026-11-30');

describe('Function: loadSettings', () => {
  describe('from -c context, as strings', () => {
    it.each([
      [{ ...BASE, sender: 'nobody' }, 'setting "sender" from -c sender: "nobody" is not an email address'],
      [
        { ...BASE, recipients: 'ops@example.com,oops' },
        'setting "recipients" from -c recipients: "oops" is not an email address',
      ],
      [
        { ...BASE, timezone: 'Berlin' },
        'setting "timezone" from -c timezone: "Berlin" is not an IANA time zone',
      ],
      [{ ...BASE, scheduleHour: '24' }, 'setting "scheduleHour" from -c scheduleHour: must be a whole hour'],
      [
        { ...BASE, scheduleHour: 'seven' },
        'setting "scheduleHour" from -c scheduleHour: must be a whole hour',
      ],
      [{ ...BASE, senderIdentity: 'other.org' }, 'setting "senderIdentity" from -c senderIdentity: must be'],
      [
        { ...BASE, createSenderIdentity: 'yes' },
        'setting "createSenderIdentity" from -c createSenderIdentity',
      ],
      [
        { ...BASE, allowedRecipientDomains: 'example.org' },
        'setting "allowedRecipientDomains" from -c allowedRecipientDomains: must include the domain of every recipient (ops@example.com, finance@example.com)',
      ],
      // Refused at synth, not at every cold start of the deployed function.
      [{ ...BASE, allowedRecipientDomains: 'example.com,not a domain' }, '"not a domain" is not a domain'],
      [
        { ...BASE, secretKmsKeyArn: 'alias/openai' },
        'setting "secretKmsKeyArn" from -c secretKmsKeyArn: must be a KMS key ARN',
      ],
      [
        { ...BASE, scheduleHour: '2' },
        'setting "scheduleHour" from -c scheduleHour: 2:00 does not exist in Europe/Berlin on 2027-03-28 (clocks skip it for daylight saving time), so the schedule would skip that day\'s digest; choose another hour, e.g. 3',
      ],
      [
        { ...BASE, timezone: 'America/New_York', scheduleHour: '2' },
        '2:00 does not exist in America/New_York on 2027-03-14',
      ],
      // Havana springs forward at midnight: 00:00 is the hour that is missing there.
      [
        { ...BASE, timezone: 'America/Havana', scheduleHour: '0' },
        '0:00 does not exist in America/Havana on 2027-03-14',
      ],
    ])('rejects %j', (context, message) => {
      expect(fromContext(context)).toThrow(SettingsError);
      expect(fromContext(context)).toThrow(message);
    });

    it.each([
      ['Europe/Berlin', 3],
      ['Europe/Berlin', 1],
      ['America/New_York', 7],
      ['Asia/Kolkata', 2],
      ['UTC', 0],
    ])('takes a schedule hour that exists every day: %s at %i', (timezone, hour) => {
      expect(fromContext({ ...BASE, timezone, scheduleHour: String(hour) })().scheduleHour).toBe(hour);
    });

    it("defaults the allowed recipient domains to the recipients' and takes more", () => {
      expect(fromContext(BASE)().allowedRecipientDomains).toEqual(['example.com']);
      expect(
        fromContext({ ...BASE, allowedRecipientDomains: 'Example.com, partner.example' })()
          .allowedRecipientDomains,
      ).toEqual(['example.com', 'partner.example']);
    });

    it('defaults to UTC at 07:00, the openai/admin-key secret and the UsageDigest stack', () => {
      expect(fromContext({ sender: 'a@example.com', recipients: 'b@example.com' })()).toEqual({
        stackName: 'UsageDigest',
        sender: 'a@example.com',
        recipients: ['b@example.com'],
        allowedRecipientDomains: ['example.com'],
        timeZone: 'UTC',
        scheduleHour: 7,
        secretName: 'openai/admin-key',
        createSenderIdentity: false,
        senderIdentity: 'a@example.com',
        sesSandbox: false,
        unusualFactor: 3,
        unusualMinSessions: 50,
        quiet: false,
        digests: ['daily'],
        channels: {},
        routes: [],
        budgets: { projects: {} },
        budgetWarnAt: 0.8,
      });
    });

    it('reads channels and routes from the file, naming a wrong key by its path', () => {
      const settings = fromFile({
        ...FILE,
        slack: { webhookSecretName: 'usage-digest/slack' },
        webhook: { url: 'https://hooks.example.com/usage', signingSecretName: 'usage-digest/webhook-key' },
        routes: [
          {
            name: 'payments',
            project_ids: ['proj_a', 'proj_b'],
            recipients: ['pay@example.com'],
            teams: { webhookSecretName: 'payments/teams' },
          },
        ],
      })();
      expect(settings.channels).toEqual({
        slack: { webhookSecretName: 'usage-digest/slack' },
        webhook: { url: 'https://hooks.example.com/usage', signingSecretName: 'usage-digest/webhook-key' },
      });
      expect(settings.routes).toEqual([
        {
          name: 'payments',
          project_ids: ['proj_a', 'proj_b'],
          recipients: ['pay@example.com'],
          teams: { webhookSecretName: 'payments/teams' },
        },
      ]);
      expect(
        fromFile({ ...FILE, webhook: { url: 'http://hooks.example.com/x', signingSecretName: 'k' } }),
      ).toThrow('setting "webhook.url" in usage-digest.config.json: must be an https:// URL');
      expect(fromFile({ ...FILE, slack: { url: 'https://hooks.slack.com/services/T/B/x' } })).toThrow(
        'setting "slack.webhookSecretName" in usage-digest.config.json: must be a Secrets Manager secret name',
      );
      expect(fromFile({ ...FILE, routes: [{ name: 'a', project_ids: [] }] })).toThrow(
        'setting "routes[0].project_ids" in usage-digest.config.json: must name at least one project',
      );
      expect(
        fromFile({
          ...FILE,
          routes: [
            { name: 'Team', project_ids: ['p1'], recipients: ['a@example.com'] },
            { name: 'team', project_ids: ['p2'], recipients: ['a@example.com'] },
          ],
        }),
      ).toThrow('setting "routes" in usage-digest.config.json: names the route "team" twice');
      expect(
        fromContext({
          ...BASE,
          routes: '[{"name":"ops","project_ids":["p1"],"slack":{"webhookSecretName":"s"}}]',
        })().routes,
      ).toEqual([{ name: 'ops', project_ids: ['p1'], slack: { webhookSecretName: 's' } }]);
    });

    it('reads the digests to schedule, and refuses unknown or repeated ones', () => {
      expect(fromContext({ ...BASE, digests: 'weekly,monthly' })().digests).toEqual(['weekly', 'monthly']);
      expect(fromFile({ ...FILE, digests: ['daily', 'weekly'] })().digests).toEqual(['daily', 'weekly']);
      expect(fromFile({ ...FILE, digests: ['yearly'] })).toThrow(
        'setting "digests[0]" in usage-digest.config.json: must list daily, weekly or monthly',
      );
      expect(fromFile({ ...FILE, digests: ['daily', 'daily'] })).toThrow('names a digest twice');
      expect(fromFile({ ...FILE, digests: [] })).toThrow('must name at least one digest');
    });

    it('reads the unusual thresholds and quiet from -c, and refuses bad ones naming the key', () => {
      expect(
        fromContext({
          ...BASE,
          unusualFactor: '2.5',
          unusualMinSessions: '20',
          alertCostUsd: '40',
          quiet: 'true',
        })(),
      ).toMatchObject({ unusualFactor: 2.5, unusualMinSessions: 20, alertCostUsd: 40, quiet: true });
      expect(fromContext({ ...BASE, unusualFactor: '1' })).toThrow(
        'setting "unusualFactor" from -c unusualFactor: must be a number above 1',
      );
      expect(fromContext({ ...BASE, unusualMinSessions: '0' })).toThrow('setting "unusualMinSessions"');
      expect(fromContext({ ...BASE, alertCostUsd: '-1' })).toThrow(
        'setting "alertCostUsd" from -c alertCostUsd: must be a positive number of US dollars',
      );
      expect(fromContext({ ...BASE, quiet: 'sometimes' })).toThrow(
        'setting "quiet" from -c quiet: must be true or false',
      );
    });
  });

  describe('budgets of your own', () => {
    const budgets = { organizationUsd: 500, projects: { proj_a: 120, 'proj-b_2': 80.5 } };
    const route = { name: 'pay', project_ids: ['proj_a'], recipients: ['pay@example.com'] };

    it('reads budgets, route budgets and budgetWarnAt from the file', () => {
      const settings = fromFile({
        ...FILE,
        budgets,
        budgetWarnAt: 0.9,
        routes: [{ ...route, monthlyBudgetUsd: 300 }],
      })();
      expect(settings.budgets).toEqual(budgets);
      expect(settings.budgetWarnAt).toBe(0.9);
      expect(settings.routes[0]?.monthlyBudgetUsd).toBe(300);
      expect(fromFile({ ...FILE, budgets: { projects: { proj_a: 1 } } })().budgets).toEqual({
        projects: { proj_a: 1 },
      });
      expect(fromFile({ ...FILE, budgetWarnAt: 1 })().budgetWarnAt).toBe(1);
    });

    it('reads budgets as JSON and budgetWarnAt as a number from -c', () => {
      const settings = fromContext({
        ...BASE,
        budgets: '{"organizationUsd":500}',
        budgetWarnAt: '0.9',
        routes: '[{"name":"ops","project_ids":["p1"],"recipients":["a@example.com"],"monthlyBudgetUsd":40}]',
      })();
      expect(settings.budgets).toEqual({ organizationUsd: 500, projects: {} });
      expect(settings.budgetWarnAt).toBe(0.9);
      expect(settings.routes[0]?.monthlyBudgetUsd).toBe(40);
      expect(fromFile({ ...FILE, budgets }, { budgets: '{"projects":{"proj_z":7}}' })().budgets).toEqual({
        projects: { proj_z: 7 },
      });
    });

    it.each([
      [
        fromFile({ ...FILE, budgets: { organizationUsd: 0 } }),
        'setting "budgets.organizationUsd" in usage-digest.config.json: must be a positive number of US dollars',
      ],
      [
        fromFile({ ...FILE, budgets: { organizationUsd: '500' } }),
        'setting "budgets.organizationUsd" in usage-digest.config.json: must be a positive number of US dollars',
      ],
      [
        fromFile({ ...FILE, budgets: { projects: { proj_x: -3 } } }),
        'setting "budgets.projects.proj_x" in usage-digest.config.json: must be a positive number of US dollars',
      ],
      [
        fromFile({ ...FILE, budgets: { projects: { 'not a project': 3 } } }),
        'setting "budgets.projects" in usage-digest.config.json: "not a project" is not a project id',
      ],
      [
        fromFile({ ...FILE, budgets: { projects: ['proj_a'] } }),
        'setting "budgets.projects" in usage-digest.config.json: must map project ids to US dollars',
      ],
      [
        fromFile({ ...FILE, budgets: 500 }),
        'setting "budgets" in usage-digest.config.json: must be an object',
      ],
      [
        fromFile({ ...FILE, routes: [{ ...route, monthlyBudgetUsd: 0 }] }),
        'setting "routes[0].monthlyBudgetUsd" in usage-digest.config.json: must be a positive number of US dollars',
      ],
      [
        fromFile({ ...FILE, budgetWarnAt: 80 }),
        'setting "budgetWarnAt" in usage-digest.config.json: must be a fraction above 0 and at most 1',
      ],
      [
        fromContext({ ...BASE, budgetWarnAt: '0' }),
        'setting "budgetWarnAt" from -c budgetWarnAt: must be a fraction above 0 and at most 1',
      ],
      [
        fromContext({ ...BASE, budgetWarnAt: 'most' }),
        'setting "budgetWarnAt" from -c budgetWarnAt: must be a fraction above 0 and at most 1',
      ],
      [
        fromContext({ ...BASE, budgets: '{"organizationUsd":-1}' }),
        'setting "budgets.organizationUsd" from -c budgets: must be a positive number of US dollars',
      ],
      [
        fromFile({ ...FILE, budgets: { organisationUsd: 500 } }),
        'unknown setting "budgets.organisationUsd" in usage-digest.config.json: did you mean "budgets.organizationUsd"?',
      ],
      [
        fromContext({ ...BASE, budgets: '{"project":{"p1":5}}' }),
        'unknown setting "budgets.project" from -c budgets: did you mean "budgets.projects"?',
      ],
      [
        fromFile({ ...FILE, routes: [{ ...route, monthlyBudget: 5 }] }),
        'unknown setting "routes[0].monthlyBudget" in usage-digest.config.json: did you mean "routes[0].monthlyBudgetUsd"?',
      ],
      [
        fromContext({ ...BASE, budgetWarn: '0.5' }),
        'unknown setting "budgetWarn" from -c budgetWarn: did you mean "budgetWarnAt"?',
      ],
    ])('refuses a bad budget, naming the key (%#)', (load, message) => {
      expect(load).toThrow(SettingsError);
      expect(load).toThrow(message);
    });
  });

  describe('history', () => {
    const PROPS: UsageDigestProps = { sender: FILE.sender, recipients: FILE.recipients, today: '2026-11-30' };

    it('is off unless set', () => {
      expect(fromFile(FILE)().history).toBeUndefined();
      expect(settingsOfProps(PROPS).history).toBeUndefined();
    });

    it('reads the retention from the file, from -c as JSON or as a dotted key, and from props', () => {
      expect(fromFile({ ...FILE, history: { retentionDays: 730 } })().history).toEqual({
        retentionDays: 730,
      });
      expect(fromContext({ ...BASE, history: '{"retentionDays":400}' })().history).toEqual({
        retentionDays: 400,
      });
      expect(fromContext({ ...BASE, 'history.retentionDays': '90' })().history).toEqual({
        retentionDays: 90,
      });
      // A dotted key overrides that one key of the file's object.
      expect(
        fromFile({ ...FILE, history: { retentionDays: 730 } }, { 'history.retentionDays': '31' })().history,
      ).toEqual({ retentionDays: 31 });
      const settings = settingsOfProps({ ...PROPS, history: { retentionDays: 365 } });
      expect(settings.history).toEqual({ retentionDays: 365 });
      expect(propsOfSettings(settings).history).toEqual({ retentionDays: 365 });
    });

    it.each([
      [
        fromFile({ ...FILE, history: { retentionDays: 0 } }),
        'setting "history.retentionDays" in usage-digest.config.json: must be a whole number of days, at least 1',
      ],
      [
        fromFile({ ...FILE, history: { retentionDays: 1.5 } }),
        'setting "history.retentionDays" in usage-digest.config.json: must be a whole number of days, at least 1',
      ],
      [
        fromFile({ ...FILE, history: {} }),
        'setting "history.retentionDays" in usage-digest.config.json: must be a whole number of days, at least 1',
      ],
      [
        fromFile({ ...FILE, history: true }),
        'setting "history" in usage-digest.config.json: must be an object of retentionDays',
      ],
      [
        fromFile({ ...FILE, histroy: { retentionDays: 30 } }),
        'unknown setting "histroy" in usage-digest.config.json: did you mean "history"?',
      ],
      [
        fromFile({ ...FILE, history: { retentionDay: 30 } }),
        'unknown setting "history.retentionDay" in usage-digest.config.json: did you mean "history.retentionDays"?',
      ],
      [
        fromContext({ ...BASE, 'history.retentionDays': 'forever' }),
        'setting "history.retentionDays" from -c history.retentionDays: must be a whole number of days',
      ],
      [
        fromContext({ ...BASE, 'histroy.retentionDays': '30' }),
        'unknown setting "histroy" from -c histroy.retentionDays: did you mean "history"?',
      ],
      [
        fromContext({ ...BASE, 'history.retentionDay': '30' }),
        'unknown setting "history.retentionDay" from -c history.retentionDay: did you mean "history.retentionDays"?',
      ],
      [
        () => settingsOfProps({ ...PROPS, history: { retentionDay: 30 } } as unknown as UsageDigestProps),
        'props.history.retentionDay is not a prop of UsageDigest: did you mean "retentionDays"?',
      ],
      [
        () => settingsOfProps({ ...PROPS, history: { retentionDays: -1 } }),
        'props.history.retentionDays: must be a whole number of days, at least 1',
      ],
    ])('refuses a bad history setting, naming the key (%#)', (load, message) => {
      expect(load).toThrow(SettingsError);
      expect(load).toThrow(message);
    });
  });

  describe('unknown keys, from every source', () => {
    it.each([
      [
        fromContext({ ...BASE, sesSandBox: 'true' }),
        'unknown setting "sesSandBox" from -c sesSandBox: did you mean "sesSandbox"?',
      ],
      [
        fromContext({ ...BASE, recipent: 'a@b.c' }),
        'unknown setting "recipent" from -c recipent: did you mean "recipients"?',
      ],
      [
        fromContext({ ...BASE, 'schedule-hour': '8' }),
        'unknown setting "schedule-hour" from -c schedule-hour: did you mean "scheduleHour"?',
      ],
      [
        fromFile({ ...FILE, schedulehour: 7 }),
        'unknown setting "schedulehour" in usage-digest.config.json: did you mean "scheduleHour"?',
      ],
      [
        fromFile({ ...FILE, slack: { webhookSecretName: 'usage-digest/slack', channel: '#ops' } }),
        'unknown setting "slack.channel" in usage-digest.config.json: the keys of "slack" are webhookSecretName',
      ],
      [
        fromFile({
          ...FILE,
          routes: [{ name: 'ops', project_ids: ['p1'], slak: { webhookSecretName: 's' } }],
        }),
        'unknown setting "routes[0].slak" in usage-digest.config.json: did you mean "routes[0].slack"?',
      ],
      [
        fromContext({
          ...BASE,
          routes: '[{"name":"ops","project_ids":["p1"],"recipents":["a@example.com"]}]',
        }),
        'unknown setting "routes[0].recipents" from -c routes: did you mean "routes[0].recipients"?',
      ],
      [
        fromFile({ ...FILE, webhook: { url: 'https://h.example/x', signingSecretName: 'k', secret: 'x' } }),
        'unknown setting "webhook.secret" in usage-digest.config.json: the keys of "webhook" are url, signingSecretName',
      ],
      [
        fromFile({ ...FILE, colour: 'red' }),
        'unknown setting "colour" in usage-digest.config.json: the settings are stackName, sender, recipients',
      ],
    ])('refuses an unknown key with its full path and the nearest valid one (%#)', (load, message) => {
      expect(load).toThrow(SettingsError);
      expect(load).toThrow(message);
    });

    it("leaves the CDK's own context alone: feature flags, aws:cdk: keys, cdk.context.json and config", () => {
      expect(
        fromContext({
          ...BASE,
          config: 'other.config.json',
          '@aws-cdk/core:newStyleStackSynthesis': true,
          '@aws-cdk/aws-lambda:recognizeLayerVersion': true,
          'aws:cdk:enable-path-metadata': true,
          'aws:cdk:bundling-stacks': ['**'],
          'aws-cdk:enableDiffNoFail': 'true',
          'acknowledged-issue-numbers': [32775],
          'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
          'cli-telemetry': false,
          'cdk-migrate': true,
        }),
      ).not.toThrow();
    });
  });

  describe('time zones, webhook URLs and routes', () => {
    it.each([
      ['europe/berlin', 'Europe/Berlin'],
      ['AMERICA/NEW_YORK', 'America/New_York'],
      ['Asia/Kolkata', 'Asia/Kolkata'],
      ['utc', 'UTC'],
    ])('takes the time zone %s as its IANA name %s', (timezone, timeZone) => {
      expect(fromContext({ ...BASE, timezone })().timeZone).toBe(timeZone);
      expect(fromFile({ ...FILE, timezone })().timeZone).toBe(timeZone);
    });

    it.each([['+02:00'], ['EST'], ['MST'], ['HST'], ['EST5EDT'], ['Etc/GMT-2'], ['US/Eastern']])(
      'refuses the time zone %s, which names no place',
      (timezone) => {
        expect(fromContext({ ...BASE, timezone })).toThrow(
          `setting "timezone" from -c timezone: "${timezone}"`,
        );
        expect(fromFile({ ...FILE, timezone })).toThrow('setting "timezone" in usage-digest.config.json');
      },
    );

    it('refuses a webhook URL with credentials, which fetch can never send to', () => {
      const url = 'https://user:pass@hooks.example.com/usage';
      expect(fromFile({ ...FILE, webhook: { url, signingSecretName: 'k' } })).toThrow(
        'setting "webhook.url" in usage-digest.config.json: must not carry a user name or password',
      );
      expect(
        fromFile({
          ...FILE,
          routes: [{ name: 'ops', project_ids: ['p1'], webhook: { url, signingSecretName: 'k' } }],
        }),
      ).toThrow(
        'setting "routes[0].webhook.url" in usage-digest.config.json: must not carry a user name or password',
      );
    });

    it('refuses a route that delivers nowhere', () => {
      expect(fromFile({ ...FILE, routes: [{ name: 'ops', project_ids: ['p1'] }] })).toThrow(
        'setting "routes[0]" in usage-digest.config.json: delivers nowhere: give it recipients, slack, teams or webhook',
      );
      expect(fromContext({ ...BASE, routes: '[{"name":"ops","project_ids":["p1"]}]' })).toThrow(
        'setting "routes[0]" from -c routes: delivers nowhere',
      );
    });

    it('holds route recipients to allowedRecipientDomains, whose default takes in their domains', () => {
      const route = { name: 'pay', project_ids: ['p1'], recipients: ['pay@partner.example'] };
      expect(fromFile({ ...FILE, allowedRecipientDomains: ['example.com'], routes: [route] })).toThrow(
        'setting "routes[0].recipients" in usage-digest.config.json: pay@partner.example is outside allowedRecipientDomains (example.com)',
      );
      expect(fromFile({ ...FILE, routes: [route] })().allowedRecipientDomains).toEqual([
        'example.com',
        'partner.example',
      ]);
    });
  });

  describe('from the settings file', () => {
    it('reads every key with its JSON type', () => {
      const settings = fromFile({
        ...FILE,
        scheduleHour: 6,
        sesSandbox: true,
        createSenderIdentity: true,
        alarmEmail: 'oncall@example.com',
        allowedRecipientDomains: ['example.com', 'partner.example'],
        stackName: 'UsageDigestStaging',
      })();
      expect(settings).toMatchObject({
        stackName: 'UsageDigestStaging',
        recipients: ['ops@example.com', 'finance@example.com'],
        scheduleHour: 6,
        sesSandbox: true,
        createSenderIdentity: true,
        alarmEmail: 'oncall@example.com',
        allowedRecipientDomains: ['example.com', 'partner.example'],
      });
    });

    it('lets each -c key override the file, and only that key', () => {
      const settings = fromFile(
        { ...FILE, scheduleHour: 6, sesSandbox: true },
        { scheduleHour: '8', recipients: 'cfo@example.com' },
      )();
      expect(settings).toMatchObject({ scheduleHour: 8, recipients: ['cfo@example.com'], sesSandbox: true });
    });

    it.each([
      [
        { ...FILE, scheduleHour: '7' },
        'setting "scheduleHour" in usage-digest.config.json: must be a whole hour',
      ],
      [
        { ...FILE, scheduleHour: 6.5 },
        'setting "scheduleHour" in usage-digest.config.json: must be a whole hour',
      ],
      [
        { ...FILE, sesSandbox: 'yes' },
        'setting "sesSandbox" in usage-digest.config.json: must be true or false',
      ],
      [
        { ...FILE, recipients: 'ops@example.com' },
        'setting "recipients" in usage-digest.config.json: must be a list',
      ],
      [
        { ...FILE, recipients: [] },
        'setting "recipients" in usage-digest.config.json: must name at least one',
      ],
      [
        { ...FILE, alarmEmail: 'oncall' },
        'setting "alarmEmail" in usage-digest.config.json: "oncall" is not an email address',
      ],
      [
        { ...FILE, stackName: 'my stack' },
        'setting "stackName" in usage-digest.config.json: must be a CloudFormation stack name',
      ],
      [[FILE], 'usage-digest.config.json must hold a JSON object of settings'],
    ])('rejects %j, naming the key', (file, message) => {
      expect(fromFile(file)).toThrow(message);
    });

    it('says how to give the settings it cannot do without', () => {
      expect(fromFile({ timezone: 'UTC' })).toThrow(
        'setting "sender" missing: copy usage-digest.config.example.json to usage-digest.config.json and fill it in, or pass -c sender=digest@example.com',
      );
      expect(missingSettings({ file: { timezone: 'UTC' } })).toEqual(['sender', 'recipients']);
      expect(
        missingSettings({ file: { sender: 'a@example.com' }, context: { recipients: 'b@example.com' } }),
      ).toEqual([]);
    });
  });

  describe('the committed files', () => {
    it(`keeps ${SCHEMA_FILE} generated from the schema (npm run schema)`, () => {
      const committed = JSON.parse(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8'));
      expect(committed).toEqual(settingsJsonSchema());
      expect(committed.required).toEqual(['sender', 'recipients']);
      expect(committed.additionalProperties).toBe(false);
    });

    it('ships an example settings file that is valid and names the schema', () => {
      const example = JSON.parse(readFileSync(join(ROOT, 'usage-digest.config.example.json'), 'utf8'));
      expect(example.$schema).toBe(`./${SCHEMA_FILE}`);
      expect(() => loadSettings({ file: example }, '2026-11-30')).not.toThrow();
    });

    it('keeps the real settings file out of git', () => {
      expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).toContain(
        'usage-digest.config.json',
      );
    });
  });
});

describe('Function: settingsOfProps', () => {
  const MINIMAL: UsageDigestProps = { sender: 'digest@example.com', recipients: ['ops@example.com'] };
  const ofProps = (extra: Record<string, unknown>) => () =>
    settingsOfProps({ ...MINIMAL, today: '2026-11-30', ...extra } as UsageDigestProps);

  it.each([
    [{ timezone: 'Europe/Berlin' }, 'props.timezone is not a prop of UsageDigest: did you mean "timeZone"?'],
    [{ stackName: 'Digest' }, 'props.stackName is not a prop of UsageDigest: a setting of the file only'],
    [{ $schema: './usage-digest.schema.json' }, 'props.$schema is not a prop of UsageDigest'],
    [{ sesSandBox: true }, 'props.sesSandBox is not a prop of UsageDigest: did you mean "sesSandbox"?'],
    [
      { routes: [{ name: 'ops', project_ids: ['p1'], recipients: ['a@example.com'] }] },
      'props.routes[0].project_ids is not a prop of UsageDigest: did you mean "projectIds"?',
    ],
    [
      { routes: [{ name: 'ops', projectIds: ['p1'], slak: { webhookSecretName: 's' } }] },
      'props.routes[0].slak is not a prop of UsageDigest: did you mean "slack"?',
    ],
    [
      { slack: { webhookSecretName: 's', channel: '#ops' } },
      'props.slack.channel is not a prop of UsageDigest: the props of slack are webhookSecretName',
    ],
    [{ timeZone: 'Berlin' }, 'props.timeZone: "Berlin" is not an IANA time zone'],
    [
      { routes: [{ name: 'a', projectIds: [] }] },
      'props.routes[0].projectIds: must name at least one project',
    ],
    [{ sender: 'nobody' }, 'props.sender: "nobody" is not an email address'],
    [{ sender: undefined }, 'props.sender is required'],
    [{ recipients: undefined }, 'props.recipients is required'],
  ])('refuses %j, naming the prop', (extra, message) => {
    expect(ofProps(extra)).toThrow(SettingsError);
    expect(ofProps(extra)).toThrow(message);
  });

  it('takes budgets, route budgets and budgetWarnAt as props, and gives them back', () => {
    const settings = ofProps({
      budgets: { organizationUsd: 500, projects: { proj_a: 120 } },
      budgetWarnAt: 0.75,
      routes: [{ name: 'ops', projectIds: ['proj_a'], recipients: ['a@example.com'], monthlyBudgetUsd: 90 }],
    })();
    expect(settings).toMatchObject({
      budgets: { organizationUsd: 500, projects: { proj_a: 120 } },
      budgetWarnAt: 0.75,
      routes: [{ name: 'ops', project_ids: ['proj_a'], monthlyBudgetUsd: 90 }],
    });
    expect(propsOfSettings(settings)).toMatchObject({
      budgets: { organizationUsd: 500, projects: { proj_a: 120 } },
      budgetWarnAt: 0.75,
      routes: [{ name: 'ops', projectIds: ['proj_a'], monthlyBudgetUsd: 90 }],
    });
    expect(settingsOfProps(propsOfSettings(settings))).toEqual(settings);
  });

  it.each([
    [
      { budgets: { organisationUsd: 500 } },
      'props.budgets.organisationUsd is not a prop of UsageDigest: did you mean "organizationUsd"?',
    ],
    [{ budgets: { organizationUsd: -1 } }, 'props.budgets.organizationUsd: must be a positive number'],
    [
      { budgets: { projects: { proj_x: 0 } } },
      'props.budgets.projects.proj_x: must be a positive number of US dollars',
    ],
    [{ budgetWarnAt: 1.2 }, 'props.budgetWarnAt: must be a fraction above 0 and at most 1'],
    [
      { routes: [{ name: 'ops', projectIds: ['p1'], recipients: ['a@example.com'], monthlyBudgetUsd: -5 }] },
      'props.routes[0].monthlyBudgetUsd: must be a positive number of US dollars',
    ],
    [
      { routes: [{ name: 'ops', projectIds: ['p1'], recipients: ['a@example.com'], monthlyBudget: 5 }] },
      'props.routes[0].monthlyBudget is not a prop of UsageDigest: did you mean "monthlyBudgetUsd"?',
    ],
  ])('refuses the bad budget %j, naming the prop', (extra, message) => {
    expect(ofProps(extra)).toThrow(SettingsError);
    expect(ofProps(extra)).toThrow(message);
  });

  it('never speaks of the settings file', () => {
    for (const extra of [{ sender: undefined }, { timezone: 'UTC' }, { scheduleHour: 2.5 }]) {
      expect(ofProps(extra)).toThrow(/^(?![\s\S]*(usage-digest\.config|-c |setting "))/);
    }
  });
});
