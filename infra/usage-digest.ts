import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HISTORY_COLUMNS, HISTORY_PARTITION_KEY } from '../functions/report/history/columns';
import { IDEMPOTENCY_TABLE_KEY, IDEMPOTENCY_TTL_ATTRIBUTE } from '../functions/report/table-schema';
import { ReportFunction } from './report-function';
import {
  type BudgetSettings,
  type ChannelSettings,
  type HistorySettings,
  type ReportSettings,
  type RouteSettings,
  SettingsError,
} from './settings';
import { settingsOfProps, type UsageDigestProps } from './usage-digest-props';

/**
 * Lambda's asynchronous retries. Two retries (after about 1 and 2 minutes) ride out a brief API
 * or SES outage; the idempotency record makes them safe, so a retry never mails twice.
 */
export const ASYNC_RETRY_ATTEMPTS = 2;
/**
 * How long Lambda keeps trying an event. A digest more than 3 hours late is better replaced by a
 * manual run after someone looked at the alarm than delivered into the afternoon.
 */
export const ASYNC_MAX_EVENT_AGE = Duration.hours(3);

/** The construct's id in the app's own stack (infra/report-stack.ts), whose log group name predates sharing. */
const APP_CONSTRUCT_ID = 'UsageDigest';

/**
 * The first day the Glue table's partition projection knows. Athena projects every day from it to
 * today for a query that does not filter on `date`, so it is not earlier than it need be: OpenAI's
 * code interpreter (and its usage) dates from 2023. A backfilled day before it is not seen.
 */
export const HISTORY_FIRST_DAY = '2023-01-01';
/**
 * The most one query of the workgroup may scan: 1 GB, about $0.005 at Athena's $5 per TB. Ten
 * years of 1,500 projects are about 5.5 million rows, some 200 MB of Parquet; a query that reads
 * more has lost its way. (Athena's minimum is 10 MB: API reference, WorkGroupConfiguration.)
 */
export const HISTORY_BYTES_SCANNED_CUTOFF = 1_000_000_000;
/** Where the day files live: what the table reads and the only place the function may write. */
const HISTORY_DAYS_PREFIX = 'daily/';
/** Where Athena writes query results, in the same bucket under the same key. */
const ATHENA_RESULTS_PREFIX = 'athena-results/';
/** The Glue table over the day files. */
const HISTORY_TABLE_NAME = 'daily';

/** The history resources (`history` set): the bucket, its Glue database and table, the workgroup. */
export interface UsageDigestHistoryResources {
  /** One Parquet object per day under `daily/date=YYYY-MM-DD/`; Athena's results under `athena-results/`. Kept on destroy. */
  readonly bucket: s3.Bucket;
  /** Server access logs of the bucket. Kept on destroy. */
  readonly accessLogsBucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  /** `<database>.daily`, partition projection on `date`. */
  readonly table: glue.CfnTable;
  /** Enforces its encrypted result location and a bytes-scanned cutoff. */
  readonly workGroup: athena.CfnWorkGroup;
}

/**
 * usage-digest as an L3 construct: the scheduled digests (daily, weekly, monthly) of an OpenAI
 * organization's code interpreter usage and cost, by email, Slack, Teams and webhook, with routes
 * per team; the function, its idempotency table, failure queues, alarms and their topic. Props are
 * validated with the settings file's own schema; errors name the prop.
 */
export class UsageDigest extends Construct {
  /** The report function (Node.js 22, arm64). */
  readonly reportFunction: lambda.Function;
  /** Delivery records: at most one digest per period, audience and channel. Kept on destroy. */
  readonly idempotencyTable: dynamodb.Table;
  /** Events whose runs failed after every retry. */
  readonly failureQueue: sqs.Queue;
  /** Events the scheduler could not deliver to the function. */
  readonly scheduleDeadLetterQueue: sqs.Queue;
  /** Alarms notify here (SNS, KMS-encrypted); `alarmEmail` is subscribed. */
  readonly alarmTopic: sns.Topic;
  /** One EventBridge Scheduler schedule per digest (daily, weekly, monthly), in the props order. */
  readonly schedules: scheduler.CfnSchedule[] = [];
  /** The settings the resources were built from, validated and with defaults applied. */
  readonly settings: ReportSettings;
  /** Every daily digest's numbers for Athena; only with the `history` prop. */
  readonly history?: UsageDigestHistoryResources;

  private get stack(): Stack {
    return Stack.of(this);
  }

