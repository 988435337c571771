import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
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
  /**
   * Ship the history writer (functions/report/history) as `history/index.js` beside index.mjs,
   * where the handler imports it on first use. Left out, the asset holds no history code and the
   * function must not be given HISTORY_BUCKET.
   * @default false
   */
  readonly history?: boolean;
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
const HISTORY_ENTRY = fileURLToPath(new URL('../functions/report/history/index.ts', import.meta.url));
/**
 * How functions/report/history-module.ts imports the history writer: left external in index.mjs
 * (a dynamic import esbuild would otherwise inline), and built on its own to this path beside it.
 * The `.js` file is ESM through its own package.json, so the same specifier also resolves under
 * tsx (to index.ts) when the source runs directly.
 */
const HISTORY_SPECIFIER = './history/index.js';

/** esbuild options both bundles share: Node.js 22 ESM, minified, names kept, no source map. */
const ESBUILD_OPTIONS = {
  format: 'esm',
  target: 'node22',
  platform: 'node',
  minify: true,
  keepNames: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  legalComments: 'none',
  external: ['@smithy/core/event-streams'],
  alias: { '@aws-sdk/credential-provider-node': ENV_CREDENTIALS },
  // Some CommonJS dependencies call require() for Node built-ins; ESM has no require.
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const;

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
        target: ESBUILD_OPTIONS.target,
        platform: ESBUILD_OPTIONS.platform,
        minify: ESBUILD_OPTIONS.minify,
        // Error names (InputError, AuthError…) are part of what callers and logs see.
        keepNames: ESBUILD_OPTIONS.keepNames,
        sourceMap: ESBUILD_OPTIONS.sourcemap,
        mainFields: [...ESBUILD_OPTIONS.mainFields],
        bundleAwsSDK: true,
        // The history writer (hyparquet-writer and the S3 client) is a file of its own, which only
        // a run that writes history loads. Inlined, index.mjs would be 727 KiB and import in 72 ms
        // rather than 437 KiB and 52 ms; the writer alone is 382 KiB, 49 ms (2026-12-05, Node 22,
        // median of 10 fresh processes).
        externalModules: [...ESBUILD_OPTIONS.external, HISTORY_SPECIFIER],
        esbuildArgs: {
          '--legal-comments': ESBUILD_OPTIONS.legalComments,
          '--alias:@aws-sdk/credential-provider-node': ENV_CREDENTIALS,
        },
        banner: ESBUILD_OPTIONS.banner,
        ...(props.bundledFiles || props.history
          ? {
              commandHooks: copyIntoBundle({
                ...Object.fromEntries(
                  Object.entries(props.bundledFiles ?? {}).map(([name, content]) => [name, { content }]),
                ),
                ...(props.history && Stack.of(scope).bundlingRequired ? historyModuleFiles() : {}),
              }),
            }
          : {}),
      },
    });
  }
}

/** A file for the bundle: its content, or a file written at synth to copy. */
type BundledFile = { readonly content: string } | { readonly path: string };

/**
 * The history writer built on its own, now, at synth (NodejsFunction bundles at synth too, with
 * the same esbuild: a peer dependency), as `history/index.js` and the package.json that makes
 * that `.js` ESM. Its dependencies are bundled in, the S3 client with the same environment-only
 * credentials as index.mjs; what it shares with index.mjs is loaded a second time, once a day.
 */
function historyModuleFiles(): Record<string, BundledFile> {
  if (!existsSync(HISTORY_ENTRY)) throw new Error(`the history writer is missing: ${HISTORY_ENTRY}`);
  const outfile = join(mkdtempSync(join(tmpdir(), 'usage-digest-history-')), 'index.js');
  let esbuild: typeof import('esbuild');
  try {
    esbuild = createRequire(import.meta.url)('esbuild');
  } catch (error) {
    throw new Error(
      'history: building the history writer needs esbuild installed beside aws-cdk-lib (npm install --save-dev esbuild), as local bundling does',
      { cause: error },
    );
  }
  // No externals: the S3 client imports its event-stream code statically (index.mjs's clients
  // only lazily), and an asset has no node_modules to find it in.
  const { external: _, ...options } = ESBUILD_OPTIONS;
  esbuild.buildSync({
    ...options,
    mainFields: [...options.mainFields],
    banner: { js: options.banner },
    entryPoints: [HISTORY_ENTRY],
    bundle: true,
    outfile,
    logLevel: 'warning',
  });
  return {
    'history/index.js': { path: outfile },
    'history/package.json': { content: '{"type":"module"}\n' },
  };
}

/**
 * Writes `files` into a directory of their own now, at synth, and copies each into the bundle after
 * esbuild ran, by its path in the bundle (`history/index.js`). The copy is a command
 * (NodejsFunction's hooks are shell commands): node, with the paths as arguments and never the
 * content, which could pass Linux's 128 KB limit on one argument.
 */
function copyIntoBundle(files: Readonly<Record<string, BundledFile>>): ICommandHooks {
  const dir = mkdtempSync(join(tmpdir(), 'usage-digest-bundled-'));
  const quote = (path: string) => JSON.stringify(path);
  const copies = Object.entries(files).map(([name, file], i) => {
    let source: string;
    if ('path' in file) source = file.path;
    else {
      source = join(dir, String(i));
      writeFileSync(source, file.content);
    }
    return (outputDir: string) =>
      `node -e "const fs = require('node:fs'); fs.mkdirSync(require('node:path').dirname(process.argv[2]), { recursive: true }); fs.copyFileSync(process.argv[1], process.argv[2])" ${quote(source)} ${quote(join(outputDir, name))}`;
  });
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir, outputDir) => copies.map((copy) => copy(outputDir)),
  };
}
