import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { compliancePlugins, DISABLED_CONTROL_TOWER_RULES } from '../../infra/compliance';
import { ReportStack } from '../../infra/report-stack';
import { loadSettings } from '../../infra/settings';

const ENV = { account: '123456789012', region: 'eu-west-1' };
const BASE = {
  sender: 'digest@example.com',
  recipients: 'ops@example.com,finance@example.com',
  timezone: 'Europe/Berlin',
};

function synth(context: Record<string, string> = {}) {
  const settings = loadSettings({ context: { ...BASE, ...context } });
  const app = new App();
  const stack = new ReportStack(app, 'UsageDigest', { settings, env: ENV });
  Validations.of(app).addPlugins(...compliancePlugins(app));
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  return { stack, template: Template.fromStack(stack), report };
}

/** Every statement of every identity policy in the template. */
function identityStatements(template: Template) {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );
}

describe('Stack: ReportStack', () => {
  let template: Template;
  let report: { pluginReports: { pluginName: string; violations: unknown[] }[] };

  beforeAll(() => {
    ({ template, report } = synth());
  });

  it('passes the unusual thresholds and quiet to the function as the issue names them', () => {
    const quiet = synth({
      unusualFactor: '4',
      unusualMinSessions: '25',
      alertCostUsd: '75.5',
      quiet: 'true',
    });
    quiet.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          UNUSUAL_FACTOR: '4',
          UNUSUAL_MIN_SESSIONS: '25',
          ALERT_COST_USD: '75.5',
          QUIET: 'true',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          UNUSUAL_FACTOR: '3',
          UNUSUAL_MIN_SESSIONS: '50',
          ALERT_COST_USD: Match.absent(),
          QUIET: 'false',
        }),
      },
    });
  });

  it('schedules only the daily digest by default, and weekly and monthly digests when asked', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    const all = synth({ digests: 'daily,weekly,monthly' } as Record<string, string>).template;
    const schedules = Object.values(all.findResources('AWS::Scheduler::Schedule')).map((r) => ({
      cron: r.Properties.ScheduleExpression,
      zone: r.Properties.ScheduleExpressionTimezone,
      input: JSON.parse(r.Properties.Target.Input),
    }));
    expect(schedules).toEqual([
      {
        cron: 'cron(0 7 * * ? *)',
        zone: 'Europe/Berlin',
        input: { digest: 'daily', time: '<aws.scheduler.scheduled-time>' },
      },
      {
        cron: 'cron(0 7 ? * MON *)',
        zone: 'Europe/Berlin',
        input: { digest: 'weekly', time: '<aws.scheduler.scheduled-time>' },
      },
      {
        cron: 'cron(0 7 1 * ? *)',
        zone: 'Europe/Berlin',
        input: { digest: 'monthly', time: '<aws.scheduler.scheduled-time>' },
      },
    ]);
  });

  it('keeps the logical ids of stacks deployed before the construct, so an upgrade updates in place', () => {
    const { template: all } = synth({
      alarmEmail: 'oncall@example.com',
      createSenderIdentity: 'true',
      digests: 'daily,weekly,monthly',
    } as Record<string, string>);
    // Listed from a synth of 0.1.0's stack (plus the weekly and monthly schedules and new outputs).
    expect(Object.keys(all.toJSON().Resources).sort()).toEqual([
      'AlarmTopicD01E77F9',
      'AlarmTopicPolicy309DB5F8',
      'AlarmTopiconcallexamplecomCD7D68CB',
      'DailySchedule',
      'FailureQueue4F308C52',
      'FailureQueueAlarm42FD2376',
      'FailureQueuePolicy42243A53',
      'IdempotencyTable22A5A209',
      'Key961B73FD',
      'MonthlySchedule',
      'ReportErrorsAlarm0439A401',
      'ReportFunction3CBC8DF1',
      'ReportFunctionAsyncConfig',
      'ReportFunctionPolicyDC6FB331',
      'ReportFunctionRoleC92E4085',
      'ReportLogGroupEB47975E',
      'ScheduleDeadLetterAlarm21E1C1A0',
      'ScheduleDeadLetterQueue0D6B48D2',
      'ScheduleDeadLetterQueuePolicy71B1C1FF',
      'SchedulePolicy2EC7A57D',
      'ScheduleRole756A1A25',
      'SenderIdentity5AECAF6F',
      'WeeklySchedule',
    ]);
    expect(Object.keys(all.toJSON().Outputs).sort()).toEqual([
      'AlarmTopicArn',
      'FailureQueueUrl',
      'FunctionName',
      'IdempotencyTableName',
      'InvokeExample',
      'KeyArn',
      'LogGroupName',
    ]);
  });

  it('keeps the table, the log group and its key on cdk destroy, and deletes the queues', () => {
    for (const type of ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
      template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    // Named in the outputs, so the README's removal commands can find them.
    for (const output of ['IdempotencyTableName', 'LogGroupName', 'KeyArn']) template.hasOutput(output, {});
    expect(Object.values(template.findResources('AWS::SQS::Queue')).map((q) => q.DeletionPolicy)).toEqual([
      'Delete',
      'Delete',
    ]);
  });

  it('passes cdk-nag AwsSolutions and the Control Tower proactive controls with zero findings', () => {
    // Both run at every synth (the app and this file register the same list); synth throws on any finding.
    expect(compliancePlugins(new App()).map((p) => p.name)).toEqual([
      'AwsSolutions',
      'cdk-validator-cfnguard',
    ]);
    expect(report.pluginReports.flatMap((p) => p.violations)).toEqual([]);
    // A rule left off carries its reason in the code, and in the README.
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(Object.keys(DISABLED_CONTROL_TOWER_RULES)).toEqual(['ct-lambda-pr-3']);
    expect(readme).toContain('CT.LAMBDA.PR.3');
  });

  it('runs a Node.js 22 arm64 function with the contract environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 120,
      MemorySize: 1024,
      Environment: {
        Variables: {
          ADMIN_KEY_SECRET_ID: 'openai/admin-key',
          REPORT_SENDER: 'digest@example.com',
          REPORT_RECIPIENTS: 'ops@example.com,finance@example.com',
          REPORT_TIMEZONE: 'Europe/Berlin',
          IDEMPOTENCY_TABLE: { Ref: Match.stringLikeRegexp('IdempotencyTable') },
          POWERTOOLS_SERVICE_NAME: 'usage-digest',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('ReportLogGroup') } },
    });
  });

  it('gives the role no managed policies and exactly the actions it needs, on exact resources', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('ReportFunctionPolicy') },
    });
    const [policy] = Object.values(policies);
    const id = (type: string) => Object.keys(template.findResources(type))[0];
    const [failureQueue] = Object.keys(template.findResources('AWS::SQS::Queue')).filter((k) =>
      k.startsWith('FailureQueue'),
    );
    expect(policy?.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':logs:eu-west-1:123456789012:log-group:/usage-digest/UsageDigest/report:log-stream:*',
            ],
          ],
        },
      },
      {
        Sid: 'ReadAdminKey',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':secretsmanager:eu-west-1:123456789012:secret:openai/admin-key-??????',
            ],
          ],
        },
      },
      {
        Sid: 'SendDigest',
        Effect: 'Allow',
        Action: 'ses:SendRawEmail',
        Resource: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':ses:eu-west-1:123456789012:identity/digest@example.com'],
          ],
        },
      },
      {
        Sid: 'RecordDeliveriesAndProjectNames',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: { 'Fn::GetAtt': [id('AWS::DynamoDB::Table'), 'Arn'] },
      },
      {
        Sid: 'SendFailedEventsToTheQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [failureQueue, 'Arn'] },
      },
      {
        Sid: 'UseTheQueueKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [id('AWS::KMS::Key'), 'Arn'] },
      },
    ]);
  });

  it('has no "*" action or resource in any identity policy', () => {
    for (const statement of identityStatements(template)) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
      for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
    }
  });

  it('schedules the function daily at 07:00 in the report zone, passing the scheduled time', () => {
    const roleArn = new Capture();
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportFunction'), 'Arn'] },
        RoleArn: roleArn,
        Input: '{"digest":"daily","time":"<aws.scheduler.scheduled-time>"}',
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 10_800 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ScheduleDeadLetterQueue'), 'Arn'] },
        },
      },
    });
    // The schedule's own role may invoke this function and nothing else.
    const scheduleRoleId = roleArn.asObject()['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ],
      }),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: scheduleRoleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportFunction'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('retries asynchronous failures twice, then sends them to the encrypted failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 10_800,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('FailureQueue'), 'Arn'] } },
      },
    });
    template.resourcePropertiesCountIs(
      'AWS::SQS::Queue',
      {
        KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        MessageRetentionPeriod: 1_209_600,
      },
      2,
    );
    template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      },
      2,
    );
  });

  it('alarms on errors and on both queues, and every alarm action reaches a topic CloudWatch may publish to', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Threshold: 1,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the template is raw CloudFormation JSON, walked by hand
    type Json = any;
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Json }>;
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    for (const [alarmId, alarm] of alarms) {
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
      for (const action of alarm.Properties.AlarmActions) {
        // The action is a topic of this stack…
        const topicId = action.Ref as string;
        const topic = resources[topicId];
        expect(topic?.Type).toBe('AWS::SNS::Topic');
        // …whose policy (which replaces SNS's default one) lets CloudWatch publish for this alarm…
        const policies = Object.values(resources).filter(
          (r) =>
            r.Type === 'AWS::SNS::TopicPolicy' &&
            JSON.stringify(r.Properties.Topics) === JSON.stringify([{ Ref: topicId }]),
        );
        expect(policies).toHaveLength(1);
        const statements = policies[0]?.Properties.PolicyDocument.Statement as Json[];
        const allow = statements.find(
          (st) => st.Effect === 'Allow' && st.Principal?.Service === 'cloudwatch.amazonaws.com',
        );
        expect(allow).toMatchObject({
          Action: 'sns:Publish',
          Resource: { Ref: topicId },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        });
        expect(allow.Condition.ArnEquals['aws:SourceArn']).toContainEqual({ 'Fn::GetAtt': [alarmId, 'Arn'] });
        // …keeping the TLS-only deny…
        expect(statements).toContainEqual(
          expect.objectContaining({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        );
        // …under a key whose policy lets CloudWatch use it, as AWS documents it: no conditions.
        const keyId = topic?.Properties.KmsMasterKeyId['Fn::GetAtt'][0] as string;
        const keyStatements = resources[keyId]?.Properties.KeyPolicy.Statement as Json[];
        const cloudwatch = keyStatements.filter((st) => st.Principal?.Service === 'cloudwatch.amazonaws.com');
        expect(cloudwatch).toEqual([
          {
            Sid: 'AllowCloudWatchAlarmsToUseTheTopicKey',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Resource: '*',
          },
        ]);
      }
    }
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('is quiet on a fresh deploy: no OK or insufficient-data actions', () => {
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.OKActions).toBeUndefined();
      expect(alarm.Properties.InsufficientDataActions).toBeUndefined();
    }
  });

  it('lets KMS grants on its key be created only through AWS services (CT.KMS.PR.3)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'DenyGrantsExceptThroughAwsServices',
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'kms:CreateGrant',
            Resource: '*',
            Condition: {
              BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
            },
          },
        ]),
      },
    });
  });

  it('declares both queues dead-letter queues, which need none of their own (CT.SQS.PR.1)', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    expect(queues).toHaveLength(2);
    for (const queue of queues) {
      expect(queue.Properties.RedriveAllowPolicy).toEqual({ redrivePermission: 'allowAll' });
      expect(queue.Properties.RedrivePolicy).toBeUndefined();
    }
  });

  it('keeps logs a year in an encrypted log group', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/usage-digest/UsageDigest/report',
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    // CloudWatch Logs may use the key for this log group only.
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:eu-west-1:123456789012:log-group:/usage-digest/UsageDigest/report',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('creates the idempotency table on demand, with TTL, point-in-time recovery and encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('outputs the function name, an invoke example and the failure queue URL', () => {
    template.hasOutput('FunctionName', {});
    template.hasOutput('FailureQueueUrl', {});
    // The AWS CLI's 60 s read timeout would re-invoke a slow run and mail twice.
    const example = JSON.stringify(template.toJSON().Outputs.InvokeExample.Value);
    expect(example).toContain('--cli-read-timeout 0');
    expect(example).toContain('idempotency_key');
  });
});

