/**
 * `edgernetes check-history FILE... [--model register] [--timeout 10s]`
 *
 * One stdout line per file: `FILE: linearizable`, `FILE: NOT linearizable` followed by the
 * window (indented), `FILE: UNKNOWN (timeout)`, or `FILE: malformed ...` (the reason also goes to
 * stderr as FILE:LINE: reason). Exit: 2 if any file is malformed or unreadable, else 1 if any is
 * not linearizable, else 3 if any is unknown, else 0. The timeout applies to each file.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkHistory, HistoryParseError, type ModelName, parseHistoryLines } from '../check/index.js';

export const EXIT_LINEARIZABLE = 0;
export const EXIT_NOT_LINEARIZABLE = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNKNOWN = 3;

export interface CheckHistoryOptions {
  readonly model: ModelName;
  /** Per file; Infinity for none. */
  readonly timeoutMs: number;
}

export interface Output {
  write(text: string): unknown;
}

export function registerCheckHistory(program: Command): void {
  program
    .command('check-history')
    .description('decide whether Jepsen-style JSON Lines histories are linearizable')
    .argument('<files...>', 'history files, one JSON event per line')
    .addOption(new Option('--model <model>', 'sequential specification').choices(['register']).default('register'))
    .option(
      '--timeout <duration>',
      'per-file limit: milliseconds, or with a unit (500ms, 10s, 2m, 1h); past it: UNKNOWN',
      parseDurationArgument,
    )
    .action(async (files: string[], opts: { model: ModelName; timeout?: number }) => {
      const options = { model: opts.model, timeoutMs: opts.timeout ?? Infinity };
      process.exitCode = await runCheckHistory(files, options, process.stdout, process.stderr);
    });
}

/** Checks each file in turn; returns the exit code. */
export async function runCheckHistory(
  files: readonly string[],
  options: CheckHistoryOptions,
  out: Output,
  err: Output,
): Promise<number> {
  let malformed = false;
  let violated = false;
  let unknown = false;
  for (const file of files) {
    const outcome = await checkFile(file, options);
    out.write(outcome.lines.map((line) => `${line}\n`).join(''));
    if (outcome.error !== undefined) err.write(`${outcome.error}\n`);
    malformed ||= outcome.kind === 'malformed';
    violated ||= outcome.kind === 'not-linearizable';
    unknown ||= outcome.kind === 'unknown';
  }
  if (malformed) return EXIT_USAGE;
  if (violated) return EXIT_NOT_LINEARIZABLE;
  return unknown ? EXIT_UNKNOWN : EXIT_LINEARIZABLE;
}

interface FileOutcome {
  readonly kind: 'linearizable' | 'not-linearizable' | 'unknown' | 'malformed';
  readonly lines: string[];
  readonly error?: string;
}

async function checkFile(file: string, options: CheckHistoryOptions): Promise<FileOutcome> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    const error = `${file}: cannot read: ${(cause as Error).message}`;
    return { kind: 'malformed', lines: [`${file}: cannot read (${reason})`], error };
  }
  try {
    const { events, lineNumbers } = parseHistoryLines(text, file);
    const verdict = checkHistory(events, { timeoutMs: options.timeoutMs, model: options.model, lineNumbers });
    switch (verdict.kind) {
      case 'linearizable':
        return { kind: 'linearizable', lines: [`${file}: linearizable`] };
      case 'not-linearizable':
        const window = verdict.window.map((line) => `  ${line}`);
        return { kind: 'not-linearizable', lines: [`${file}: NOT linearizable`, ...window] };
      case 'unknown':
        return { kind: 'unknown', lines: [`${file}: UNKNOWN (timeout)`] };
    }
  } catch (error) {
    if (!(error instanceof HistoryParseError)) throw error;
    const line = `${file}: malformed at line ${error.line}: ${error.reason}`;
    return { kind: 'malformed', lines: [line], error: error.message };
  }
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "1500" (milliseconds), "500ms", "10s", "1.5m", "1h" → milliseconds; throws InvalidArgumentError. */
export function parseDurationArgument(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) {
    throw new InvalidArgumentError(`expected a duration like 1500, 500ms, 10s, 2m; got ${JSON.stringify(text)}`);
  }
  return Number(match[1]) * DURATION_UNIT_MS[match[2] ?? 'ms'];
}
