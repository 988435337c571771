#!/usr/bin/env node
// The `usage-digest` command (`npx usage-digest --help`): loads the TypeScript CLI through tsx, from
// this file's own location, so it works from any directory.
import { register } from 'tsx/esm/api';

register();
await import('./report.ts');
