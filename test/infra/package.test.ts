import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const REPO_MODULES = join(ROOT, 'node_modules');
const NODE_22 = join(REPO_MODULES, '.bin', 'node');
const exec = promisify(execFile);

interface PackageJson {
  name: string;
  version: string;
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

/**
 * What `cdk init app --language typescript` writes (aws-cdk's init-templates/app/typescript), less
 * the jest types: a CommonJS app (no "type" in package.json) compiled as NodeNext, skipLibCheck on.
 */
const CDK_INIT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['es2022'],
    declaration: true,
    strict: true,
    noImplicitAny: true,
    strictNullChecks: true,
    noImplicitThis: true,
    alwaysStrict: true,
    noImplicitReturns: true,
    inlineSourceMap: true,
    inlineSources: true,
    experimentalDecorators: true,
    strictPropertyInitialization: false,
    skipLibCheck: true,
    typeRoots: ['./node_modules/@types'],
    noEmit: true,
    isolatedModules: true,
    types: ['node'],
  },
  exclude: ['node_modules', 'cdk.out'],
};

/** A second file of the app: the construct's props are typed, so a wrong one is a compile error. */
const WRONG_PROPS = `import { App, Stack } from 'aws-cdk-lib';
import { UsageDigest, type UsageDigestProps } from 'usage-digest';

const stack = new Stack(new App(), 'Wrong');
// @ts-expect-error: not a prop (were the package's types \`any\`, this directive would be the error)
new UsageDigest(stack, 'D', { totally: 'wrong' });
export const props: UsageDigestProps = { sender: 'a@example.com', recipients: ['b@example.com'] };
`;

/** A third file of the app: history on, so its synth builds the history writer from the package. */
const HISTORY_APP = `import { App, Stack } from 'aws-cdk-lib';
import { UsageDigest } from 'usage-digest';

const app = new App();
const stack = new Stack(app, 'History', { env: { account: '123456789012', region: 'eu-west-1' } });
new UsageDigest(stack, 'Digest', {
  sender: 'reports@example.com',
  recipients: ['platform@example.com'],
  history: { retentionDays: 365 },
});
app.synth();
`;

/**
 * Installs the packed tarball into `app` as npm would, offline, from this repository's installed
 * packages: the tarball unpacked in node_modules/usage-digest, its dependencies and peers (and the
 * app's typescript and @types/node) linked to this repository's copies, its bin linked in .bin. Only
 * those: a dev dependency of ours (tsx) is absent, as in a real app. `npm install --offline` cannot
 * do it: npm ci fills the cache with tarballs but not the registry documents npm install resolves.
 */
async function installOffline(app: string, tarball: string): Promise<void> {
  const modules = join(app, 'node_modules');
  const installed = join(modules, 'usage-digest');
  mkdirSync(installed, { recursive: true });
  await exec('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  const manifest = readJson<PackageJson>(join(installed, 'package.json'));
  const links = [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    'typescript',
    '@types/node',
  ];
  for (const name of links) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(join(REPO_MODULES, name), join(modules, name), 'dir');
  }
  mkdirSync(join(modules, '.bin'));
  for (const [command, target] of Object.entries(manifest.bin ?? {})) {
    chmodSync(join(installed, target), 0o755);
    symlinkSync(join('..', 'usage-digest', target), join(modules, '.bin', command));
  }
  symlinkSync(join('..', 'typescript', 'bin', 'tsc'), join(modules, '.bin', 'tsc'));
  // npm install writes one; NodejsFunction takes the app's lock file's directory as its project root.
  writeFileSync(
    join(app, 'package-lock.json'),
    JSON.stringify({ name: 'app', lockfileVersion: 3, packages: {} }),
  );
}