  constructor(scope: Construct, id: string, props: UsageDigestProps) {
    super(scope, id);
    const settings = settingsOfProps(props);
    this.settings = settings;
    this.checkSecretKeyLocation(settings.secretKmsKeyArn);

    // One builder per part, in dependency order; a new part (spend limits, history) adds its own.
    const logGroupName = this.reportLogGroupName();
    const key = this.buildKey(logGroupName);
    const logGroup = this.buildLogGroup(logGroupName, key);
    const queues = this.buildQueues(key);
    this.failureQueue = queues.failures;
    this.scheduleDeadLetterQueue = queues.scheduleDeadLetters;
    this.idempotencyTable = this.buildTable();
    if (settings.history) this.history = this.buildHistory(settings.history, key);
    this.reportFunction = this.buildFunction(settings, {
      logGroup,
      logGroupName,
      key,
      table: this.idempotencyTable,
      ...(this.history ? { historyBucket: this.history.bucket } : {}),
    });
    this.buildSchedules(settings, this.reportFunction, queues.scheduleDeadLetters, key);
    this.alarmTopic = this.buildAlarms(settings, this.reportFunction, queues, key);
    this.buildOutputs(logGroup, key);
  }

  /**
   * The construct's path in its stack (`UsageDigest` for the app's own), which names what must be
   * unique in an account and region: the log group, the Glue database, the Athena workgroup.
   */
  private pathInStack(): string {
    return this.node.scopes
      .slice(this.node.scopes.indexOf(this.stack) + 1)
      .map((c) => c.node.id)
      .join('/');
  }

