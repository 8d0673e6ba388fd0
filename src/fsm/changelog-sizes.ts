/**
 * The encoded sizes of the newest change-log records, in memory.
 *
 * Retention drops the oldest record every revision once the log is full, and
 * must subtract that record's size from meta.changeLogBytes. Its size is
 * stored beside it (changelog.ts), but reading it back is a LevelDB lookup of
 * a cold key on every write; measured, retention cost 4-6 % of write
 * throughput, about half of it that read. So the applier remembers the sizes
 * it wrote, for up to `capacity` consecutive revisions, and reads only what it
 * does not hold (records written before this process started, or beyond the
 * capacity). It holds exactly what the store holds: sizes are pushed only for
 * records written and taken only for records dropped, by the one applier, and
 * a snapshot restore or a failed apply replaces the state machine's instance.
 */
import { assert } from '../raft/core/errors.js';

export class ChangeLogSizes {
  private readonly sizes: Float64Array;
  /** Revision of the oldest size held (meaningful when count > 0). */
  private firstRevision = 0;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, `change log sizes capacity ${capacity} must be an integer >= 1`);
    this.sizes = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Remembers the size of the record written for `revision` (the newest). */
  push(revision: number, sizeBytes: number): void {
    if (this.count > 0 && revision !== this.firstRevision + this.count) this.clear(); // not contiguous: start over
    if (this.count === 0) this.firstRevision = revision;
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity; // full: forget the oldest
      this.firstRevision += 1;
      this.count -= 1;
    }
    this.sizes[(this.head + this.count) % this.capacity] = sizeBytes;
    this.count += 1;
  }

  /** The size of the record of `revision` (the oldest retained) when held, forgetting it; else undefined. */
  takeOldest(revision: number): number | undefined {
    if (this.count === 0 || revision < this.firstRevision) return undefined;
    if (revision > this.firstRevision) {
      this.clear(); // retention never skips a revision; start over rather than guess
      return undefined;
    }
    const sizeBytes = this.sizes[this.head]!;
    this.head = (this.head + 1) % this.capacity;
    this.firstRevision += 1;
    this.count -= 1;
    return sizeBytes;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
