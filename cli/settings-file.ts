import { readFileSync } from 'node:fs';
import { parseTimeZone } from '../functions/report/core/event';

/** The deployment's settings file, as the CDK app reads it from the current directory. */
export const SETTINGS_FILE = 'usage-digest.config.json';

/**
 * The `timezone` of a deployment's settings file, so a terminal report uses the zone the digests
 * use. `path` given (`--config`): the file must exist. Not given: the settings file in the current
 * directory, when there is one. Undefined when the file sets no zone. Throws a one-line Error
 * naming the file.
 */
export function settingsTimeZone(path?: string): string | undefined {
  const file = path ?? SETTINGS_FILE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`--config: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not JSON (${(error as Error).message})`);
  }
  const timezone = (settings as { timezone?: unknown } | null)?.timezone;
  if (timezone === undefined) return undefined;
  try {
    return parseTimeZone(timezone, 'timezone');
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}