describe('Package: packed, installed offline into a throwaway `cdk init` app', () => {
  const work = mkdtempSync(join(tmpdir(), 'usage-digest-package-'));
  const app = join(work, 'app');
  let tarball: string;
  let manifest: PackageJson;
  let packed: string[];

  /** Runs a command in the app as its user would, with the app's node_modules/.bin first on PATH. */
  const inApp = (command: string, args: string[], env: Record<string, string> = {}) =>
    exec(command, args, {
      cwd: app,
      timeout: 120_000,
      env: {
        PATH: `${join(app, 'node_modules', '.bin')}:${dirname(NODE_22)}:${process.env.PATH}`,
        HOME: process.env.HOME,
        ...env,
      },
    });

  beforeAll(async () => {
    // `npm pack` runs `prepare`, which builds dist/ afresh from the sources.
    await exec('npm', ['pack', '--pack-destination', work, '--loglevel=error'], {
      cwd: ROOT,
      timeout: 120_000,
    });
    const name = readdirSync(work).find((file) => file.endsWith('.tgz'));
    if (!name) throw new Error(`npm pack wrote no tarball in ${work}`);
    tarball = join(work, name);
    const { stdout } = await exec('tar', ['-tzf', tarball]);
    packed = stdout
      .split('\n')
      .filter(Boolean)
      .map((path) => path.replace(/^package\//, ''));

    mkdirSync(join(app, 'bin'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '0.1.0', bin: { app: 'bin/app.js' } }, null, 2),
    );
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(CDK_INIT_TSCONFIG, null, 2));
    writeFileSync(join(app, 'bin', 'app.ts'), readFileSync(join(ROOT, 'examples', 'another-cdk-app.ts')));
    writeFileSync(join(app, 'bin', 'wrong-props.ts'), WRONG_PROPS);
    writeFileSync(join(app, 'bin', 'history-app.ts'), HISTORY_APP);
    await installOffline(app, tarball);
    manifest = readJson<PackageJson>(join(app, 'node_modules', 'usage-digest', 'package.json'));
  }, 240_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('runs nothing on the consumer’s install', () => {
    for (const script of ['preinstall', 'install', 'postinstall']) {
      expect(manifest.scripts?.[script], script).toBeUndefined();
    }
  });

  it('ships what it needs at run time and nothing only the tests need', () => {
    expect(packed).toEqual(
      expect.arrayContaining([
        'package.json',
        'dist/index.js',
        'dist/index.cjs',
        'dist/index.d.ts',
        'dist/index.d.cts',
        'dist/cli.js',
        'cli/usage-digest.mjs',
        // NodejsFunction bundles the function from its source in the app's synth.
        'functions/report/handler.ts',
        'functions/report/aws/env-credentials.ts',
      ]),
    );
    expect(packed.filter((path) => /^(test|infra|scripts|dev|examples)\/|^cli\/.*\.ts$/.test(path))).toEqual(
      [],
    );
  });

  it('ships every file the README links to, so its links work where npm shows it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\((?:\.\/)?(?![a-z][a-z0-9+.-]*:)([A-Za-z][^)#\s]*)/g)].map(
      (m) => m[1] as string,
    );
    expect(linked.length).toBeGreaterThan(5);
    expect(linked.filter((path) => !packed.includes(path))).toEqual([]);
  });

  it('passes publint (exports, files, bin)', async () => {
    const { stdout } = await exec(join(REPO_MODULES, '.bin', 'publint'), ['run', tarball, '--strict'], {
      cwd: work,
    });
    expect(stdout).toContain('All good');
  });

  it('has types that resolve under node10, node16 (CommonJS and ESM) and bundler: arethetypeswrong', async () => {
    // Exits non-zero on any problem.
    const { stdout } = await exec(join(REPO_MODULES, '.bin', 'attw'), [tarball, '--format', 'json'], {
      cwd: work,
      timeout: 120_000,
    });
    const report = JSON.parse(stdout) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems).toEqual([]);
  });

  it('type-checks with the `cdk init` settings, and a wrong prop is an error', async () => {
    // The @ts-expect-error in wrong-props.ts makes this compile fail if the prop were accepted.
    // Compiled as the app's `npx tsc` would, into build/ for the next test to run.
    const emit = ['--noEmit', 'false', '--rootDir', '.', '--outDir', 'build'];
    const run = await inApp('tsc', ['-p', '.', ...emit]).catch((error) => error);
    expect(`${run.stdout ?? ''}${run.stderr ?? ''}`).toBe('');
    const broken = WRONG_PROPS.replace(/^\/\/ @ts-expect-error.*$/m, '');
    writeFileSync(join(app, 'bin', 'wrong-props.ts'), broken);
    try {
      const failed = await inApp('tsc', ['--noEmit', '-p', '.']).then(
        () => ({ stdout: 'compiled' }),
        (error) => error,
      );
      expect(failed.stdout).toMatch(
        /wrong-props\.ts.*error TS2353: Object literal may only specify known properties, and 'totally'/,
      );
    } finally {
      writeFileSync(join(app, 'bin', 'wrong-props.ts'), WRONG_PROPS);
    }
  });

  it('synthesizes the README example: the function bundled from the installed package', async () => {
    // The app as the previous test compiled it, run as `cdk synth` runs it.
    const outdir = join(work, 'cdk.out');
    await inApp(NODE_22, [join('build', 'bin', 'app.js')], { CDK_OUTDIR: outdir });
    const template = readJson<{
      Resources: Record<string, { Type: string }>;
      Outputs: Record<string, unknown>;
    }>(join(outdir, 'PlatformReports.template.json'));
    const resources = Object.values(template.Resources);
    expect(resources.filter((r) => r.Type === 'AWS::Scheduler::Schedule')).toHaveLength(2);
    expect(resources.filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(1);
    expect(template.Outputs.DigestFunction).toBeDefined();
    // The function's asset, bundled by the app's synth from the package's functions/ source.
    const bundles = readdirSync(outdir)
      .filter((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'index.mjs')))
      .map((name) => readFileSync(join(outdir, name, 'index.mjs'), 'utf8'));
    expect(bundles).toHaveLength(1);
    expect(bundles[0]).toContain('SendRawEmail');
    // The README shows this very app.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = readFileSync(join(ROOT, 'examples', 'another-cdk-app.ts'), 'utf8');
    expect(readme).toContain(example.split('\n').slice(1).join('\n').trim());
  });

  it('builds the history writer from the installed package, beside index.mjs', async () => {
    // A CommonJS app requiring dist/index.cjs: the construct finds functions/ and esbuild from there.
    const outdir = join(work, 'cdk.out.history');
    await inApp(NODE_22, [join('build', 'bin', 'history-app.js')], { CDK_OUTDIR: outdir });
    const assets = readdirSync(outdir).filter((name) => existsSync(join(outdir, name, 'index.mjs')));
    expect(assets).toHaveLength(1);
    const asset = join(outdir, assets[0] as string);
    expect(readdirSync(asset).sort()).toEqual(['history', 'index.mjs']);
    expect(readdirSync(join(asset, 'history')).sort()).toEqual(['index.js', 'package.json']);
    expect(readFileSync(join(asset, 'index.mjs'), 'utf8')).toContain('import("./history/index.js")');
  });

  it('has the usage-digest command, compiled: `npx usage-digest --help` with no tsx installed', async () => {
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    const { stdout } = await inApp('npx', ['--no-install', 'usage-digest', '--help']);
    expect(stdout).toContain('Usage: usage-digest');
  });
});

describe('House: functions/ stands alone', () => {
  /** Every TypeScript file under `dir`. */
  const sourceFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });

  it('imports nothing from infra/ (the package ships functions/ as source, not infra/)', () => {
    const infra = join(ROOT, 'infra');
    const offending = sourceFiles(join(ROOT, 'functions')).flatMap((file) =>
      ts
        .preProcessFile(readFileSync(file, 'utf8'), true, true)
        .importedFiles.map(({ fileName }) => fileName)
        .filter((name) => name.startsWith('.') && resolve(dirname(file), name).startsWith(`${infra}/`))
        .map((name) => `${relative(ROOT, file)} imports ${name}`),
    );
    expect(offending).toEqual([]);
  });
});
