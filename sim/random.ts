/**
 * Seeded randomness for the simulator: every decision of a run (faults, delays,
 * workload) is drawn from one of these, never from Math.random, so a seed
 * replays exactly.
 *
 * It wraps the core's injected Rng (uniform integers) and derives the few
 * shapes the simulator needs. Independent streams are split off with fork(),
 * so adding a draw to one concern (say, the workload) does not shift the
 * draws of another (say, the network) for the same seed.
 */
import type { Rng } from '../src/raft/core/types.js';

/** Resolution of probabilities: chance(p) draws an integer in [0, 2^24). */
const PROBABILITY_RESOLUTION = 1 << 24;

export type RngFactory = (seed: number) => Rng;

export class SimRandom {
  constructor(
    private readonly rng: Rng,
    private readonly factory: RngFactory,
  ) {}

  static fromSeed(seed: number, factory: RngFactory): SimRandom {
    return new SimRandom(factory(seed), factory);
  }

  /** Uniform integer in [0, bound). */
  below(bound: number): number {
    return this.rng.nextInt(bound);
  }

  /** Uniform integer in [min, max] (both inclusive). */
  between(min: number, max: number): number {
    if (max < min) throw new RangeError(`between(${min}, ${max}): empty range`);
    return min + this.rng.nextInt(max - min + 1);
  }

  /** True with probability `p` (0 <= p <= 1). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.rng.nextInt(PROBABILITY_RESOLUTION) < p * PROBABILITY_RESOLUTION;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[this.rng.nextInt(items.length)]!;
  }

  /** A new in-place-shuffled copy (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.nextInt(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** An independent stream, itself seeded from this one (so still determined by the seed). */
  fork(): SimRandom {
    return new SimRandom(this.factory(this.rng.nextInt(0x7fffffff)), this.factory);
  }

  /** A raw Rng for the core, independent of this stream's later draws. */
  forkRng(): Rng {
    return this.factory(this.rng.nextInt(0x7fffffff));
  }
}
