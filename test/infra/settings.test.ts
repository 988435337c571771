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
            { name: 'Team', project_ids: ['p1'] },
            { name: 'team', project_ids: ['p2'] },
          ],
        }),
      ).toThrow('setting "routes" in usage-digest.config.json: names the route "team" twice');
      expect(fromContext({ ...BASE, routes: '[{"name":"ops","project_ids":["p1"]}]' })().routes).toEqual([
        { name: 'ops', project_ids: ['p1'] },
      ]);
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
      [
        { ...FILE, schedulehour: 7 },
        'unknown setting "schedulehour" in usage-digest.config.json: the settings are stackName, sender, recipients',
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
