/**
 * Closed-loop load generator: `concurrency` workers, each issuing one op,
 * awaiting it, and issuing the next, for a duration or a total op count. It is
 * generic over the op (an etcd Put, an Edgernetes put, a read, a fake), so both
 * systems of a comparison are driven by the same code.
 *
 * Method: an op is measured when it *started* inside the measured window
 * (after the warm-up). Latency is its own start-to-settle time; throughput is
 * the measured successes over the time from the window's start to the settling
 * of the last measured op. A rejected op counts as an error, not a latency.
 * Memory is bounded: latencies go to a fixed-size histogram, and at most
 * `errorSamplesMax` error messages are kept.
 *
 * Bounds: every worker checks the clock (or the count) before each op, so the
 * loop ends even for ops that settle in a microtask; the whole run is bounded by
 * `runTimeoutMs`: past it no op starts, and the run fails with
 * LoadTimeoutError (an op that never settles is a bug of the op: every real op
 * carries a deadline).
 */
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { BenchError } from './errors.js';
import { LatencyHistogram } from './histogram.js';

export interface OpContext {
  /** 0..concurrency-1: the worker issuing the op. */
  readonly workerIndex: number;
  /** Global number of the op, from 0, in start order (warm-up included). */
  readonly sequence: number;
}

export type Op = (context: OpContext) => Promise<void>;

export interface LoadOptions {
  /** Ops in flight at any time, 1..CONCURRENCY_MAX. */
  readonly concurrency: number;
  /** Length of the measured window. Exactly one of durationMs and opCount is given. */
  readonly durationMs?: number;
  /** Number of measured ops to start. */
  readonly opCount?: number;
  /** Ops run this long before the measured window, unrecorded. Default 0. */
  readonly warmupMs?: number;
  /**
   * Bound on the whole run, drain included. Default: warm-up + duration + 30 s
   * with durationMs; 10 minutes with opCount.
   */
  readonly runTimeoutMs?: number;
  /** Error messages kept for the report. Default 5. */
  readonly errorSamplesMax?: number;
  /** Monotonic clock in ms. Default performance.now; tests inject a fake one. */
  readonly clockMs?: () => number;
}

export interface LoadResult {
  readonly concurrency: number;
  /** Measured ops that succeeded. */
  readonly ops: number;
  /** Measured ops that rejected. */
  readonly errors: number;
  readonly elapsedMs: number;
  readonly opsPerS: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Up to errorSamplesMax distinct error messages. */
  readonly errorSamples: readonly string[];
  /** Latencies of the successful measured ops (for merging runs). */
  readonly histogram: LatencyHistogram;
}

export const CONCURRENCY_MAX = 4_096;

/** The run did not finish within runTimeoutMs (ops too slow for the count, or an op never settled). */
export class LoadTimeoutError extends BenchError {}

const DRAIN_MS_DEFAULT = 30_000;
const OP_COUNT_RUN_TIMEOUT_MS_DEFAULT = 600_000;

type Phase = 'warmup' | 'measure' | 'stop';

function validate(o: LoadOptions): void {
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > CONCURRENCY_MAX) {
    throw new RangeError(`concurrency: ${o.concurrency} not in 1..${CONCURRENCY_MAX}`);
  }
  if ((o.durationMs === undefined) === (o.opCount === undefined)) {
    throw new RangeError('durationMs, opCount: give exactly one of them');
  }
  if (o.durationMs !== undefined && !(o.durationMs > 0)) {
    throw new RangeError(`durationMs: ${o.durationMs} must be > 0`);
  }
  if (o.opCount !== undefined && !(Number.isInteger(o.opCount) && o.opCount > 0)) {
    throw new RangeError(`opCount: ${o.opCount} must be a positive integer`);
  }
  if (o.warmupMs !== undefined && !(o.warmupMs >= 0)) throw new RangeError(`warmupMs: ${o.warmupMs} must be >= 0`);
  if (o.runTimeoutMs !== undefined && !(o.runTimeoutMs > 0)) {
    throw new RangeError(`runTimeoutMs: ${o.runTimeoutMs} must be > 0`);
  }
}

/** Runs `op` closed-loop as described in the file comment. */
export async function runLoad(op: Op, options: LoadOptions): Promise<LoadResult> {
  validate(options);
  const { concurrency, durationMs, opCount } = options;
  const warmupMs = options.warmupMs ?? 0;
  const errorSamplesMax = options.errorSamplesMax ?? 5;
  const now = options.clockMs ?? (() => performance.now());
  const histogram = new LatencyHistogram();
  const errorSamples = new Set<string>();
  let errors = 0;
  let sequence = 0;
  let measuredStarted = 0;
  const startMs = now();
  const measureStartMs = startMs + warmupMs;
  const measureEndMs = durationMs === undefined ? Infinity : measureStartMs + durationMs;
  let lastSettleMs = measureStartMs;
  let timedOut = false;

  const phaseAt = (nowMs: number): Phase => {
    if (timedOut) return 'stop';
    if (nowMs < measureStartMs) return 'warmup';
    if (nowMs >= measureEndMs || (opCount !== undefined && measuredStarted >= opCount)) return 'stop';
    return 'measure';
  };

  const worker = async (workerIndex: number): Promise<void> => {
    for (;;) {
      const t0 = now();
      const phase = phaseAt(t0);
      if (phase === 'stop') return;
      const measured = phase === 'measure';
      if (measured) measuredStarted++;
      try {
        await op({ workerIndex, sequence: sequence++ });
        if (measured) histogram.recordMs(now() - t0);
      } catch (err) {
        if (measured) {
          errors++;
          if (errorSamples.size < errorSamplesMax) errorSamples.add((err as Error)?.message ?? String(err));
        }
      }
      if (measured) lastSettleMs = Math.max(lastSettleMs, now());
    }
  };

  const runTimeoutMs =
    options.runTimeoutMs ??
    (durationMs === undefined ? OP_COUNT_RUN_TIMEOUT_MS_DEFAULT : warmupMs + durationMs + DRAIN_MS_DEFAULT);
  try {
    await settleWithin(
      Array.from({ length: concurrency }, (_, i) => worker(i)),
      runTimeoutMs,
    );
  } catch (err) {
    timedOut = true; // Workers still running start no further op.
    throw err;
  }
  const elapsedMs = Math.max(lastSettleMs - measureStartMs, Number.EPSILON);
  assert.equal(histogram.count + errors, measuredStarted, 'every measured op is counted once');
  return {
    concurrency,
    ops: histogram.count,
    errors,
    elapsedMs,
    opsPerS: (histogram.count / elapsedMs) * 1_000,
    p50Ms: histogram.percentileMs(50),
    p90Ms: histogram.percentileMs(90),
    p99Ms: histogram.percentileMs(99),
    maxMs: histogram.maxMs,
    meanMs: histogram.meanMs,
    errorSamples: [...errorSamples],
    histogram,
  };
}

/** Awaits all workers, failing with LoadTimeoutError after `timeoutMs`. */
async function settleWithin(workers: Promise<void>[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LoadTimeoutError(`load run did not finish within runTimeoutMs = ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([Promise.all(workers), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