  /**
   * The report's log group name, fixed so the key policy can name it before it exists. The app's
   * own stack (a construct with id `UsageDigest` directly in its stack) keeps the name its
   * deployments have; any other construct adds its path in the stack, so two may share a stack.
   */
  private reportLogGroupName(): string {
    const path = this.pathInStack();
    if (path === APP_CONSTRUCT_ID) return `/usage-digest/${this.stack.stackName}/report`;
    // Log group names allow [.-_/#A-Za-z0-9]; where an id needed changing, its address keeps it unique.
    const safe = path.replace(/[^.\-_/#A-Za-z0-9]/g, '-');
    const unique = safe === path ? safe : `${safe}-${this.node.addr.slice(0, 8)}`;
    return `/usage-digest/${this.stack.stackName}/${unique}/report`;
  }

  /** One customer managed key for the queues, the alarm topic and the log group. */
  private buildKey(logGroupName: string): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: 'usage-digest: queues, alarm topic and logs',
      enableKeyRotation: true,
      // Kept by `cdk destroy`: the retained log group is encrypted with it (README: Removing).
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms cannot publish to a topic under a key they may not use (nor under aws/sns).
    // This is AWS's documented statement for an event source publishing to an encrypted topic
    // (SNS developer guide, "Enable compatibility between event sources from AWS services and
    // encrypted topics"): no conditions, since a condition key CloudWatch's call does not carry
    // silently drops every notification. Who may publish is scoped by the topic policy instead.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheTopicKey',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
      }),
    );
    // CT.KMS.PR.3: grants on this key only through AWS services (Logs, SQS, SNS create their own).
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGrantsExceptThroughAwsServices',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsToEncryptTheReportLogGroup',
        principals: [new iam.ServicePrincipal(`logs.${this.stack.region}.amazonaws.com`)],
        // The documented kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe*, spelled out.
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:GenerateDataKeyPair',
          'kms:GenerateDataKeyPairWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnEquals: {
            'kms:EncryptionContext:aws:logs:arn': this.stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: logGroupName,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return key;
  }

  private buildLogGroup(logGroupName: string, key: kms.Key): logs.LogGroup {
    return new logs.LogGroup(this, 'ReportLogGroup', {
      logGroupName,
      // A year (CT.CLOUDWATCH.PR.2): a digest questioned months later can still be traced.
      retention: logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      // Kept by `cdk destroy`: the record of what was sent outlives the stack until you delete it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The failure queue (runs failed after every retry) and the schedule's dead-letter queue. */
  private buildQueues(key: kms.Key): { failures: sqs.Queue; scheduleDeadLetters: sqs.Queue } {
    const queueProps: sqs.QueueProps = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
      // Declares the queue a dead-letter queue (CT.SQS.PR.1), which needs none of its own.
      // allowAll is SQS's default: no behaviour changes, the queue only says what it is.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    };
    const queues = {
      failures: new sqs.Queue(this, 'FailureQueue', queueProps),
      scheduleDeadLetters: new sqs.Queue(this, 'ScheduleDeadLetterQueue', queueProps),
    };
    for (const queue of Object.values(queues)) {
      Validations.of(queue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is itself a dead-letter queue.',
      });
    }
    return queues;
  }

  /**
   * The history name of the Glue database and the Athena workgroup: the stack's name in snake
   * case (`UsageDigest` → `usage_digest`, what the README's queries name), with the
   * construct's path when it is not the app's own. Glue and Athena want lower case, digits and `_`.
   */
  private historyName(): string {
    const snake = (text: string) =>
      text
        .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
        .toLowerCase()
        .replace(/[^a-z0-9_]+/g, '_');
    const path = this.pathInStack();
    const wanted = path === APP_CONSTRUCT_ID ? this.stack.stackName : `${this.stack.stackName}_${path}`;
    const name = snake(wanted);
    // Where an id needed changing (a space, a slash), its address keeps the name unique.
    const exact = /^[A-Za-z0-9_-]+$/.test(wanted) && name.length <= 100;
    return exact ? name : `${name.slice(0, 90)}_${this.node.addr.slice(0, 8)}`;
  }

  /**
   * The history bucket (Parquet, one object per day), its access logs, the Glue table with
   * partition projection (no crawler: Athena computes each day's location), the Athena workgroup.
   */
  private buildHistory(history: HistorySettings, key: kms.Key): UsageDigestHistoryResources {
    const common: s3.BucketProps = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      // Kept by `cdk destroy`: a year of numbers is not the stack's to delete (README: Removing).
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const accessLogsBucket = new s3.Bucket(this, 'HistoryAccessLogs', {
      ...common,
      // S3 delivers server access logs with SSE-S3; a KMS key would need its own grant to the
      // logging service, for request metadata (who read which day), not the numbers.
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [
        {
          id: 'ExpireAccessLogs',
          expiration: Duration.days(365),
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
    });
    for (const [id, reason] of [
      ['AwsSolutions-S1', 'The access log bucket itself: logging it to itself would log every log delivery.'],
      [
        'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        'CT.S3.PR.2: the access log bucket itself; logging it to itself would log every log delivery.',
      ],
      [
        'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        'CT.S3.PR.10: S3 delivers server access logs to SSE-S3 buckets; they hold request metadata, not the numbers.',
      ],
      [
        'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
        'CT.S3.PR.4: log deliveries are no event anyone acts on.',
      ],
      [
        'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        'CT.S3.PR.9: the logs expire after a year by lifecycle; a lock would only be in its way.',
      ],
    ] as const) {
      Validations.of(accessLogsBucket).acknowledge({ id, reason });
    }
    const bucket = new s3.Bucket(this, 'HistoryBucket', {
      ...common,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      // One data key per bucket rather than per object: fewer KMS calls (S3 Bucket Keys).
      bucketKeyEnabled: true,
      // Versioned, so a bad overwrite (a backfill with --overwrite) can be undone for 7 days; the
      // day files themselves expire after retentionDays.
      lifecycleRules: [
        {
          id: 'ExpireDays',
          prefix: HISTORY_DAYS_PREFIX,
          expiration: Duration.days(history.retentionDays),
          noncurrentVersionExpiration: Duration.days(7),
        },
        {
          id: 'ExpireAthenaResults',
          prefix: ATHENA_RESULTS_PREFIX,
          expiration: Duration.days(7),
          noncurrentVersionExpiration: Duration.days(1),
        },
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'RemoveExpiredDeleteMarkers', expiredObjectDeleteMarker: true },
      ],
    });
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    // CT.S3.PR.4: S3 tells EventBridge of each day written (free to send; nothing listens unless
    // you add a rule). Set on the bucket itself: CDK's eventBridgeEnabled adds a custom resource.
    cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    Validations.of(bucket).acknowledge({
      id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
      reason:
        'CT.S3.PR.9: each day is overwritten on a retry or backfill and expires after retentionDays; versioning keeps an overwritten one 7 days, and a lock would stop the expiry.',
    });
    // Server access logs through the log bucket's policy (never its ACL, whatever the app's
    // feature flags): what S3 user guide "Enabling Amazon S3 server access logging" grants.
    const logPrefix = 'history/';
    cfnBucket.loggingConfiguration = {
      destinationBucketName: accessLogsBucket.bucketName,
      logFilePrefix: logPrefix,
    };
    accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowServerAccessLogsOfTheHistoryBucket',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [accessLogsBucket.arnForObjects(`${logPrefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': this.stack.account },
        },
      }),
    );
    const name = this.historyName();
    // `Team-A` and `TeamA` both read `team_a`: refused here rather than by CloudFormation mid-deploy.
    const twin = this.stack.node
      .findAll()
      .find(
        (c): c is UsageDigest => c instanceof UsageDigest && c !== this && c.history?.workGroup.name === name,
      );
    if (twin) {
      throw new SettingsError(
        `history: ${this.node.path} and ${twin.node.path} would both name their Glue database and Athena workgroup "${name}"; give one another id`,
      );
    }
    const database = new glue.CfnDatabase(this, 'HistoryDatabase', {
      catalogId: this.stack.account,
      databaseInput: { name, description: 'usage-digest: every daily digest, one row per project and day' },
    });
    const daysUrl = `s3://${bucket.bucketName}/${HISTORY_DAYS_PREFIX}`;
    const table = new glue.CfnTable(this, 'HistoryTable', {
      catalogId: this.stack.account,
      databaseName: database.ref,
      tableInput: {
        name: HISTORY_TABLE_NAME,
        description: 'One row per project and report day (functions/report/history/parquet.ts)',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: HISTORY_PARTITION_KEY.name, type: HISTORY_PARTITION_KEY.glueType }],
        // Partition projection (Athena user guide: "Supported types for partition projection",
        // date type): Athena computes each day's location, so no crawler and no ADD PARTITION.
        parameters: {
          classification: 'parquet',
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `${HISTORY_FIRST_DAY},NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          'storage.location.template': `${daysUrl}date=\${date}/`,
        },
        storageDescriptor: {
          location: daysUrl,
          columns: HISTORY_COLUMNS.map((c) => ({ name: c.name, type: c.glueType })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    table.addDependency(database);
    const workGroup = new athena.CfnWorkGroup(this, 'HistoryWorkGroup', {
      name,
      description: 'usage-digest: queries of the history table, results encrypted in its bucket',
      // The workgroup holds settings and query history, no data: deleting it with the stack is safe.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: HISTORY_BYTES_SCANNED_CUTOFF,
        engineVersion: { selectedEngineVersion: 'AUTO' },
        resultConfiguration: {
          outputLocation: `s3://${bucket.bucketName}/${ATHENA_RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: key.keyArn },
        },
      },
    });
    return { bucket, accessLogsBucket, database, table, workGroup };
  }

  private buildTable(): dynamodb.Table {
    return new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: IDEMPOTENCY_TABLE_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: IDEMPOTENCY_TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Delivery records (a hash, an SES message id) and the cached project names; the AWS managed
      // key needs no grants on the role.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Kept by `cdk destroy`, like any table with point-in-time recovery: deleting is a choice.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The report function with its own role and policy, the sender's identity, and its async retries. */
  private buildFunction(
    settings: ReportSettings,
    resources: {
      logGroup: logs.LogGroup;
      logGroupName: string;
      key: kms.Key;
      table: dynamodb.Table;
      historyBucket?: s3.Bucket;
    },
  ): lambda.Function {
    const { logGroup, logGroupName, table } = resources;
    const role = new iam.Role(this, 'ReportFunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description:
        'usage-digest report function: its own logs, one secret, one SES identity, one table, one queue',
    });
    const policy = new iam.Policy(this, 'ReportFunctionPolicy', {
      roles: [role],
      statements: this.functionStatements(settings, resources),
    });
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.nagArn('logs', `log-group:${logGroupName}:log-stream:*`)}]`,
      reason: 'Log streams of this one log group: Lambda names them at run time.',
    });
    if (resources.historyBucket) {
      const bucketId = this.stack.getLogicalId(resources.historyBucket.node.defaultChild as s3.CfnBucket);
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${HISTORY_DAYS_PREFIX}*]`,
        reason: 'One object per report day under daily/, named by its date: PutObject only.',
      });
    }

    if (settings.createSenderIdentity) {
      new ses.EmailIdentity(this, 'SenderIdentity', {
        identity: settings.senderIdentity.includes('@')
          ? ses.Identity.email(settings.senderIdentity)
          : ses.Identity.domain(settings.senderIdentity),
      });
    }

    // Routes and budgets travel in the bundle, where their size does not matter; config.ts reads them.
    const bundledFiles: Record<string, string> = {
      ...(settings.routes.length ? { [ROUTES_FILE_NAME]: routesJson(settings.routes) } : {}),
      ...(hasBudgets(settings.budgets) ? { [BUDGETS_FILE_NAME]: budgetsJson(settings.budgets) } : {}),
    };
    const environment: Record<string, string> = {
      ADMIN_KEY_SECRET_ID: settings.secretName,
      REPORT_SENDER: settings.sender,
      REPORT_RECIPIENTS: settings.recipients.join(','),
      REPORT_TIMEZONE: settings.timeZone,
      ALLOWED_RECIPIENT_DOMAINS: settings.allowedRecipientDomains.join(','),
      UNUSUAL_FACTOR: String(settings.unusualFactor),
      UNUSUAL_MIN_SESSIONS: String(settings.unusualMinSessions),
      ...(settings.alertCostUsd === undefined ? {} : { ALERT_COST_USD: String(settings.alertCostUsd) }),
      QUIET: String(settings.quiet),
      // Always spelled out, like UNUSUAL_FACTOR: what the function warns at is in its configuration.
      BUDGET_WARN_AT: String(settings.budgetWarnAt),
      ...channelEnvironment(settings.channels),
      ...(ROUTES_FILE_NAME in bundledFiles ? { ROUTES_FILE: ROUTES_FILE_NAME } : {}),
      ...(BUDGETS_FILE_NAME in bundledFiles ? { BUDGETS_FILE: BUDGETS_FILE_NAME } : {}),
      IDEMPOTENCY_TABLE: table.tableName,
      ...(resources.historyBucket ? { HISTORY_BUCKET: resources.historyBucket.bucketName } : {}),
      POWERTOOLS_SERVICE_NAME: 'usage-digest',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    checkEnvironmentSize(environment);
    const fn = new ReportFunction(this, 'ReportFunction', {
      role,
      logGroup,
      environment,
      ...(Object.keys(bundledFiles).length ? { bundledFiles } : {}),
      history: resources.historyBucket !== undefined,
    });
    fn.node.addDependency(policy);
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Pinned to Node.js 22, the runtime the shipped bundle is tested on in CI.',
    });

    const asyncConfig = new lambda.CfnEventInvokeConfig(this, 'ReportFunctionAsyncConfig', {
      functionName: fn.functionName,
      qualifier: '$LATEST',
      maximumRetryAttempts: ASYNC_RETRY_ATTEMPTS,
      maximumEventAgeInSeconds: ASYNC_MAX_EVENT_AGE.toSeconds(),
      destinationConfig: { onFailure: { destination: this.failureQueue.queueArn } },
    });
    // Lambda checks the role may send to the destination when the config is created.
    asyncConfig.node.addDependency(policy);
    return fn;
  }

  private buildOutputs(logGroup: logs.LogGroup, key: kms.Key): void {
    const fn = this.reportFunction;
    new CfnOutput(this, 'FunctionName', { value: fn.functionName, description: 'The report function' });
    new CfnOutput(this, 'FailureQueueUrl', {
      value: this.failureQueue.queueUrl,
      description: 'Events whose runs failed after all retries',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
    // What `cdk destroy` keeps, named here so it can be found and deleted afterwards (README: Removing).
    new CfnOutput(this, 'IdempotencyTableName', {
      value: this.idempotencyTable.tableName,
      description: 'Kept on destroy',
    });
    new CfnOutput(this, 'LogGroupName', { value: logGroup.logGroupName, description: 'Kept on destroy' });
    new CfnOutput(this, 'KeyArn', {
      value: key.keyArn,
      description: 'Kept on destroy (encrypts the log group)',
    });
    if (this.history) {
      const { bucket, workGroup } = this.history;
      new CfnOutput(this, 'HistoryBucketName', {
        value: bucket.bucketName,
        description: 'Every daily digest as Parquet under daily/ (kept on destroy)',
      });
      new CfnOutput(this, 'HistoryTableName', {
        value: `${this.historyName()}.${HISTORY_TABLE_NAME}`,
        description: 'The Athena table (docs/history.md)',
      });
      new CfnOutput(this, 'HistoryWorkGroupName', {
        value: workGroup.name,
        description: 'Run the history queries in this Athena workgroup',
      });
    }
    new CfnOutput(this, 'InvokeExample', {
      description: 'An ad-hoc report without mailing (drop dry_run to mail it)',
      // --cli-read-timeout 0: the CLI's 60 s default would re-invoke a slow run (and mail twice).
      value: `aws lambda invoke --function-name ${fn.functionName} --cli-read-timeout 0 --cli-binary-format raw-in-base64-out --payload '{"start_time":"2026-11-01","end_time":"2026-11-08","idempotency_key":"2026-11-01-week","dry_run":true}' report.json && cat report.json`,
    });
  }

  /**
   * Secrets Manager decrypts with the secret's key in the secret's own region and account, which
   * are the stack's (the grant names secrets there): a key elsewhere can never be the one.
   */
  private checkSecretKeyLocation(keyArn: string | undefined): void {
    if (keyArn === undefined) return;
    const [, , , region, account] = keyArn.split(':');
    for (const [what, expected, actual] of [
      ['region', this.stack.region, region],
      ['account', this.stack.account, account],
    ] as const) {
      if (!Token.isUnresolved(expected) && expected !== actual) {
        throw new SettingsError(
          `secretKmsKeyArn: the key is in ${what} ${actual}, but the stack and its secret are in ${expected}; give the key that encrypts the secret`,
        );
      }
    }
  }

  /** An ARN in this stack's account and region as cdk-nag renders it in finding ids. */
  private nagArn(service: string, resource: string): string {
    const show = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    return `arn:<AWS::Partition>:${service}:${show(this.stack.region, 'Region')}:${show(this.stack.account, 'AccountId')}:${resource}`;
  }

  /** Exactly what the function may do, resource by resource. */
  private functionStatements(
    settings: ReportSettings,
    resources: { logGroupName: string; table: dynamodb.Table; key: kms.Key; historyBucket?: s3.Bucket },
  ): iam.PolicyStatement[] {
    const { logGroupName } = resources;
    const routeRecipients = settings.routes.flatMap((r) => r.recipients ?? []);
    const sesIdentities = [
      settings.senderIdentity,
      ...(settings.sesSandbox ? [...new Set([...settings.recipients, ...routeRecipients])] : []),
    ];
    const statements = [
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [
          this.stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: `${logGroupName}:log-stream:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'ReadAdminKey',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          this.stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${settings.secretName}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      ...(channelSecretNames(settings).length
        ? [
            new iam.PolicyStatement({
              sid: 'ReadChannelSecrets',
              actions: ['secretsmanager:GetSecretValue'],
              resources: channelSecretNames(settings).map((name) =>
                this.stack.formatArn({
                  service: 'secretsmanager',
                  resource: 'secret',
                  resourceName: `${name}-??????`,
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                }),
              ),
            }),
          ]
        : []),
      new iam.PolicyStatement({
        sid: 'SendDigest',
        // The mailer calls SendRawEmail only (multipart with a CSV attachment).
        actions: ['ses:SendRawEmail'],
        resources: [...new Set(sesIdentities)].map((identity) =>
          this.stack.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
        ),
      }),
      new iam.PolicyStatement({
        sid: 'RecordDeliveriesAndProjectNames',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [resources.table.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'SendFailedEventsToTheQueue',
        actions: ['sqs:SendMessage'],
        resources: [this.failureQueue.queueArn],
      }),
      new iam.PolicyStatement({
        // Also the history bucket's key: an SSE-KMS PutObject needs kms:GenerateDataKey (S3 user
        // guide, "Using server-side encryption with AWS KMS keys").
        sid: 'UseTheQueueKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [resources.key.keyArn],
      }),
    ];
    if (resources.historyBucket) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'WriteHistoryDays',
          // Day files only: no reads, lists or deletes. `usage-digest backfill` finds the days
          // already written with the caller's credentials; an invoked backfill writes its range.
          actions: ['s3:PutObject'],
          resources: [resources.historyBucket.arnForObjects(`${HISTORY_DAYS_PREFIX}*`)],
        }),
      );
    }
    if (settings.secretKmsKeyArn) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'DecryptAdminKey',
          actions: ['kms:Decrypt'],
          resources: [settings.secretKmsKeyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${this.stack.region}.amazonaws.com` },
          },
        }),
      );
    }
    return statements;
  }

  private buildSchedules(
    settings: ReportSettings,
    fn: lambda.IFunction,
    deadLetterQueue: sqs.Queue,
    key: kms.Key,
  ): void {
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': this.stack.account },
      }),
      description: 'usage-digest schedule: invoke the report function, dead-letter to its queue',
    });
    const policy = new iam.Policy(this, 'SchedulePolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
        new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }),
        new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.keyArn] }),
      ],
    });
    // One schedule per digest, at the same local hour: daily, Mondays, the 1st of the month.
    const cadence = {
      daily: {
        id: 'DailySchedule',
        cron: '* * ? *',
        what: "yesterday's code interpreter sessions, every day",
      },
      weekly: { id: 'WeeklySchedule', cron: '? * MON *', what: 'last week (Monday to Monday), every Monday' },
      monthly: { id: 'MonthlySchedule', cron: '1 * ? *', what: 'last calendar month, on the 1st' },
    } as const;
    for (const digest of settings.digests) {
      const { id, cron, what } = cadence[digest];
      const schedule = new scheduler.CfnSchedule(this, id, {
        description: `usage-digest: ${what} at ${settings.scheduleHour}:00 ${settings.timeZone}`,
        scheduleExpression: `cron(0 ${settings.scheduleHour} ${cron})`,
        scheduleExpressionTimezone: settings.timeZone,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: fn.functionArn,
          roleArn: role.roleArn,
          // The scheduled time, not the delivery time, decides which period is reported.
          input: JSON.stringify({ digest, time: '<aws.scheduler.scheduled-time>' }),
          retryPolicy: {
            maximumRetryAttempts: 10,
            maximumEventAgeInSeconds: ASYNC_MAX_EVENT_AGE.toSeconds(),
          },
          deadLetterConfig: { arn: deadLetterQueue.queueArn },
        },
      });
      schedule.node.addDependency(policy);
      this.schedules.push(schedule);
    }
  }

  private buildAlarms(
    settings: ReportSettings,
    fn: lambda.Function,
    queues: { failures: sqs.Queue; scheduleDeadLetters: sqs.Queue },
    key: kms.Key,
  ): sns.Topic {
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'usage-digest alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (settings.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(settings.alarmEmail));
    const action = new cloudwatchActions.SnsAction(topic);
    const created: cloudwatch.Alarm[] = [];
    const period = Duration.minutes(5);
    const alarms: [id: string, description: string, metric: cloudwatch.IMetric][] = [
      [
        'ReportErrorsAlarm',
        'The report function failed (it will retry; see its log group).',
        fn.metricErrors({ period, statistic: 'Sum' }),
      ],
      [
        'FailureQueueAlarm',
        'A report failed after all retries: its event is in the failure queue.',
        queues.failures.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      ],
      [
        'ScheduleDeadLetterAlarm',
        'The schedule could not invoke the function: its event is in the dead-letter queue.',
        queues.scheduleDeadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      ],
    ];
    for (const [id, alarmDescription, metric] of alarms) {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmDescription,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // Alarm actions only: OK actions would mail three "OK" notifications on every fresh deploy,
      // as each new alarm leaves INSUFFICIENT_DATA. A recovered run shows itself: the digest arrives.
      alarm.addAlarmAction(action);
      created.push(alarm);
    }
    // A topic policy replaces SNS's default one, and enforceSSL's holds only the TLS deny: without
    // this statement CloudWatch is refused ("no resource-based policy allows the SNS:Publish action").
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnEquals: { 'aws:SourceArn': created.map((alarm) => alarm.alarmArn) },
          StringEquals: { 'aws:SourceAccount': this.stack.account },
        },
      }),
    );
    return topic;
  }
}

