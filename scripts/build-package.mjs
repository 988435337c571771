#!/usr/bin/env node
/**
 * `npm run build` (and `prepare`, so an install from git builds too): what the package ships in dist/.
 * - index.js (ESM) and index.cjs (CommonJS): the construct. `cdk init app --language typescript`
 *   makes a CommonJS app (no "type" in its package.json), which `require`s the package; an ESM app
 *   imports it. Packages stay external: the app's aws-cdk-lib and constructs are the ones in use.
 * - index.d.ts and index.d.cts: the declarations bundled into one file each, with no relative
 *   imports, so they resolve the same under NodeNext, Node16 and Bundler (tsc's own output imports
 *   `./usage-digest` without an extension, which NodeNext cannot resolve: the construct was `any`).
 * - cli.js: the `usage-digest` command, compiled, so running it needs no TypeScript tooling.
 * The Lambda's source (functions/) ships as TypeScript: NodejsFunction bundles it in the app's synth.
 * Plain JavaScript: it runs in a fresh clone before anything is compiled.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });

const common = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
};
await Promise.all([
  build({ ...common, entryPoints: ['infra/index.ts'], format: 'esm', outfile: 'dist/index.js' }),
  build({
    ...common,
    entryPoints: ['infra/index.ts'],
    format: 'cjs',
    outfile: 'dist/index.cjs',
    // The construct finds the function's source relative to its own file (import.meta.url),
    // which CommonJS spells __filename.
    define: { 'import.meta.url': '__usageDigestModuleUrl' },
    banner: { js: "const __usageDigestModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  }),
  build({
    ...common,
    entryPoints: ['cli/report.ts'],
    format: 'esm',
    outfile: 'dist/cli.js',
    // esbuild keeps the entry's own `#!` line; a second one would be a syntax error.
    ...(readFileSync(join(ROOT, 'cli', 'report.ts'), 'utf8').startsWith('#!')
      ? {}
      : { banner: { js: '#!/usr/bin/env node' } }),
  }),
]);

// The generator also type-checks the bundle it wrote (its imports resolve from this repository).
execFileSync(
  process.execPath,
  [
    join(ROOT, 'node_modules', 'dts-bundle-generator', 'dist', 'bin', 'dts-bundle-generator.js'),
    '--silent',
    '--no-banner',
    '--project',
    'tsconfig.build.json',
    '-o',
    'dist/index.d.ts',
    'infra/index.ts',
  ],
  { cwd: ROOT, stdio: 'inherit' },
);
// Free of relative imports, the one file serves both module kinds; the .d.cts extension tells
// TypeScript the `require` condition's types are CommonJS, as index.cjs is.
copyFileSync(join(DIST, 'index.d.ts'), join(DIST, 'index.d.cts'));
