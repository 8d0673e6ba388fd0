/**
 * Goal: the simulator runs the real core clean over a handful of seeds (3
 * and 5 replicas), actually exercises what it claims (elections, crashes,
 * snapshots, membership, client operations), and replays a seed exactly.
 * Method: run whole seeds through runSeed() and inspect their results and
 * trace digests.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../sim/params.js';
import { runSeed } from '../../sim/run.js';

const options = { ...DEFAULT_OPTIONS, steps: 1000 };

describe('simulator on the real core', () => {
  it('runs seeds 1..6 with 3 replicas without a violation, recovering after the faults, exercising every fault', () => {
    const totals = new Map<string, number>();
    for (let seed = 1; seed <= 6; seed++) {
      const result = runSeed(seed, options);
      for (const [k, v] of Object.entries(result.stats.happenings)) totals.set(k, (totals.get(k) ?? 0) + v);
      expect(result.violation, `seed ${seed}: ${result.violation?.message}`).toBeNull();
      const s = result.stats;
      expect(s.recoverySteps, `seed ${seed}`).toBeGreaterThanOrEqual(0);
      expect(s.committedIndex, `seed ${seed}`).toBeGreaterThan(20);
      expect(s.highestTerm, `seed ${seed}`).toBeGreaterThan(1);
      expect(s.operations.ok, `seed ${seed}`).toBeGreaterThan(20);
      expect(s.messagesDropped, `seed ${seed}`).toBeGreaterThan(0);
    }
    for (const [kind, count] of totals) expect(count, kind).toBeGreaterThan(0);
  });

  it('runs seeds 1..3 with 5 replicas without a violation', () => {
    for (let seed = 1; seed <= 3; seed++) {
      const result = runSeed(seed, { ...options, replicas: 5 });
      expect(result.violation, `seed ${seed}: ${result.violation?.message}`).toBeNull();
    }
  });

  it('replays a seed exactly: same seed, same trace digest and statistics; another seed differs', () => {
    const a = runSeed(42, options);
    const b = runSeed(42, options);
    expect(b.digest).toBe(a.digest);
    expect(b.stats).toEqual(a.stats);
    expect(runSeed(43, options).digest).not.toBe(a.digest);
  });
});