describe('Stack: options from context', () => {
  it('subscribes the alarm email, creates the sender identity, decrypts a customer-keyed secret', () => {
    const { template, report } = synth({
      alarmEmail: 'oncall@example.com',
      createSenderIdentity: 'true',
      secretKmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      scheduleHour: '6',
      secretName: 'team/openai',
    } as Record<string, string>);
    expect(report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations)).toEqual([]);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'digest@example.com' });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 6 * * ? *)' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ReadAdminKey',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':secret:team/openai-\\?{6}$')])],
            },
          }),
          {
            Sid: 'DecryptAdminKey',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          },
        ]),
      },
    });
  });

  it('authorizes the recipients identities too when the account is in the SES sandbox', () => {
    const { template } = synth({ sesSandbox: 'true' } as Record<string, string>);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'SendDigest',
            Resource: [
              Match.objectLike({
                'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('identity/digest@example.com$')])],
              }),
              Match.objectLike({
                'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('identity/ops@example.com$')])],
              }),
              Match.objectLike({
                'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('identity/finance@example.com$')])],
              }),
            ],
          }),
        ]),
      },
    });
  });
});

describe('Stack: a customer key for the secret', () => {
  it.each([
    [
      'arn:aws:kms:us-east-1:123456789012:key/abcd-1234',
      'the key is in region us-east-1, but the stack and its secret are in eu-west-1',
    ],
    [
      'arn:aws:kms:eu-west-1:999999999999:key/abcd-1234',
      'the key is in account 999999999999, but the stack and its secret are in 123456789012',
    ],
  ])('refuses %s at synth', (secretKmsKeyArn, message) => {
    expect(() => synth({ secretKmsKeyArn })).toThrow(message);
  });
});

describe('cdk-nag itself', () => {
  it('reports a plainly non-compliant resource, so a clean report means something', () => {
    const app = new App();
    const stack = new Stack(app, 'Bad', { env: ENV });
    new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});

describe('The Control Tower controls themselves', () => {
  it('report a log group kept under a year and a queue without a dead-letter queue', () => {
    const app = new App();
    const stack = new Stack(app, 'Bad', { env: ENV });
    new sqs.Queue(stack, 'Plain');
    new logs.LogGroup(stack, 'Short', { retention: logs.RetentionDays.THREE_MONTHS });
    Validations.of(app).addPlugins(new CfnGuardValidator({}));
    expect(() => app.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.2[\s\S]*CT\.SQS\.PR\.1/);
  });
});
