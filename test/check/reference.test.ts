// Goal: on medium histories (tens of operations, too many for brute force), the checker agrees
// with a plain memoized search that has none of its refinements (forced observations, dead-end
// test, twin groups, the enabling rule for indeterminate operations, dominance).
// Method: seeded simulated-register histories with info/fail/never-completed operations, some
// with one to two reads or cas results changed at random (so both verdicts occur).
import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryEvent } from '../../src/check/index.js';
import { randomLinearizableHistory, Rng } from '../../src/check/random-history.js';
import { referenceLinearizable } from './reference-search.js';

/** valueRange 0: fresh values, and changed reads return one of the first 20 written. */
function perturbed(seed: number, operations: number, processes: number, valueRange: number): HistoryEvent[] {
  const rng = new Rng(seed * 13 + 7);
  const pickRange = valueRange || 20;
  let events = randomLinearizableHistory({
    seed, operations, processes, keys: 1, valueRange, failRate: 0.05, infoRate: 0.2, readRate: 0.4, writeRate: 0.3,
  });
  for (let changes = rng.int(3); changes > 0; changes--) {
    const completions = events.map((e, i) => (e.type === 'ok' && e.f !== 'write' ? i : -1)).filter((i) => i >= 0);
    if (completions.length === 0) break;
    const at = completions[rng.int(completions.length)];
    const e = events[at];
    events = events.slice();
    const value = rng.int(pickRange + 1) === pickRange ? null : rng.int(pickRange);
    events[at] = e.f === 'read' ? { ...e, value } : { ...e, result: !e.result };
  }
  return events;
}

describe('cross-check against a plain reference search', () => {
  for (const [operations, processes, valueRange, seeds] of [[30, 6, 3, 150], [30, 8, 0, 60]] as const) {
    it(`agrees on ${seeds} histories of ${operations} operations, ${processes} processes`, () => {
      const counts = { linearizable: 0, notLinearizable: 0 };
      for (let seed = 1; seed <= seeds; seed++) {
        const events = perturbed(seed, operations, processes, valueRange);
        const expected = referenceLinearizable(events, 100_000);
        if (expected === undefined) continue;
        const verdict = checkHistory(events, { timeoutMs: 10_000 });
        if ((verdict.kind === 'linearizable') !== expected) throw new Error(`seed ${seed}: reference ${expected}, checker ${verdict.kind}`);
        if (expected) counts.linearizable++;
        else counts.notLinearizable++;
      }
      expect(counts.linearizable).toBeGreaterThan(seeds / 8);
      expect(counts.notLinearizable).toBeGreaterThan(seeds / 8);
    });
  }
});
