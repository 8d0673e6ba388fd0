// Goal: a 10,000-operation history of 20 concurrent processes is decided correctly, both as
// generated (linearizable) and with one stale read (not). Timing is measured by bench/check.ts;
// here the budget is only a guard against hanging.
// Method: seeded generator with fail, info and never-completed operations on one key (the
// hardest case: no partitioning), and on four keys.
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/index.js';
import { DEFAULT_RANDOM_HISTORY, randomLinearizableHistory, Rng, staleReadMutation } from '../../src/check/random-history.js';

describe('large histories', () => {
  for (const keys of [1, 4]) {
    it(`decides 10,000 operations of 20 processes on ${keys} key(s)`, () => {
      const events = randomLinearizableHistory({ ...DEFAULT_RANDOM_HISTORY, seed: 10_000 + keys, operations: 10_000, processes: 20, keys });
      expect(events.filter((e) => e.type === 'invoke')).toHaveLength(10_000);
      expect(checkHistory(events, { timeoutMs: 60_000 }).kind).toBe('linearizable');
      const bad = staleReadMutation(events, new Rng(keys));
      expect(bad).not.toBeNull();
      const verdict = checkHistory(bad!, { timeoutMs: 60_000 });
      expect(verdict.kind).toBe('not-linearizable');
    });
  }
});
