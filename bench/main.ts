/**
 * Benchmark dispatcher: `npm run bench -- <name> [args...]` runs bench/<name>.ts,
 * whose `run(args)` prints a table and, as its last line, one JSON object of figures.
 * `npm run bench -- <name> --help` prints that bench's own description (its
 * leading doc comment); a bad option exits 2 with the error and that usage.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const [name, ...args] = process.argv.slice(2);
const here = new URL('./', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'main.ts' && !f.startsWith('lib'))
  .map((f) => f.replace(/\.ts$/, ''));

if (name === undefined || !existsSync(new URL(`./${name}.ts`, here))) {
  console.error(`usage: npm run bench -- <name> [args]   (<name> --help: its options)\n  names: ${available.join(', ') || '(none)'}`);
  process.exit(2);
}
const source = new URL(`./${name}.ts`, here);
if (args.includes('--help') || args.includes('-h')) {
  console.log(describe(readFileSync(source, 'utf8')));
  process.exit(0);
}
const mod = (await import(`./${name}.ts`)) as { run: (args: string[]) => Promise<void> };
try {
  await mod.run(args);
} catch (err) {
  if (!isUsageError(err)) throw err;
  console.error(`bench ${name}: ${(err as Error).message}\n\n${describe(readFileSync(source, 'utf8'))}`);
  process.exit(2);
}

/** A bench file's leading doc comment, without its comment markers. */
function describe(text: string): string {
  const match = /^\s*\/\*\*([\s\S]*?)\*\//.exec(text);
  if (match === null) return `bench ${name}: no description`;
  return match[1]!
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim();
}

/** An unknown or malformed option (node:util parseArgs), or a value our option checks refused (`--flag: ...`). */
function isUsageError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) return true;
  return err instanceof RangeError && err.message.startsWith('--');
}
