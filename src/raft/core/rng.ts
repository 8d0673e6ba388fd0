/**
 * A small, fast, deterministic PRNG (splitmix32) for the core and the
 * simulator. The core never touches ambient randomness: every random choice
 * (election timeouts) comes from an injected Rng, so one seed replays a run.
 */
import { fail } from './errors.js';
import type { Rng } from './types.js';

const TWO_POW_32 = 4294967296;

/** Returns an Rng whose sequence is a pure function of `seed` (any 32-bit integer). */
export function seededRng(seed: number): Rng {
  let state = seed | 0;
  return {
    nextInt(bound: number): number {
      if (!(Number.isInteger(bound) && bound > 0 && bound <= TWO_POW_32)) fail(`rng bound ${bound} must be an integer in [1, 2^32]`);
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      z = (z ^ (z >>> 16)) >>> 0;
      return Math.floor((z / TWO_POW_32) * bound);
    },
  };
}
