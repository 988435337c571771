import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type ICommandHooks, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface ReportFunctionProps {
  readonly role: iam.IRole;
  readonly logGroup: logs.ILogGroup;
  readonly environment: Record<string, string>;
  /** @default 2 minutes: a 365-day range at 1,500 projects with retries to spare */
  readonly timeout?: Duration;
  /**
   * @default 1024 MB: the largest report `npm run bench` runs (31 days, 1,500 projects) peaks at
   * about 210 MB RSS, so memory is set by CPU, which Lambda gives in proportion (README: Benchmark)
   */
  readonly memorySize?: number;
  /**
   * Files to put in the bundle beside index.mjs, by name: data too large for the 4 KB environment
   * (the routes). They change the asset's hash, so a change deploys like a code change.
   * @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
}

/**
 * The report Lambda with our bundling defaults: Node.js 22 on arm64, one minified ESM file. The AWS
 * SDK clients are bundled rather than taken from the runtime, so the versions we test are the ones
 * that run, and tree-shaking keeps only the three clients the code imports. What a cold start
 * loads is only what a run calls (npm run bench measures it):
 * - credentials: the SDK's environment provider, where Lambda puts the role's credentials, in place
 *   of the default chain (SSO, INI files, processes, web identity, instance metadata);
 * - no event-stream code (none of our calls streams; the SDK imports it only for operations that do);
 * - no source map, which Node.js would read and parse before the first line runs, and no legal
 *   comments; names are kept, so errors and stack frames still read `InputError`, `computeReport`.
 */
// Relative to this file, or to dist/index.js when used as a package: both sit one level down.
const HANDLER_ENTRY = fileURLToPath(new URL('../functions/report/handler.ts', import.meta.url));
const ENV_CREDENTIALS = fileURLToPath(new URL('../functions/report/aws/env-credentials.ts', import.meta.url));
const OWN_LOCK_FILE = fileURLToPath(new URL('../package-lock.json', import.meta.url));

export class ReportFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ReportFunctionProps) {
    super(scope, id, {
      entry: HANDLER_ENTRY,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.minutes(2),
      role: props.role,
      logGroup: props.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: props.environment,
      // This repository's lock file; installed as a package (without one), NodejsFunction finds the app's.
      ...(existsSync(OWN_LOCK_FILE) ? { depsLockFilePath: OWN_LOCK_FILE } : {}),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        minify: true,
        // Error names (InputError, AuthError…) are part of what callers and logs see.
        keepNames: true,
        sourceMap: false,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
        externalModules: ['@smithy/core/event-streams'],
        esbuildArgs: {
          '--legal-comments': 'none',
          '--alias:@aws-sdk/credential-provider-node': ENV_CREDENTIALS,
        },
        // Some CommonJS dependencies call require() for Node built-ins; ESM has no require.
        banner:
          "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        ...(props.bundledFiles ? { commandHooks: copyIntoBundle(props.bundledFiles) } : {}),
      },
    });
  }
}

/**
 * Writes `files` into a directory of their own now, at synth, and copies each into the bundle after
 * esbuild ran. The copy is a command (NodejsFunction's hooks are shell commands): node, with the
 * paths as arguments and never the content, which could pass Linux's 128 KB limit on one argument.
 */
function copyIntoBundle(files: Readonly<Record<string, string>>): ICommandHooks {
  const dir = mkdtempSync(join(tmpdir(), 'usage-digest-bundled-'));
  const quote = (path: string) => JSON.stringify(path);
  const copies = Object.entries(files).map(([name, content]) => {
    const source = join(dir, name);
    writeFileSync(source, content);
    return (outputDir: string) =>
      `node -e "require('node:fs').copyFileSync(process.argv[1], process.argv[2])" ${quote(source)} ${quote(join(outputDir, name))}`;
  });
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => copies.map((copy) => copy(outputDir)),
  };
}