/** Every secret a channel reads (webhook URLs, signing keys), the organization's and the routes', once each. */
function channelSecretNames(settings: ReportSettings): string[] {
  const names = [settings.channels, ...settings.routes].flatMap((c) => [
    c.slack?.webhookSecretName,
    c.teams?.webhookSecretName,
    c.webhook?.signingSecretName,
  ]);
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

/** The organization's channels as the function reads them (functions/report/config.ts). */
function channelEnvironment(channels: ChannelSettings): Record<string, string> {
  return {
    ...(channels.slack ? { SLACK_WEBHOOK_SECRET_ID: channels.slack.webhookSecretName } : {}),
    ...(channels.teams ? { TEAMS_WEBHOOK_SECRET_ID: channels.teams.webhookSecretName } : {}),
    ...(channels.webhook
      ? { WEBHOOK_URL: channels.webhook.url, WEBHOOK_SIGNING_SECRET_ID: channels.webhook.signingSecretName }
      : {}),
  };
}

/** The routes file's name in the bundle, beside index.mjs. */
const ROUTES_FILE_NAME = 'routes.json';

/** The routes as the function reads them (functions/report/config.ts): JSON, in the file ROUTES_FILE. */
function routesJson(routes: readonly RouteSettings[]): string {
  return JSON.stringify(
    routes.map((r) => ({
      name: r.name,
      project_ids: r.project_ids,
      ...(r.recipients ? { recipients: r.recipients } : {}),
      ...(r.monthlyBudgetUsd === undefined ? {} : { monthly_budget_usd: r.monthlyBudgetUsd }),
      ...(r.slack ? { slack_secret_id: r.slack.webhookSecretName } : {}),
      ...(r.teams ? { teams_secret_id: r.teams.webhookSecretName } : {}),
      ...(r.webhook
        ? { webhook_url: r.webhook.url, webhook_signing_secret_id: r.webhook.signingSecretName }
        : {}),
    })),
  );
}

/** The budgets file's name in the bundle, beside index.mjs. */
const BUDGETS_FILE_NAME = 'budgets.json';

function hasBudgets(budgets: BudgetSettings): boolean {
  return budgets.organizationUsd !== undefined || Object.keys(budgets.projects).length > 0;
}

/**
 * The budgets as the function reads them (functions/report/config.ts): JSON
 * `{ organization_usd?, projects? }`, in the file BUDGETS_FILE. Thousands of project ids would not
 * fit the 4 KB environment.
 */
function budgetsJson(budgets: BudgetSettings): string {
  return JSON.stringify({
    ...(budgets.organizationUsd === undefined ? {} : { organization_usd: budgets.organizationUsd }),
    ...(Object.keys(budgets.projects).length ? { projects: budgets.projects } : {}),
  });
}

/**
 * Lambda refuses a function whose environment variables take more than 4 KB ("Function environment
 * variables: 4 KB, for all environment variables associated with the function, in aggregate":
 * Lambda quotas, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * Counted as their JSON, names and quotes included: at least what Lambda counts.
 */
export const MAX_ENVIRONMENT_BYTES = 4 * 1024;
/** A value CloudFormation fills in at deploy (the table's name), counted at its longest: DynamoDB's 255. */
const UNRESOLVED_VALUE_BYTES = 255;

/** The setting behind each variable a user's values fill, named in the error. */
const SETTING_OF_VARIABLE: Readonly<Record<string, string>> = {
  ADMIN_KEY_SECRET_ID: 'secretName',
  REPORT_SENDER: 'sender',
  REPORT_RECIPIENTS: 'recipients',
  REPORT_TIMEZONE: 'timeZone',
  ALLOWED_RECIPIENT_DOMAINS: 'allowedRecipientDomains',
  SLACK_WEBHOOK_SECRET_ID: 'slack.webhookSecretName',
  TEAMS_WEBHOOK_SECRET_ID: 'teams.webhookSecretName',
  WEBHOOK_URL: 'webhook.url',
  WEBHOOK_SIGNING_SECRET_ID: 'webhook.signingSecretName',
};

/** Refuses at synth an environment Lambda would refuse at deploy, naming the settings that fill it. */
function checkEnvironmentSize(environment: Readonly<Record<string, string>>): void {
  const sizes = Object.entries(environment).map(([name, value]) => ({
    name,
    // "NAME":"value", and the comma after it.
    bytes:
      Buffer.byteLength(JSON.stringify(name)) +
      (Token.isUnresolved(value) ? UNRESOLVED_VALUE_BYTES + 2 : Buffer.byteLength(JSON.stringify(value))) +
      2,
  }));
  const total = sizes.reduce((sum, { bytes }) => sum + bytes, 2);
  if (total <= MAX_ENVIRONMENT_BYTES) return;
  const fillers = sizes
    .filter(({ name }) => name in SETTING_OF_VARIABLE)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map(({ name, bytes }) => `${SETTING_OF_VARIABLE[name]} (${bytes.toLocaleString('en-US')} bytes)`);
  throw new SettingsError(
    `the report function's environment would take ${total.toLocaleString('en-US')} bytes, over Lambda's 4 KB (${MAX_ENVIRONMENT_BYTES.toLocaleString('en-US')} bytes) for all its variables; most of it is ${fillers.join(', ')}: shorten them (fewer recipients, a route per team, a shorter URL)`,
  );
}
