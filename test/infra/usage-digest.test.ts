import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/report/config';
import { compliancePlugins } from '../../infra/compliance';
import { UsageDigest } from '../../infra/usage-digest';
import type { UsageDigestProps } from '../../infra/usage-digest-props';

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
      monthlyBudgetUsd: 400,
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
  budgets: { organizationUsd: 2_000, projects: { proj_a: 300, proj_c: 50.5 } },
  budgetWarnAt: 0.9,
  secretName: 'team/openai',
  secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  alarmEmail: 'oncall@example.com',
  createSenderIdentity: true,
  sesSandbox: true,
  allowedRecipientDomains: ['example.com', 'partner.example'],
  history: { retentionDays: 730 },
  today: '2026-11-30',
};

function bare(props: UsageDigestProps) {
  const app = new App();
  const stack = new Stack(app, 'Bare', { env: ENV });
  const digest = new UsageDigest(stack, 'Digest', props);
  Validations.of(app).addPlugins(...compliancePlugins(app));
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  return { digest, template: Template.fromStack(stack), report, ...functionOf(assembly.directory, stack) };
}

/** The function's bundle directory and its environment, the table's name standing in for its reference. */
function functionOf(outdir: string, stack: Stack) {
  const template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  const assetHash = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
  const variables = fn?.Properties.Environment.Variables as Record<string, unknown>;
  const environment = Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : 'table']),
  );
  return { bundleDir: join(outdir, `asset.${assetHash}`), environment };
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
          ROUTES_FILE: 'routes.json',
          BUDGETS_FILE: 'budgets.json',
          BUDGET_WARN_AT: '0.9',
        }),
      },
    });
    expect(built.environment.BUDGETS).toBeUndefined();
  });

  it('puts the budgets in the bundle, where the function reads them', () => {
    const budgets = readFileSync(join(built.bundleDir, 'budgets.json'), 'utf8');
    expect(JSON.parse(budgets)).toEqual({ organization_usd: 2_000, projects: { proj_a: 300, proj_c: 50.5 } });
    const config = loadConfig({ ...built.environment, LAMBDA_TASK_ROOT: built.bundleDir });
    expect(config.budgets).toEqual({ organizationUsd: 2_000, projects: { proj_a: 300, proj_c: 50.5 } });
    expect(config.budgetWarnAt).toBe(0.9);
    expect(config.routes.map((r) => r.monthlyBudgetUsd)).toEqual([400, undefined]);
  });

  it('puts the routes in the bundle, where the function reads them', () => {
    const routes = readFileSync(join(built.bundleDir, 'routes.json'), 'utf8');
    expect(JSON.parse(routes)).toEqual([
      {
        name: 'payments',
        project_ids: ['proj_a', 'proj_b'],
        recipients: ['pay@partner.example'],
        slack_secret_id: 'payments/slack',
        monthly_budget_usd: 400,
      },
      {
        name: 'research',
        project_ids: ['proj_c'],
        webhook_url: 'https://research.example.com/hook',
        webhook_signing_secret_id: 'research/key',
      },
    ]);
    const config = loadConfig({ ...built.environment, LAMBDA_TASK_ROOT: built.bundleDir });
    expect(config.routes.map((r) => [r.name, r.projectIds])).toEqual([
      ['payments', ['proj_a', 'proj_b']],
      ['research', ['proj_c']],
    ]);
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
    expect(digest.history && ids(digest.history.bucket)).toMatch(/^DigestHistoryBucket/);
    expect(digest.history?.workGroup.name).toBe('bare_digest');
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
    [{ timeZone: 'Berlin' }, 'props.timeZone: "Berlin" is not an IANA time zone'],
    [{ scheduleHour: 24 }, 'props.scheduleHour: must be a whole hour from 0 to 23'],
    [{ digests: ['yearly'] }, 'props.digests[0]: must list daily, weekly or monthly'],
    [
      { routes: [{ name: 'a', projectIds: [] }] },
      'props.routes[0].projectIds: must name at least one project',
    ],
    [
      { webhook: { url: 'http://x.example', signingSecretName: 'k' } },
      'props.webhook.url: must be an https:// URL',
    ],
    [{ sender: 'nobody' }, 'props.sender: "nobody" is not an email address'],
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
      budgets: { projects: {} },
      budgetWarnAt: 0.8,
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    // No budget, no budgets file; the warning fraction is always spelled out.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          BUDGET_WARN_AT: '0.8',
          BUDGETS_FILE: Match.absent(),
          BUDGETS: Match.absent(),
          ROUTES_FILE: Match.absent(),
        }),
      },
    });
  });

  it('shares a stack with another: one per organization or schedule', () => {
    const app = new App();
    const stack = new Stack(app, 'Shared', { env: ENV });
    const one = new UsageDigest(stack, 'One', minimal);
    const two = new UsageDigest(stack, 'Two', { ...minimal, digests: ['weekly'] });
    const template = Template.fromStack(stack);
    const names = Object.values(template.findResources('AWS::Logs::LogGroup')).map(
      (r) => r.Properties.LogGroupName,
    );
    expect(names).toEqual(['/usage-digest/Shared/One/report', '/usage-digest/Shared/Two/report']);
    // Each key lets CloudWatch Logs encrypt its own log group only.
    const keyGrants = Object.values(template.findResources('AWS::KMS::Key')).map((key) =>
      JSON.stringify(
        key.Properties.KeyPolicy.Statement.find(
          (s: { Sid?: string }) => s.Sid === 'AllowCloudWatchLogsToEncryptTheReportLogGroup',
        ),
      ),
    );
    expect(keyGrants[0]).toContain(':log-group:/usage-digest/Shared/One/report');
    expect(keyGrants[1]).toContain(':log-group:/usage-digest/Shared/Two/report');
    template.resourceCountIs('AWS::DynamoDB::Table', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2);
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    expect(stack.resolve(one.idempotencyTable.tableName)).not.toEqual(
      stack.resolve(two.idempotencyTable.tableName),
    );
    expect(one.schedules.map((s) => s.scheduleExpression)).toEqual(['cron(0 7 * * ? *)']);
    expect(two.schedules.map((s) => s.scheduleExpression)).toEqual(['cron(0 7 ? * MON *)']);
    // Each function writes to its own log group's streams.
    const logWrites = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Sid?: string }[])
      .filter((s) => s.Sid === 'WriteOwnLogs')
      .map((s) => JSON.stringify(s));
    expect(logWrites).toHaveLength(2);
    expect(logWrites[0]).toContain('/usage-digest/Shared/One/report:log-stream:*');
    expect(logWrites[1]).toContain('/usage-digest/Shared/Two/report:log-stream:*');
    expect(() => app.synth()).not.toThrow();
  });

  it('keeps the log group name of deployments made with the app: `UsageDigest` directly in its stack', () => {
    const stack = new Stack(new App(), 'Mine', { env: ENV });
    new UsageDigest(stack, 'UsageDigest', minimal);
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/usage-digest/Mine/report',
    });
  });

  it('names its log group validly whatever its id', () => {
    const stack = new Stack(new App(), 'Ids', { env: ENV });
    const a = new UsageDigest(stack, 'Team A', minimal);
    const b = new UsageDigest(stack, 'Team-A', minimal);
    const nameOf = (digest: UsageDigest) =>
      (digest.node.findChild('ReportLogGroup').node.defaultChild as logs.CfnLogGroup).logGroupName;
    expect(nameOf(a)).toMatch(/^\/usage-digest\/Ids\/Team-A-[0-9a-f]{8}\/report$/);
    expect(nameOf(b)).toBe('/usage-digest/Ids/Team-A/report');
  });
});

