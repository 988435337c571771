import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'usage-digest';

/**
 * This package's version, read at run time from the nearest package.json named usage-digest above
 * this module: cli/report.ts run from source and dist/cli.js compiled from it sit at different
 * depths, and a dist/package.json (module type only) may stand in between.
 */
export function packageVersion(): string {
  // An ESM bundle keeps import.meta.url; a CommonJS one empties import.meta, and argv[1] is the script.
  const url: unknown = import.meta.url;
  let dir = dirname(typeof url === 'string' ? fileURLToPath(url) : realpathSync(process.argv[1] ?? '.'));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`no package.json named ${PACKAGE_NAME} above ${fileURLToPath(url as string)}`);
    dir = parent;
  }
}
