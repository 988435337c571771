import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from './errors';

/**
 * The text of the file the variable `name` names (ROUTES_FILE, BUDGETS_FILE), or undefined when it
 * names none. The stack puts such data in the bundle (relative names are in the function's
 * directory, LAMBDA_TASK_ROOT) because Lambda's environment holds 4 KB in all, some 90 project
 * ids; a file holds any number.
 */
export function readBundledFile(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const file = env[name]?.trim();
  if (!file) return undefined;
  const path = resolve(env.LAMBDA_TASK_ROOT ?? '.', file);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name}: cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
