/**
 * Runs a CLI module: compiled (dist/, see scripts/build.mjs) when the build is
 * fresh, else from source through tsx's loader. `relative` is the module's
 * path under src/ without its extension, e.g. 'cli/edgernetes'.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { buildIsFresh } from './freshness.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

export async function launch(relative) {
  if (process.env.EDGERNETES_FROM_SOURCE !== '1' && buildIsFresh(root)) {
    await import(pathToFileURL(join(root, 'dist', 'src', `${relative}.js`)).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', `${relative}.ts`)).href);
}
