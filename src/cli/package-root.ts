/**
 * The package's root directory (the one holding package.json), found from
 * this module's own location, so the CLIs find it both when run from source
 * (src/cli/) and when run compiled (dist/src/cli/, see scripts/build.mjs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directories walked up at most: src/cli/edgectl is three below the root, dist adds one. */
const LEVELS_MAX = 6;

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= LEVELS_MAX; level++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no package.json within ${LEVELS_MAX} directories above ${fileURLToPath(import.meta.url)}`);
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
