/**
 * Flow control for one follower: the AppendEntries messages in flight (sent,
 * not yet acknowledged), as a ring of (last index, payload bytes). Bounded in
 * count (capacity) and in bytes (bytesMax, 0 = no byte bound).
 *
 * Invariant: indexes in the ring strictly increase from oldest to newest;
 * count <= capacity; bytesInFlight is the sum of the ring's bytes.
 */
import { assert, fail } from '../errors.js';

export class Inflights {
  private indexes: Float64Array | null = null;
  private sizes: Float64Array | null = null;
  private start = 0;
  count = 0;
  bytesInFlight = 0;

  constructor(
    readonly capacity: number,
    readonly bytesMax: number,
  ) {
    assert(capacity >= 1, 'inflights capacity must be >= 1');
  }

  /** No more messages may be sent until some are acknowledged. */
  full(): boolean {
    return this.count === this.capacity || (this.bytesMax > 0 && this.bytesInFlight >= this.bytesMax);
  }

  /** Bytes that may still be sent before the byte bound is reached (Infinity without a bound). */
  bytesAvailable(): number {
    return this.bytesMax > 0 ? this.bytesMax - this.bytesInFlight : Infinity;
  }

  /** Record a message whose last entry is `index`, carrying `bytes` of payload. */
  add(index: number, bytes: number): void {
    assert(!this.full(), 'adding to full inflights');
    if (this.indexes === null) {
      // Allocated on first use: most followers of an idle cluster never need it.
      this.indexes = new Float64Array(this.capacity);
      this.sizes = new Float64Array(this.capacity);
    }
    const slot = (this.start + this.count) % this.capacity;
    if (this.count > 0) {
      const newest = this.indexes[(this.start + this.count - 1) % this.capacity]!;
      if (index <= newest) fail(`inflight index ${index} not above newest ${newest}`);
    }
    this.indexes[slot] = index;
    this.sizes![slot] = bytes;
    this.count++;
    this.bytesInFlight += bytes;
    assert(this.bytesMax === 0 || this.bytesInFlight <= this.bytesMax || this.count === 1, 'inflight bytes beyond bound');
  }

  /** Acknowledge every message whose last index is <= `index`. */
  freeLE(index: number): void {
    if (this.count === 0 || this.indexes === null) return;
    while (this.count > 0 && this.indexes[this.start]! <= index) {
      this.bytesInFlight -= this.sizes![this.start]!;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
    }
    if (this.count === 0) {
      this.start = 0;
      this.bytesInFlight = 0;
    }
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytesInFlight = 0;
  }
}
