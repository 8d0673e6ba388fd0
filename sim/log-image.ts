/**
 * One replica's stored log as the simulator sees it: the entries after a base
 * index, each with a PREFIX HASH (a hash of every (index, term, type, data)
 * from 1 up to it). Two logs agree on their whole prefix up to i exactly when
 * their prefix hashes at i agree (up to hash collisions), which turns the Log
 * Matching check into one number comparison per entry.
 *
 * Invariant: entries cover (baseIndex, lastIndex] contiguously, and
 * baseIndex <= the snapshot index when a snapshot exists (compaction never
 * discards past the snapshot).
 */
import type { Entry } from '../src/raft/core/types.js';
import { hashBytes, mixInt } from './hash.js';
import { simAssert, SimViolation } from './errors.js';

export function entryPrefixHash(previousPrefixHash: number, entry: Entry): number {
  let h = mixInt(previousPrefixHash, entry.index);
  h = mixInt(h, entry.term);
  h = mixInt(h, entry.type);
  return mixInt(h, hashBytes(entry.data));
}

export class LogImage {
  private entries: Entry[] = [];
  private prefixHashes: number[] = [];

  constructor(
    private base = 0,
    private baseTerm = 0,
    private basePrefixHash = 0,
  ) {}

  get baseIndex(): number {
    return this.base;
  }

  get lastIndex(): number {
    return this.base + this.entries.length;
  }

  get lastTerm(): number {
    return this.entries.length === 0 ? this.baseTerm : this.entries[this.entries.length - 1]!.term;
  }

  /** Term at `index`, or -1 if outside (baseIndex, lastIndex] and not the base itself. */
  termAt(index: number): number {
    if (index === this.base) return this.baseTerm;
    if (index < this.base || index > this.lastIndex) return -1;
    return this.entries[index - this.base - 1]!.term;
  }

  /** Prefix hash at `index`, or -1 if the index is not held. */
  prefixHashAt(index: number): number {
    if (index === this.base) return this.basePrefixHash;
    if (index < this.base || index > this.lastIndex) return -1;
    return this.prefixHashes[index - this.base - 1]!;
  }

  entryAt(index: number): Entry | undefined {
    if (index <= this.base || index > this.lastIndex) return undefined;
    return this.entries[index - this.base - 1];
  }

  /** Entries with index in (after, lastIndex]. */
  entriesAfter(after: number): Entry[] {
    simAssert(after >= this.base, `entries after ${after} requested below base ${this.base}`);
    return this.entries.slice(after - this.base);
  }

  /**
   * Writes `batch` (contiguous, ascending): the first entry replaces the one at
   * its index and everything after it. Calls `onEntry` with each new entry's
   * prefix hash. A batch that starts at or below the base, or leaves a gap,
   * breaks the core's Ready contract.
   */
  append(batch: readonly Entry[], onEntry?: (entry: Entry, prefixHash: number) => void): void {
    if (batch.length === 0) return;
    const first = batch[0]!.index;
    if (first <= this.base || first > this.lastIndex + 1) {
      throw new SimViolation('core-contract', `entries starting at ${first} cannot follow a log holding (${this.base}, ${this.lastIndex}]`);
    }
    const keep = first - this.base - 1;
    this.entries.length = keep;
    this.prefixHashes.length = keep;
    let previous = this.prefixHashAt(first - 1);
    for (let k = 0; k < batch.length; k++) {
      const entry = batch[k]!;
      if (entry.index !== first + k) {
        throw new SimViolation('core-contract', `entries not contiguous: ${entry.index} after ${first + k - 1}`);
      }
      previous = entryPrefixHash(previous, entry);
      this.entries.push(entry);
      this.prefixHashes.push(previous);
      onEntry?.(entry, previous);
    }
  }

  /** Discards everything: the log becomes the snapshot (index, term) with its known prefix hash. */
  resetTo(index: number, term: number, prefixHash: number): void {
    this.entries = [];
    this.prefixHashes = [];
    this.base = index;
    this.baseTerm = term;
    this.basePrefixHash = prefixHash;
  }

  /** Discards entries at or below `index` (which must be held). */
  compactTo(index: number): void {
    if (index <= this.base) return;
    simAssert(index <= this.lastIndex, `compact to ${index} beyond last index ${this.lastIndex}`);
    const drop = index - this.base;
    this.baseTerm = this.entries[drop - 1]!.term;
    this.basePrefixHash = this.prefixHashes[drop - 1]!;
    this.entries = this.entries.slice(drop);
    this.prefixHashes = this.prefixHashes.slice(drop);
    this.base = index;
  }

  clone(): LogImage {
    const copy = new LogImage(this.base, this.baseTerm, this.basePrefixHash);
    copy.entries = this.entries.slice();
    copy.prefixHashes = this.prefixHashes.slice();
    return copy;
  }
}
