/**
 * `npm run sim -- --seeds N [--replicas 3|5] [--seed S] [--steps K] [--jobs J]`
 *
 * Runs seeds S .. S+N-1 (S defaults to 1; `--seed S` alone replays seed S
 * exactly). Prints every violation with its replay command and trace, then
 * the rate, and as its LAST line exactly `sim: <N> seeds, <V> violations`.
 * Exit code: 0 when no violation, 1 when any, 2 on invalid options.
 */
import { Command, InvalidArgumentError } from 'commander';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { SimOptionError } from './errors.js';
import { DEFAULT_OPTIONS, validateOptions, type SimOptions } from './params.js';
import { formatStats, formatViolation } from './report.js';
import { runSeed, SimulatorCrashError, type SeedResult } from './run.js';
import { runSeedsInWorkers } from './workers.js';
import { writeHistory } from './history-file.js';

/** Violations printed in full; later ones are counted and listed by seed only. */
const FULL_REPORTS_MAX = 5;

interface CliOptions {
  readonly seeds?: number;
  readonly seed?: number;
  readonly replicas: number;
  readonly steps: number;
  readonly trace: number;
  readonly jobs?: number;
  readonly verbose: boolean;
}

function integer(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`not an integer: ${text}`);
  return n;
}

function parse(argv: readonly string[]): CliOptions {
  const program = new Command('sim')
    .description('seeded deterministic simulation of a Raft cluster')
    .option('--seeds <n>', 'number of seeds to run', integer)
    .option('--seed <s>', 'first seed (alone: replay exactly this seed)', integer)
    .option('--replicas <n>', 'replicas at start: 3 or 5', integer, DEFAULT_OPTIONS.replicas)
    .option('--steps <k>', 'steps (ticks) of the fault schedule', integer, DEFAULT_OPTIONS.steps)
    .option('--trace <n>', 'events shown for a violation', integer, DEFAULT_OPTIONS.traceEvents)
    .option('--jobs <j>', 'worker threads (default: one per core, up to 4, for 50 seeds or more)', integer)
    .option('--verbose', 'print statistics for every seed', false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.parse(argv as string[], { from: 'user' });
  return program.opts<CliOptions>();
}

export async function main(argv: readonly string[]): Promise<number> {
  let cli: CliOptions;
  let options: SimOptions;
  try {
    cli = parse(argv);
    options = validateOptions({ ...DEFAULT_OPTIONS, replicas: cli.replicas, steps: cli.steps, traceEvents: cli.trace });
    if (cli.jobs !== undefined && (cli.jobs < 1 || cli.jobs > 64)) throw new SimOptionError('--jobs', `must be in [1, 64] (got ${cli.jobs})`);
  } catch (error) {
    if ((error as { code?: string }).code === 'commander.helpDisplayed') return 0;
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const count = cli.seeds ?? (cli.seed !== undefined ? 1 : 100);
  const first = cli.seed ?? 1;
  const seeds = Array.from({ length: count }, (_, k) => first + k);
  // Workers cost a second or two to start: worth it only for longer runs.
  const jobs = cli.jobs ?? (count >= 50 ? Math.min(4, availableParallelism()) : 1);
  const startedMs = performance.now();
  let violations = 0;
  const onResult = (result: SeedResult): void => {
    if (cli.verbose) console.log(formatStats(result));
    if (result.violation === null) return;
    violations++;
    if (result.history !== null) console.log(`  history written to ${writeHistory(result.seed, result.history)}`);
    if (violations <= FULL_REPORTS_MAX) console.log(formatViolation(result, options));
    else console.log(`VIOLATION seed=${result.seed}: ${result.violation.kind}`);
  };
  try {
    if (jobs > 1) await runSeedsInWorkers(seeds, options, jobs, onResult);
    else for (const seed of seeds) onResult(runSeed(seed, options));
  } catch (error) {
    if (error instanceof SimulatorCrashError) {
      console.log(`SIMULATOR FAILURE seed=${error.seed}: ${String((error.cause as Error)?.stack ?? error.cause)}`);
      console.log(error.traceLines.map((l) => `    ${l}`).join('\n'));
      if (error.history !== null) console.log(`  history written to ${writeHistory(error.seed, error.history)}`);
    }
    throw error;
  }
  const seconds = (performance.now() - startedMs) / 1000;
  console.log(`rate: ${(count / seconds).toFixed(1)} seeds/s (${count} seeds of ${options.steps} steps, ${options.replicas} replicas, ${seconds.toFixed(1)} s, ${jobs} job${jobs > 1 ? 's' : ''})`);
  console.log(`sim: ${count} seeds, ${violations} violations`);
  return violations === 0 ? 0 : 1;
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 3;
    },
  );
}
