import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_COLUMNS, HISTORY_PARTITION_KEY } from '../../functions/report/history/columns';
import { HISTORY_PREFIX } from '../../functions/report/history/store';
import { compliancePlugins } from '../../infra/compliance';
import { HISTORY_BYTES_SCANNED_CUTOFF, HISTORY_FIRST_DAY, UsageDigest } from '../../infra/usage-digest';
import type { UsageDigestProps } from '../../infra/usage-digest-props';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE_22 = join(ROOT, 'node_modules', '.bin', 'node');
const ENV = { account: '123456789012', region: 'eu-west-1' };
const MINIMAL: UsageDigestProps = { sender: 'digest@example.com', recipients: ['ops@example.com'] };

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown };

/** The app's stack shape (construct `UsageDigest` in stack `UsageDigest`), synthesized with the checks. */
function synth(props: UsageDigestProps, stackName = 'UsageDigest') {
  const app = new App();
  const stack = new Stack(app, stackName, { env: ENV });
  const digest = new UsageDigest(stack, 'UsageDigest', props);
  Validations.of(app).addPlugins(...compliancePlugins(app));
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
  const template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  const bundleDir = join(
    assembly.directory,
    `asset.${String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '')}`,
  );
  return { stack, digest, report, template, fn: fn as Resource, bundleDir };
}

const resourcesOf = (template: Template, type: string) =>
  Object.entries(template.findResources(type)) as [string, Resource][];

