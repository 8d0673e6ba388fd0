// Goal: the closed-loop load generator keeps exactly `concurrency` ops in flight,
// counts successes and errors once each, reports latencies of the measured window
// only, ends by count or by time (even for ops that settle in a microtask), and
// fails a run whose op never settles.
// Method: fake async ops — a fake clock advanced by a known latency per op (exact
// percentiles), timer-based ops (real time), failing ops and a never-settling op.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LoadTimeoutError, runLoad, type OpContext } from '../../bench/lib/loadgen.js';

describe('runLoad', () => {
  it('reports exact percentiles of a known latency distribution (fake clock, 1 in flight)', async () => {
    let clockMs = 0;
    // Op n takes (n % 1000) + 1 ms: each of 1..1000 ms exactly 5 times over 5,000 ops.
    const op = async ({ sequence }: OpContext) => {
      clockMs += (sequence % 1_000) + 1;
    };
    const r = await runLoad(op, { concurrency: 1, opCount: 5_000, clockMs: () => clockMs });
    expect(r.ops).toBe(5_000);
    expect(r.errors).toBe(0);
    // Percentiles are reported at histogram precision: at or above the exact value, < 0.8 % over.
    for (const [reported, exact] of [
      [r.p50Ms, 500],
      [r.p90Ms, 900],
      [r.p99Ms, 990],
    ] as const) {
      expect(reported).toBeGreaterThanOrEqual(exact);
      expect(reported).toBeLessThanOrEqual(exact * (1 + 2 ** -7));
    }
    expect(r.maxMs).toBe(1_000);
    expect(r.elapsedMs).toBe(5 * (1_000 * 1_001) / 2);
    expect(r.opsPerS).toBeCloseTo((5_000 / r.elapsedMs) * 1_000, 9);
  });

  it('keeps exactly `concurrency` ops in flight and counts every op once', async () => {
    let inFlight = 0;
    let inFlightMax = 0;
    const workers = new Set<number>();
    const op = async ({ workerIndex }: OpContext) => {
      workers.add(workerIndex);
      inFlightMax = Math.max(inFlightMax, ++inFlight);
      await sleep(1);
      inFlight--;
    };
    const r = await runLoad(op, { concurrency: 8, opCount: 200 });
    expect(r.ops).toBe(200);
    expect(inFlightMax).toBe(8);
    expect([...workers].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(inFlight).toBe(0);
  });

  it('runs for the duration with real timers: throughput and latency match the op', async () => {
    const r = await runLoad(() => sleep(5), { concurrency: 4, durationMs: 300, warmupMs: 50 });
    // Each op takes >= 5 ms, so at most 4 × 300 / 5 (+ the 4 started last) fit in the window.
    expect(r.ops).toBeGreaterThan(40);
    expect(r.ops).toBeLessThanOrEqual(4 * (300 / 5) + 4);
    expect(r.p50Ms).toBeGreaterThanOrEqual(4.9);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(300);
    expect(r.opsPerS).toBeCloseTo((r.ops / r.elapsedMs) * 1_000, 6);
  });

  it('ends a duration run even when ops settle in a microtask', async () => {
    const r = await runLoad(async () => undefined, { concurrency: 2, durationMs: 50 });
    expect(r.ops).toBeGreaterThan(0);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(50);
  });

  it('counts errors apart from latencies and keeps a bounded set of samples', async () => {
    const op = async ({ sequence }: OpContext) => {
      if (sequence % 4 === 0) throw new Error(`boom ${sequence % 12}`);
    };
    const r = await runLoad(op, { concurrency: 3, opCount: 400, errorSamplesMax: 2 });
    expect(r.ops + r.errors).toBe(400);
    expect(r.errors).toBe(100);
    expect(r.errorSamples).toHaveLength(2);
    expect(r.errorSamples[0]).toMatch(/^boom /);
  });

  it('does not record warm-up ops', async () => {
    let clockMs = 0;
    const op = async () => {
      clockMs += 10;
    };
    const r = await runLoad(op, { concurrency: 1, opCount: 10, warmupMs: 100, clockMs: () => clockMs });
    expect(r.ops).toBe(10);
    expect(r.elapsedMs).toBe(100); // 10 measured ops of 10 ms, the 10 warm-up ops excluded
  });

  it('fails with LoadTimeoutError when an op never settles', async () => {
    const never = () => new Promise<void>(() => undefined);
    await expect(runLoad(never, { concurrency: 2, opCount: 5, runTimeoutMs: 100 })).rejects.toBeInstanceOf(
      LoadTimeoutError,
    );
  });

  it('rejects invalid options, naming the field', async () => {
    const op = async () => undefined;
    await expect(runLoad(op, { concurrency: 0, opCount: 1 })).rejects.toThrow(/concurrency/);
    await expect(runLoad(op, { concurrency: 1 })).rejects.toThrow(/durationMs, opCount/);
    await expect(runLoad(op, { concurrency: 1, opCount: 1, durationMs: 1 })).rejects.toThrow(/exactly one/);
    await expect(runLoad(op, { concurrency: 1, opCount: 1.5 })).rejects.toThrow(/opCount/);
  });
});
