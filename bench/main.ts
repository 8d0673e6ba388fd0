/**
 * Benchmark dispatcher: `npm run bench -- <name> [args...]` runs bench/<name>.ts,
 * whose `run(args)` prints a table and, as its last line, one JSON object of figures.
 */
import { existsSync, readdirSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const here = new URL('./', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.startsWith('lib'))
  .map((f) => f.replace(/\.ts$/, ''));

if (name === undefined || !existsSync(new URL(`./${name}.ts`, here))) {
  console.error(`usage: npm run bench -- <name> [args]\n  names: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<void> };
await mod.run(args);