describe('Construct: routes and the function environment', () => {
  const minimal: UsageDigestProps = { sender: 'digest@example.com', recipients: ['ops@example.com'] };

  it('refuses an environment over Lambda’s 4 KB at synth, naming the settings that fill it', () => {
    const stack = new Stack(new App(), 'Big', { env: ENV });
    const recipients = Array.from(
      { length: 50 },
      (_, i) => `a-rather-long-mailbox-name-for-team-number-${i}@example.com`,
    );
    const props: UsageDigestProps = {
      ...minimal,
      recipients,
      webhook: { url: `https://hooks.example.com/${'x'.repeat(1_000)}`, signingSecretName: 'k' },
    };
    expect(() => new UsageDigest(stack, 'Digest', props)).toThrow(
      /environment would take [\d,]+ bytes, over Lambda's 4 KB \(4,096 bytes\).*recipients \([\d,]+ bytes\), webhook\.url \([\d,]+ bytes\)/,
    );
  });

  it('takes routes and budgets of 5,000 project ids, which the function reads from its bundle', () => {
    const app = new App();
    const stack = new Stack(app, 'Large', { env: ENV });
    const projectIds = Array.from({ length: 5_000 }, (_, i) => `proj_${String(i).padStart(24, '0')}`);
    const projectBudgets = Object.fromEntries(projectIds.map((id, i) => [id, 100 + i]));
    new UsageDigest(stack, 'Digest', {
      ...minimal,
      routes: [
        { name: 'first half', projectIds: projectIds.slice(0, 2_500), recipients: ['a@example.com'] },
        { name: 'second half', projectIds: projectIds.slice(2_500), recipients: ['b@example.com'] },
      ],
      budgets: { projects: projectBudgets },
    });
    const { bundleDir, environment } = functionOf(app.synth().directory, stack);
    expect(environment.ROUTES).toBeUndefined();
    expect(environment.BUDGETS).toBeUndefined();
    const config = loadConfig({ ...environment, LAMBDA_TASK_ROOT: bundleDir });
    expect(config.routes.flatMap((r) => r.projectIds)).toEqual(projectIds);
    expect(config.budgets).toEqual({ projects: projectBudgets });
  }, 120_000);

  it('still reads ROUTES from the environment when it is set', () => {
    const config = loadConfig({
      REPORT_SENDER: 'digest@example.com',
      REPORT_RECIPIENTS: 'ops@example.com',
      ADMIN_KEY_SECRET_ID: 'openai/admin-key',
      ROUTES: JSON.stringify([{ name: 'team', project_ids: ['proj_a'], recipients: ['t@example.com'] }]),
      ROUTES_FILE: '/nonexistent/routes.json',
    });
    expect(config.routes.map((r) => r.name)).toEqual(['team']);
  });
});
