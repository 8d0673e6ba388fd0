/**
 * Whether dist/ (scripts/build.mjs) holds a compilation of the current
 * sources: true only when no file under src/ is newer than the newest one the
 * build compiled, and none was added or removed. Walking src/ takes a few ms.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SOURCE_DIR = 'src';
export const STAMP_FILE = join('dist', 'build-stamp.json');

/** Every .ts file under src/ and the newest modification time among them. */
export function newestSource(root) {
  const files = [];
  let newestMtimeMs = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        files.push(path);
        newestMtimeMs = Math.max(newestMtimeMs, statSync(path).mtimeMs);
      }
    }
  };
  walk(join(root, SOURCE_DIR));
  return { files, newestMtimeMs };
}

export function buildIsFresh(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, STAMP_FILE), 'utf8'));
  } catch {
    return false; // never built
  }
  const { files, newestMtimeMs } = newestSource(root);
  return stamp.files === files.length && stamp.newestSourceMtimeMs >= newestMtimeMs;
}
