/**
 * Holds groups of items for a while before releasing them (the delay fault).
 * Bounded: at most `heldMax` items are held at once; hold() refuses beyond.
 * clear() cancels everything still held (on stop or peer removal).
 */
import { assert } from '../core/errors.js';

export class DelayLine {
  private readonly timers = new Set<NodeJS.Timeout>();
  private heldCount = 0;

  constructor(private readonly heldMax: number) {
    assert(heldMax > 0, 'delay line bound is positive');
  }

  get held(): number {
    return this.heldCount;
  }

  /** Holds `items` for `delayMs`, then calls release(items). False (nothing held) when over the bound. */
  hold<T>(delayMs: number, items: T[], release: (items: T[]) => void): boolean {
    if (this.heldCount + items.length > this.heldMax) return false;
    this.heldCount += items.length;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.heldCount -= items.length;
      assert(this.heldCount >= 0, 'held count never negative');
      release(items);
    }, delayMs);
    this.timers.add(timer);
    return true;
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.heldCount = 0;
  }
}
