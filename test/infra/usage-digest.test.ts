import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { compliancePlugins } from '../../infra/compliance';
import { UsageDigest } from '../../infra/usage-digest';
import type { UsageDigestProps } from '../../infra/usage-digest-props';

const ROOT = join(import.meta.dirname, '..', '..');
const ENV = { account: '123456789012', region: 'eu-west-1' };

/** A construct configured with everything the props offer. */
const EVERYTHING: UsageDigestProps = {
  sender: 'digest@example.com',
  recipients: ['ops@example.com'],
  timeZone: 'America/New_York',
  scheduleHour: 6,
  digests: ['daily', 'weekly', 'monthly'],
  slack: { webhookSecretName: 'org/slack' },
  teams: { webhookSecretName: 'org/teams' },
  webhook: { url: 'https://hooks.example.com/usage', signingSecretName: 'org/webhook-key' },
  routes: [
    {
      name: 'payments',
      projectIds: ['proj_a', 'proj_b'],
      recipients: ['pay@partner.example'],
      slack: { webhookSecretName: 'payments/slack' },
    },
    {
      name: 'research',
      projectIds: ['proj_c'],
      webhook: { url: 'https://research.example.com/hook', signingSecretName: 'research/key' },
    },
  ],
  unusualFactor: 4,
  unusualMinSessions: 20,
  alertCostUsd: 100,
  quiet: true,
  secretName: 'team/openai',
  secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  alarmEmail: 'oncall@example.com',
  createSenderIdentity: true,
  sesSandbox: true,
  allowedRecipientDomains: ['example.com', 'partner.example'],
  today: '2026-11-30',
};

function bare(props: UsageDigestProps) {
  const app = new App();
  const stack = new Stack(app, 'Bare', { env: ENV });
  const digest = new UsageDigest(stack, 'Digest', props);
  Validations.of(app).addPlugins(...compliancePlugins(app));
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  return { digest, template: Template.fromStack(stack), report };
}

describe('Construct: UsageDigest in a bare stack, configured with everything', () => {
  let built: ReturnType<typeof bare>;
  beforeAll(() => {
    built = bare(EVERYTHING);
  }, 120_000);

  it('passes cdk-nag and the Control Tower controls with no finding', () => {
    expect(built.report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations)).toEqual([]);
  });

  it('schedules each digest in the zone, and hands the function every setting', () => {
    const { template } = built;
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 ? * MON *)',
      ScheduleExpressionTimezone: 'America/New_York',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REPORT_TIMEZONE: 'America/New_York',
          ADMIN_KEY_SECRET_ID: 'team/openai',
          SLACK_WEBHOOK_SECRET_ID: 'org/slack',
          TEAMS_WEBHOOK_SECRET_ID: 'org/teams',
          WEBHOOK_URL: 'https://hooks.example.com/usage',
          WEBHOOK_SIGNING_SECRET_ID: 'org/webhook-key',
          UNUSUAL_FACTOR: '4',
          UNUSUAL_MIN_SESSIONS: '20',
          ALERT_COST_USD: '100',
          QUIET: 'true',
          ALLOWED_RECIPIENT_DOMAINS: 'example.com,partner.example',
          ROUTES: JSON.stringify([
            {
              name: 'payments',
              project_ids: ['proj_a', 'proj_b'],
              recipients: ['pay@partner.example'],
              slack_secret_id: 'payments/slack',
            },
            {
              name: 'research',
              project_ids: ['proj_c'],
              webhook_url: 'https://research.example.com/hook',
              webhook_signing_secret_id: 'research/key',
            },
          ]),
        }),
      },
    });
  });

  it('may read exactly the channel secrets it names, and mail the routes in the SES sandbox', () => {
    const statements = Object.values(built.template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as { Sid?: string; Resource: unknown }[],
    );
    const read = statements.find((s) => s.Sid === 'ReadChannelSecrets');
    const names = JSON.stringify(read?.Resource);
    for (const name of ['org/slack', 'org/teams', 'org/webhook-key', 'payments/slack', 'research/key']) {
      expect(names).toContain(`:secret:${name}-??????`);
    }
    expect(read?.Resource).toHaveLength(5);
    const send = JSON.stringify(statements.find((s) => s.Sid === 'SendDigest')?.Resource);
    for (const identity of ['digest@example.com', 'ops@example.com', 'pay@partner.example']) {
      expect(send).toContain(`identity/${identity}`);
    }
  });

  it('exposes the resources it creates', () => {
    const { digest } = built;
    const stack = Stack.of(digest);
    const ids = (construct: { node: { defaultChild?: unknown } } & object) =>
      stack.resolve(
        (construct.node.defaultChild as { logicalId: string } | undefined)?.logicalId ?? construct,
      );
    expect(ids(digest.reportFunction)).toMatch(/^DigestReportFunction/);
    expect(ids(digest.idempotencyTable)).toMatch(/^DigestIdempotencyTable/);
    expect(ids(digest.alarmTopic)).toMatch(/^DigestAlarmTopic/);
    expect(ids(digest.failureQueue)).toMatch(/^DigestFailureQueue/);
    expect(ids(digest.scheduleDeadLetterQueue)).toMatch(/^DigestScheduleDeadLetterQueue/);
    expect(digest.schedules.map((s) => s.scheduleExpression)).toEqual([
      'cron(0 6 * * ? *)',
      'cron(0 6 ? * MON *)',
      'cron(0 6 1 * ? *)',
    ]);
  });
});

