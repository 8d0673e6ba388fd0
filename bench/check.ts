/**
 * Benchmark of the linearizability checker: `npm run bench -- check [--quick]`.
 *
 * Histories of 20 always-busy processes on ONE key (no partitioning to help), from the seeded
 * register simulator (values 0-4, 5% fail, 5% info or never completed), for 1k, 10k and 50k
 * operations; each as generated (linearizable) and with one stale read (not linearizable).
 * Several seeds per size: prints the median and the worst time, and operations per second.
 * The last line is one JSON object, also written to bench/results/check.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import Table from 'cli-table3';
import { checkHistory, type HistoryEvent } from '../src/check/index.js';
import {
  DEFAULT_RANDOM_HISTORY,
  randomLinearizableHistory,
  Rng,
  staleReadMutation,
} from '../src/check/random-history.js';

const PROCESSES = 20;
const TIMEOUT_MS = 60_000;

interface Row {
  readonly operations: number;
  readonly history: 'linearizable' | 'not-linearizable';
  readonly seeds: number;
  readonly medianMs: number;
  readonly worstMs: number;
  readonly opsPerSecond: number;
  /** Seeds whose verdict was not the expected one (must be 0). */
  readonly wrongVerdicts: number;
}

export async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const plan: Array<[number, number]> = quick ? [[1_000, 3], [10_000, 2]] : [[1_000, 5], [10_000, 5], [50_000, 2]];
  const rows: Row[] = [];
  for (const [operations, seeds] of plan) {
    for (const history of ['linearizable', 'not-linearizable'] as const) {
      rows.push(measure(operations, history, seeds));
    }
  }
  const table = new Table({
    head: ['operations', 'history', 'seeds', 'median ms', 'worst ms', 'ops/s (median)', 'wrong verdicts'],
  });
  for (const r of rows) {
    table.push([r.operations, r.history, r.seeds, r.medianMs, r.worstMs, r.opsPerSecond, r.wrongVerdicts]);
  }
  console.log(`check: ${PROCESSES} processes, one key, ${cpus().length} cpus, node ${process.version}`);
  console.log(table.toString());
  const summary = {
    bench: 'check',
    processes: PROCESSES,
    keys: 1,
    quick,
    node: process.version,
    cpus: cpus().length,
    results: rows,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/check.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(JSON.stringify(summary));
}

function measure(operations: number, history: Row['history'], seeds: number): Row {
  const times: number[] = [];
  let wrong = 0;
  for (let seed = 1; seed <= seeds; seed++) {
    const events = generate(operations, history, seed);
    const started = performance.now();
    const verdict = checkHistory(events, { timeoutMs: TIMEOUT_MS });
    times.push(performance.now() - started);
    if (verdict.kind !== history) wrong++;
  }
  times.sort((x, y) => x - y);
  // Lower median for an even count; times rounded to 0.1 ms.
  const medianMs = Math.round(times[Math.floor((times.length - 1) / 2)] * 10) / 10;
  const worstMs = Math.round(times[times.length - 1] * 10) / 10;
  const opsPerSecond = Math.round((operations / medianMs) * 1000);
  return { operations, history, seeds, medianMs, worstMs, opsPerSecond, wrongVerdicts: wrong };
}

function generate(operations: number, history: Row['history'], seed: number): HistoryEvent[] {
  const options = { ...DEFAULT_RANDOM_HISTORY, seed, operations, processes: PROCESSES, keys: 1 };
  const events = randomLinearizableHistory(options);
  if (history === 'linearizable') return events;
  const mutated = staleReadMutation(events, new Rng(seed));
  if (mutated === null) throw new BenchSetupError(`seed ${seed}: no read to make stale in ${operations} operations`);
  return mutated;
}

/** The generator could not build the history a row needs (a bug in the plan, not a result). */
class BenchSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchSetupError';
  }
}
