#!/usr/bin/env node
/**
 * Runs first in `npm test` (and as `npm run lambda-runtime`): builds Lambda's own runtime interface
 * client (aws-lambda-ric) in test/lambda-runtime, for the one test that runs the shipped bundle as
 * Lambda does; a no-op once built. Not a `postinstall`: that would run on every install of the
 * package into someone's app, and this script is not even in the package. It compiles C++ with cmake, make and g++, so it is optional: without them
 * the tests go on and that one says it was skipped and why. Under CI=true it must build.
 * Plain JavaScript: it runs before anything else could be relied on.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'lambda-runtime');
const PACKAGE = join(DIR, 'node_modules', 'aws-lambda-ric');
const REQUIRED_TOOLS = ['cmake', 'make', 'g++'];
const strict = process.env.CI === 'true';
const say = (message) => process.stderr.write(`usage-digest: ${message}\n`);

function lockedVersion() {
  return JSON.parse(readFileSync(join(DIR, 'package-lock.json'), 'utf8')).packages[
    'node_modules/aws-lambda-ric'
  ].version;
}

function builtVersion() {
  if (!existsSync(join(PACKAGE, 'rapid-client.node'))) return undefined;
  return JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).version;
}

if (builtVersion() === lockedVersion()) process.exit(0);

const missing = REQUIRED_TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length && !strict) {
  say(
    `skipped building Lambda's runtime client (aws-lambda-ric): no ${missing.join(', ')} on this machine. ` +
      'Everything works without it; only the shipped-bundle test will say it was skipped. ' +
      'To run that test too: install cmake, make and g++, then `npm run lambda-runtime`.',
  );
  process.exit(0);
}

say(
  `building Lambda's runtime client (aws-lambda-ric ${lockedVersion()}) for the shipped-bundle test: a few minutes…`,
);
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const run = spawnSync(npm[0], [...npm.slice(1), 'ci', '--no-audit', '--no-fund', '--loglevel=error'], {
  cwd: DIR,
  encoding: 'utf8',
  // Where the parent install went (a --prefix, --global, a dry run) must not steer this one;
  // the rest of its settings (registry, proxy, nodedir) are this machine's and still apply.
  env: Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^npm_config_(prefix|local_prefix|global|dry_run)$/i.test(name),
    ),
  ),
});
if (run.status === 0 && builtVersion() === lockedVersion()) process.exit(0);

process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}`.split('\n').slice(-40).join('\n'));
if (strict) {
  say('building aws-lambda-ric failed, and CI=true requires it: see the output above.');
  process.exit(1);
}
say(
  'building aws-lambda-ric failed (see above); the tests go on, and the shipped-bundle test will be skipped.',
);
