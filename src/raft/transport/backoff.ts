/**
 * Exponential reconnect backoff with multiplicative jitter.
 *
 * The n-th consecutive failure waits base_n * U[1 - jitter, 1 + jitter] where
 * base_n = min(initial * 2^(n-1), max); the result never exceeds max. Jitter
 * keeps replicas that lost the same peer from reconnecting in lockstep.
 * reset() after a successful connection starts again from `initial`.
 */
import { assert } from '../core/errors.js';

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly jitterRatio: number;
  /** Uniform in [0, 1); injectable so tests are deterministic. */
  readonly random?: () => number;
}

export class Backoff {
  private failures = 0;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    assert(options.initialMs > 0 && options.maxMs >= options.initialMs, 'backoff bounds ordered');
    assert(options.jitterRatio >= 0 && options.jitterRatio < 1, 'jitter ratio in [0, 1)');
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; counts one more failure. */
  nextDelayMs(): number {
    // 2^failures overflows nothing: the exponent stops growing once base reaches max.
    const exponent = Math.min(this.failures, 30);
    const baseMs = Math.min(this.options.initialMs * 2 ** exponent, this.options.maxMs);
    if (baseMs < this.options.maxMs) this.failures++;
    const factor = 1 - this.options.jitterRatio + 2 * this.options.jitterRatio * this.random();
    const delayMs = Math.min(Math.round(baseMs * factor), this.options.maxMs);
    assert(delayMs >= 0 && delayMs <= this.options.maxMs, 'backoff delay within bounds');
    return delayMs;
  }

  reset(): void {
    this.failures = 0;
  }
}