describe('Construct: UsageDigest props', () => {
  const minimal: UsageDigestProps = { sender: 'digest@example.com', recipients: ['ops@example.com'] };

  it.each([
    [{ timeZone: 'Berlin' }, 'UsageDigestProps "timeZone": "Berlin" is not an IANA time zone'],
    [{ scheduleHour: 24 }, 'UsageDigestProps "scheduleHour": must be a whole hour from 0 to 23'],
    [{ digests: ['yearly'] }, 'UsageDigestProps "digests[0]": must list daily, weekly or monthly'],
    [
      { routes: [{ name: 'a', projectIds: [] }] },
      'UsageDigestProps "routes[0].projectIds": must name at least one project',
    ],
    [
      { webhook: { url: 'http://x.example', signingSecretName: 'k' } },
      'UsageDigestProps "webhook.url": must be an https:// URL',
    ],
    [{ sender: 'nobody' }, 'UsageDigestProps "sender": "nobody" is not an email address'],
  ])('refuses %j at synth, naming the prop', (bad, message) => {
    const stack = new Stack(new App(), 'Bare', { env: ENV });
    expect(
      () => new UsageDigest(stack, 'Digest', { ...minimal, ...(bad as Partial<UsageDigestProps>) }),
    ).toThrow(message);
  });

  it('defaults to a daily digest at 07:00 UTC by email only', () => {
    const stack = new Stack(new App(), 'Bare', { env: ENV });
    const digest = new UsageDigest(stack, 'Digest', minimal);
    expect(digest.settings).toMatchObject({
      timeZone: 'UTC',
      scheduleHour: 7,
      digests: ['daily'],
      channels: {},
      routes: [],
    });
    Template.fromStack(stack).resourceCountIs('AWS::Scheduler::Schedule', 1);
  });

  it('is one per stack', () => {
    const stack = new Stack(new App(), 'Bare', { env: ENV });
    new UsageDigest(stack, 'One', minimal);
    expect(() => new UsageDigest(stack, 'Two', minimal)).toThrow('UsageDigest: one per stack');
  });
});

describe('Construct: from another CDK app, through the package', () => {
  it('synthesizes the README example, importing usage-digest by its package name', async () => {
    expect(existsSync(join(ROOT, 'dist', 'index.js')), 'dist/ is built by npm ci (the prepare script)').toBe(
      true,
    );
    const outdir = mkdtempSync(join(tmpdir(), 'usage-digest-consumer-'));
    await promisify(execFile)(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [join(ROOT, 'examples', 'another-cdk-app.ts')],
      {
        cwd: ROOT,
        env: { ...process.env, CDK_OUTDIR: outdir },
        timeout: 120_000,
      },
    );
    const template = JSON.parse(readFileSync(join(outdir, 'PlatformReports.template.json'), 'utf8'));
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::Scheduler::Schedule')).toHaveLength(2);
    expect(types).toContain('AWS::Lambda::Function');
    expect(template.Outputs.DigestFunction).toBeDefined();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(ROOT, 'examples', 'another-cdk-app.ts'), 'utf8');
    expect(readme).toContain(example.split('\n').slice(1).join('\n').trim());
  }, 180_000);
});
