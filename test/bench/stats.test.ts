// Goal: the summaries benches report — medians of repeated runs, Edgernetes/etcd
// ratios, rounding — are right, and alternating runs give each system the first
// slot in half of the rounds.
// Method: known inputs with hand-computed answers; a recording fake per system.
import { describe, expect, it } from 'vitest';
import { runAlternating } from '../../bench/lib/alternate.js';
import { maximum, median, medianFigures, ratio, roundSignificant } from '../../bench/lib/stats.js';

describe('stats', () => {
  it('takes the median of odd and even counts, unsorted input, without mutating it', () => {
    const values = [9, 1, 5];
    expect(median(values)).toBe(5);
    expect(values).toEqual([9, 1, 5]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow();
    expect(() => median([1, Number.NaN])).toThrow();
    expect(maximum([3, 9, 2])).toBe(9);
  });

  it('gives ratios, null where a ratio has no meaning', () => {
    expect(ratio(6_000, 5_000)).toBeCloseTo(1.2, 12);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(Number.POSITIVE_INFINITY, 1)).toBeNull();
    expect(ratio(0, 5)).toBe(0);
  });

  it('takes the median per figure over runs and insists on the same figures', () => {
    const runs = [
      { writes_per_s: 100, p99_ms: 9 },
      { writes_per_s: 300, p99_ms: 3 },
      { writes_per_s: 200, p99_ms: 5 },
    ];
    expect(medianFigures(runs)).toEqual({ writes_per_s: 200, p99_ms: 5 });
    expect(() => medianFigures([{ a_ms: 1 }, { b_ms: 1 }])).toThrow();
  });

  it('rounds to significant digits', () => {
    expect(roundSignificant(5_012.345)).toBe(5_012);
    expect(roundSignificant(0.0123456, 3)).toBe(0.0123);
    expect(roundSignificant(0)).toBe(0);
  });
});

describe('runAlternating', () => {
  it('alternates the order every round and returns results per system in round order', async () => {
    const order: string[] = [];
    const results = await runAlternating(4, {
      edgernetes: async (round) => {
        order.push(`E${round}`);
        return round * 10;
      },
      etcd: async (round) => {
        order.push(`e${round}`);
        return round * 100;
      },
    });
    expect(order).toEqual(['E0', 'e0', 'e1', 'E1', 'E2', 'e2', 'e3', 'E3']);
    expect(results).toEqual({ edgernetes: [0, 10, 20, 30], etcd: [0, 100, 200, 300] });
  });

  it('never runs two systems at once', async () => {
    let running = 0;
    let runningMax = 0;
    const system = async () => {
      runningMax = Math.max(runningMax, ++running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
    };
    await runAlternating(3, { a: system, b: system });
    expect(runningMax).toBe(1);
  });
});
