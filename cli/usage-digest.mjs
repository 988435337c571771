#!/usr/bin/env node
// The `usage-digest` command (`npx usage-digest --help`). Installed as a package, it runs the compiled
// dist/cli.js: no TypeScript tooling needed. In a checkout of this repository, where the source sits
// beside this file, it runs cli/report.ts through tsx (a dev dependency), so an edit shows without a build.
import { existsSync } from 'node:fs';

const source = new URL('./report.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli.js');
}
