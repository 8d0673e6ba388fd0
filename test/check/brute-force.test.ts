// Goal: the checker agrees with a brute-force oracle on small random histories, for both verdicts.
// Method: thousands of seeded random histories of up to 7 operations (1-2 keys, all outcome
// kinds, a tiny value range so violations are common); each is decided by checkHistory and by
// trying every order; the counts of each verdict are asserted too, so both sides are exercised.
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/index.js';
import { Rng } from '../../src/check/random-history.js';
import { bruteForceLinearizable } from './brute-force.js';
import { randomSmallHistory } from './small-histories.js';

describe('cross-check against brute force', () => {
  for (const shape of [
    { operations: 5, processes: 2, keys: 1 },
    { operations: 7, processes: 3, keys: 1 },
    { operations: 7, processes: 4, keys: 2 },
  ]) {
    it(`agrees on ${JSON.stringify(shape)}`, () => {
      const counts = { linearizable: 0, notLinearizable: 0 };
      for (let seed = 1; seed <= 1500; seed++) {
        const events = randomSmallHistory(new Rng(seed * 7919 + shape.operations), shape);
        const expected = bruteForceLinearizable(events);
        const verdict = checkHistory(events, { timeoutMs: 10_000 });
        if ((verdict.kind === 'linearizable') !== expected || verdict.kind === 'unknown') {
          throw new Error(`seed ${seed}: oracle says ${expected}, checker ${verdict.kind}\n${events.map((e) => JSON.stringify(e)).join('\n')}`);
        }
        if (expected) counts.linearizable++;
        else counts.notLinearizable++;
      }
      expect(counts.linearizable).toBeGreaterThan(100);
      expect(counts.notLinearizable).toBeGreaterThan(100);
    });
  }
});
