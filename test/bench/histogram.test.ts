// Goal: the latency histogram reports percentiles within its stated relative error
// (< 0.8 %), keeps exact min/max/count, merges, and never under-states a percentile.
// Method: record known distributions (uniform 1..10,000 ms, a constant, a two-point
// mix) and compare with the exact order statistics.
import { describe, expect, it } from 'vitest';
import { LatencyHistogram, VALUE_US_MAX } from '../../bench/lib/histogram.js';

const RELATIVE_ERROR_MAX = 2 ** -7;

/** `reported` is at or above `exact`, by at most the histogram's relative error. */
function expectWithin(reported: number, exact: number): void {
  expect(reported).toBeGreaterThanOrEqual(exact);
  expect((reported - exact) / exact).toBeLessThanOrEqual(RELATIVE_ERROR_MAX);
}

function exactPercentile(sorted: number[], p: number): number {
  return sorted[Math.ceil((p / 100) * sorted.length) - 1]!;
}

describe('LatencyHistogram', () => {
  it('reports percentiles of a uniform distribution within the relative error, never below', () => {
    const h = new LatencyHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => i + 1); // 1..10,000 ms
    for (const v of [...values].reverse()) h.recordMs(v);
    for (const p of [1, 50, 90, 99, 99.9, 100]) {
      expectWithin(h.percentileMs(p), exactPercentile(values, p));
    }
    expect(h.count).toBe(10_000);
    expect(h.minMs).toBe(1);
    expect(h.maxMs).toBe(10_000);
    expect(h.meanMs).toBeCloseTo(5_000.5, 6);
  });

  it('is exact below 128 µs and for a constant', () => {
    const small = new LatencyHistogram();
    for (let us = 1; us <= 100; us++) small.recordMs(us / 1_000);
    expect(small.percentileMs(50)).toBe(0.05);
    expect(small.percentileMs(100)).toBe(0.1);
    const constant = new LatencyHistogram();
    for (let i = 0; i < 1_000; i++) constant.recordMs(12.345);
    expect(constant.percentileMs(50)).toBe(12.345);
    expect(constant.percentileMs(99)).toBe(12.345); // capped at the exact maximum
  });

  it('places a two-point mix at the rank boundary', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 90; i++) h.recordMs(1);
    for (let i = 0; i < 10; i++) h.recordMs(100);
    expectWithin(h.percentileMs(90), 1);
    expect(h.percentileMs(91)).toBe(100); // the top bucket is capped at the exact maximum
  });

  it('merges counts, extremes and means', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    a.recordMs(2);
    b.recordMs(8);
    b.recordMs(5);
    a.merge(b);
    expect(a.count).toBe(3);
    expect(a.minMs).toBe(2);
    expect(a.maxMs).toBe(8);
    expect(a.meanMs).toBeCloseTo(5, 9);
    expectWithin(a.percentileMs(50), 5);
  });

  it('is empty-safe, clamps huge values and rejects invalid ones', () => {
    const h = new LatencyHistogram();
    expect(h.percentileMs(99)).toBe(0);
    expect(h.maxMs).toBe(0);
    expect(h.minMs).toBe(0);
    h.recordMs(1e15);
    expect(h.maxMs).toBe(VALUE_US_MAX / 1_000);
    expect(h.percentileMs(50)).toBe(VALUE_US_MAX / 1_000);
    expect(() => h.recordMs(-1)).toThrow();
    expect(() => h.recordMs(Number.NaN)).toThrow();
    expect(() => h.percentileMs(0)).toThrow();
  });

  it('is accurate around every power of two (bucket edges)', () => {
    for (let exponent = 7; exponent <= 36; exponent++) {
      for (const us of [2 ** exponent - 1, 2 ** exponent, 2 ** exponent + 1]) {
        const h = new LatencyHistogram();
        h.recordMs(us / 1_000);
        h.recordMs(VALUE_US_MAX / 1_000); // so the max does not cap the answer
        expectWithin(Math.round(h.percentileMs(50) * 1_000), us);
      }
    }
  });
});