const statementsOf = (template: Template) =>
  resourcesOf(template, 'AWS::IAM::Policy').flatMap(
    ([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );

describe('Construct: UsageDigest with history', () => {
  let built: ReturnType<typeof synth>;
  let bucketId: string;
  beforeAll(() => {
    built = synth({ ...MINIMAL, history: { retentionDays: 400 } });
    const buckets = resourcesOf(built.template, 'AWS::S3::Bucket').filter(([, b]) =>
      JSON.stringify(b.Properties.LifecycleConfiguration ?? {}).includes('daily/'),
    );
    expect(buckets).toHaveLength(1);
    bucketId = (buckets[0] as [string, Resource])[0];
  }, 120_000);

  it('passes cdk-nag and the Control Tower controls with no finding', () => {
    expect(built.report.pluginReports.flatMap((p: { violations: unknown[] }) => p.violations)).toEqual([]);
  });

  it('keeps the bucket private, TLS-only, encrypted with the stack key, and on destroy', () => {
    const { template } = built;
    const bucket = template.toJSON().Resources[bucketId] as Resource;
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    expect(bucket.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      ],
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    // Server access logs go to a bucket of their own.
    expect(bucket.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/AccessLogs/) },
      LogFilePrefix: 'history/',
    });
  });

  it("expires each day's file after retentionDays, an overwritten version 7 days later, Athena results after 7", () => {
    const bucket = built.template.toJSON().Resources[bucketId] as Resource;
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const { Rules: rules } = bucket.Properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] };
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Prefix: 'daily/',
          ExpirationInDays: 400,
          NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          Status: 'Enabled',
        }),
        expect.objectContaining({
          Prefix: 'athena-results/',
          ExpirationInDays: 7,
          NoncurrentVersionExpiration: { NoncurrentDays: 1 },
          Status: 'Enabled',
        }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
  });

  it('declares the Glue table over daily/: Parquet, the writer’s columns, partition projection on date', () => {
    const { template } = built;
    const [[databaseId, database]] = resourcesOf(template, 'AWS::Glue::Database') as [[string, Resource]];
    expect(database.Properties.DatabaseInput).toEqual({
      Name: 'usage_digest',
      Description: expect.any(String),
    });
    template.resourceCountIs('AWS::Glue::Crawler', 0);
    const [[, table]] = resourcesOf(template, 'AWS::Glue::Table') as [[string, Resource]];
    expect(table.Properties.DatabaseName).toEqual({ Ref: databaseId });
    const input = table.Properties.TableInput as Record<string, unknown>;
    const bucketUrl = (suffix: string) => ({ 'Fn::Join': ['', ['s3://', { Ref: bucketId }, suffix]] });
    expect(input).toEqual({
      Name: 'daily',
      Description: expect.any(String),
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [{ Name: 'date', Type: 'string' }],
      // Athena, "Supported types for partition projection" (date type) and "Amazon Data Firehose
      // example": projection.<column>.type/format/range/interval/interval.unit, storage.location.template.
      Parameters: {
        classification: 'parquet',
        EXTERNAL: 'TRUE',
        'projection.enabled': 'true',
        'projection.date.type': 'date',
        'projection.date.format': 'yyyy-MM-dd',
        'projection.date.range': `${HISTORY_FIRST_DAY},NOW`,
        'projection.date.interval': '1',
        'projection.date.interval.unit': 'DAYS',
        // Athena's own placeholder, not a template literal's.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the text Athena reads
        'storage.location.template': bucketUrl('/daily/date=${date}/'),
      },
      StorageDescriptor: {
        Location: bucketUrl('/daily/'),
        Columns: HISTORY_COLUMNS.map((c) => ({ Name: c.name, Type: c.glueType })),
        InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
        SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      },
    });
    // The writer's own constants: the key it writes under and the partition key's type.
    expect(HISTORY_PREFIX).toBe('daily/');
    expect(HISTORY_PARTITION_KEY).toEqual({ name: 'date', glueType: 'string' });
    expect(HISTORY_COLUMNS.map((c) => c.name)).not.toContain('date');
  });

  it('gives Athena a workgroup that enforces its encrypted result location and a bytes-scanned cutoff', () => {
    const { template } = built;
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    const [[, workGroup]] = resourcesOf(template, 'AWS::Athena::WorkGroup') as [[string, Resource]];
    expect(workGroup.Properties).toMatchObject({
      Name: 'usage_digest',
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: HISTORY_BYTES_SCANNED_CUTOFF,
        EngineVersion: { SelectedEngineVersion: 'AUTO' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/athena-results/']] },
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [keyId, 'Arn'] },
          },
        },
      },
    });
    // Athena's minimum is 10 MB ("BytesScannedCutoffPerQuery", Athena API reference).
    expect(HISTORY_BYTES_SCANNED_CUTOFF).toBeGreaterThanOrEqual(10_000_000);
  });

  it('lets the function put objects under daily/ and do nothing else with the bucket', () => {
    const { template, fn } = built;
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.HISTORY_BUCKET).toEqual({ Ref: bucketId });
    const statements = statementsOf(template);
    const onBucket = statements.filter((s) => JSON.stringify(s).includes(bucketId));
    expect(onBucket).toEqual([
      {
        Sid: 'WriteHistoryDays',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/daily/*']] },
      },
    ]);
    expect(statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('s3:'))).toEqual([
      's3:PutObject',
    ]);
    // SSE-KMS: a PutObject needs kms:GenerateDataKey on the bucket's key (S3 user guide,
    // "Using server-side encryption with AWS KMS keys"), which the stack key's statement grants.
    const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['kms:GenerateDataKey']),
        Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
      }),
    );
  });

  it('names the bucket, the table and the workgroup in its outputs', () => {
    const outputs = built.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const byName = Object.fromEntries(
      Object.entries(outputs).map(([k, v]) => [k.replace(/^UsageDigest|[0-9A-F]{8}$/g, ''), v]),
    );
    expect(byName.HistoryBucketName?.Value).toEqual({ Ref: bucketId });
    expect(byName.HistoryTableName?.Value).toBe('usage_digest.daily');
    expect(byName.HistoryWorkGroupName?.Value).toBe('usage_digest');
    expect(built.digest.history?.bucket).toBeDefined();
  });

  it('ships the history module beside index.mjs, out of the main bundle, and it loads', async () => {
    const { bundleDir } = built;
    expect(readdirSync(bundleDir).sort()).toEqual(['history', 'index.mjs']);
    expect(readdirSync(join(bundleDir, 'history')).sort()).toEqual(['index.js', 'package.json']);
    const main = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(main).toContain('import("./history/index.js")');
    // Neither the Parquet writer nor the S3 client is in what every cold start loads.
    expect(main).not.toContain('PutObjectCommand');
    expect(main).not.toContain('parquetWriteBuffer');
    const url = pathToFileURL(join(bundleDir, 'history', 'index.js')).href;
    const { stdout } = await promisify(execFile)(NODE_22, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(url)});
       const bytes = m.encodeHistoryParquet([]);
       console.log(JSON.stringify([m.historyKey('2026-11-20'), Buffer.from(bytes.slice(0, 4)).toString(), typeof m.createHistoryStore]));`,
    ]);
    expect(JSON.parse(stdout)).toEqual(['daily/date=2026-11-20/part-0.parquet', 'PAR1', 'function']);
  });
});

describe('Construct: UsageDigest without history', () => {
  it('creates no bucket, table or workgroup, and ships index.mjs alone', () => {
    const { template, fn, bundleDir, digest } = synth(MINIMAL);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::Glue::Database', 0);
    template.resourceCountIs('AWS::Glue::Table', 0);
    template.resourceCountIs('AWS::Athena::WorkGroup', 0);
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(variables.HISTORY_BUCKET).toBeUndefined();
    expect(statementsOf(template).filter((s) => JSON.stringify(s).includes('s3:'))).toEqual([]);
    expect(readdirSync(bundleDir)).toEqual(['index.mjs']);
    expect(digest.history).toBeUndefined();
  }, 120_000);
});

describe('Construct: history names', () => {
  it('derives the Glue database and workgroup from the stack and construct, so two never clash', () => {
    const app = new App();
    const names = (stack: Stack) => ({
      databases: resourcesOf(Template.fromStack(stack), 'AWS::Glue::Database').map(
        ([, d]) => (d.Properties.DatabaseInput as { Name: string }).Name,
      ),
      workGroups: resourcesOf(Template.fromStack(stack), 'AWS::Athena::WorkGroup').map(
        ([, w]) => w.Properties.Name,
      ),
    });
    const prod = new Stack(app, 'UsageDigestProd', { env: ENV });
    new UsageDigest(prod, 'UsageDigest', { ...MINIMAL, history: { retentionDays: 30 } });
    const shared = new Stack(app, 'Shared', { env: ENV });
    new UsageDigest(shared, 'Team A', { ...MINIMAL, history: { retentionDays: 30 } });
    new UsageDigest(shared, 'TeamB', { ...MINIMAL, history: { retentionDays: 30 } });
    expect(names(prod)).toEqual({ databases: ['usage_digest_prod'], workGroups: ['usage_digest_prod'] });
    const { databases, workGroups } = names(shared);
    expect(databases).toEqual([expect.stringMatching(/^shared_team_a_[0-9a-f]{8}$/), 'shared_team_b']);
    expect(workGroups).toEqual(databases);
    // Two ids that read the same in snake case are refused at synth, not by CloudFormation.
    const clash = new Stack(app, 'Clash', { env: ENV });
    new UsageDigest(clash, 'TeamA', { ...MINIMAL, history: { retentionDays: 30 } });
    expect(() => new UsageDigest(clash, 'Team-A', { ...MINIMAL, history: { retentionDays: 30 } })).toThrow(
      'history: Clash/Team-A and Clash/TeamA would both name their Glue database and Athena workgroup "clash_team_a"',
    );
  }, 120_000);
});
