/**
 * The in-memory Raft log since the last compaction, with the bookkeeping that
 * connects it to durable storage and to the state machine.
 *
 * Layout: `entries[i]` has index `offset + i`; the entry just before them
 * (index `offset - 1`, the compaction point) is known only by its term.
 *
 * Index invariants (asserted where they change):
 *   offset - 1 <= applied <= applying <= committed <= lastIndex
 *   handedOutIndex <= lastIndex: entries above it have not been handed to the
 *     driver for persistence yet (the "unstable" part);
 *   persistedIndex <= handedOutIndex: entries at or below it are durable;
 *   committed entries are never truncated; committed never decreases.
 */
import { assert, fail } from './errors.js';
import { entryBytes, NO_ENTRIES } from './message.js';
import type { Entry, InitialState, Snapshot, SnapshotMetadata } from './types.js';

export class RaftLog {
  private entries: Entry[];
  /** Index of entries[0]. */
  private offset: number;
  /** Term of the entry at offset - 1 (0 for the empty prefix). */
  private prevTerm: number;
  /** Highest index known committed. */
  committed: number;
  /** Highest index handed out to the state machine in a Ready. */
  applying: number;
  /** Highest index handed out and acknowledged by advance(). */
  applied: number;
  /** Entries above this index have not been handed out for persistence. */
  handedOutIndex: number;
  /** Entries at or below this index are durable on this replica. */
  persistedIndex: number;
  /** A snapshot received from the leader, not yet handed out in a Ready. */
  pendingSnapshot: Snapshot | null = null;
  /** Latest snapshot (own compaction or installed): what a leader sends to a follower behind the log. */
  snapshot: SnapshotMetadata | null;

  constructor(initial: InitialState) {
    const snap = initial.snapshot;
    this.snapshot = snap;
    this.offset = (snap?.index ?? 0) + 1;
    this.prevTerm = snap?.term ?? 0;
    this.entries = initial.entries.slice();
    for (let i = 0; i < this.entries.length; i++) {
      if (this.entries[i]!.index !== this.offset + i) fail(`initial entries must be contiguous from ${this.offset} (entry ${i} has index ${this.entries[i]!.index})`);
      assert(i === 0 ? this.entries[0]!.term >= this.prevTerm : this.entries[i]!.term >= this.entries[i - 1]!.term, 'initial entry terms must not decrease');
    }
    const last = this.lastIndex();
    this.applied = Math.max(initial.appliedIndex, this.offset - 1);
    if (this.applied > last) fail(`appliedIndex ${this.applied} is beyond the last log index ${last}`);
    this.committed = Math.max(initial.hardState.commit, this.applied);
    if (this.committed > last) fail(`hard state commit ${this.committed} is beyond the last log index ${last}`);
    this.applying = this.applied;
    this.handedOutIndex = last;
    this.persistedIndex = last;
  }

  firstIndex(): number {
    return this.offset;
  }

  lastIndex(): number {
    return this.offset + this.entries.length - 1;
  }

  lastTerm(): number {
    const n = this.entries.length;
    return n === 0 ? this.prevTerm : this.entries[n - 1]!.term;
  }

  /** Term of the entry at `index`, or -1 when it is compacted or beyond the log. */
  termAt(index: number): number {
    if (index === this.offset - 1) return this.prevTerm;
    const i = index - this.offset;
    if (i < 0 || i >= this.entries.length) return -1;
    return this.entries[i]!.term;
  }

  entryAt(index: number): Entry {
    const e = this.entries[index - this.offset];
    if (e === undefined) fail(`entry ${index} is not in memory [${this.offset}, ${this.lastIndex()}]`);
    return e;
  }

  matchTerm(index: number, term: number): boolean {
    return this.termAt(index) === term;
  }

  /** §5.4.1: a candidate's log (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /**
   * Largest index <= `index` whose term is <= `term` (a guess at where our log
   * and a log ending at (index, term) stop matching). An index whose term is
   * unknown (compacted) is returned as is: it may match.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i >= this.offset) {
      if (this.entries[i - this.offset]!.term <= term) return i;
      i--;
    }
    return i;
  }

  /** Index of the first entry that is new or conflicts with ours, or 0 when all match. */
  private findConflict(entries: readonly Entry[]): number {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Follower side of AppendEntries: if our log has (prevIndex, prevTerm), append
   * `entries` (truncating a conflicting suffix), advance commit, and return the
   * last index the message covers; otherwise return -1.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, entries: readonly Entry[]): number {
    if (!this.matchTerm(prevIndex, prevTerm)) return -1;
    const lastNew = prevIndex + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      if (conflict <= this.committed) fail(`entry ${conflict} conflicts with the committed prefix (commit ${this.committed})`);
      this.truncateAndAppend(entries, conflict - entries[0]!.index);
    }
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** Replace everything from entries[from].index on with entries[from..]. */
  private truncateAndAppend(entries: readonly Entry[], from: number): void {
    const first = entries[from]!.index;
    if (!(first >= this.offset && first <= this.lastIndex() + 1)) fail(`append at ${first} leaves a gap in [${this.offset}, ${this.lastIndex()}]`);
    if (first <= this.committed) fail(`truncating committed entry ${first}`);
    this.entries.length = first - this.offset;
    for (let i = from; i < entries.length; i++) this.entries.push(entries[i]!);
    this.handedOutIndex = Math.min(this.handedOutIndex, first - 1);
    this.persistedIndex = Math.min(this.persistedIndex, first - 1);
  }

  /** Leader side: append one new entry at lastIndex + 1. */
  appendNew(entry: Entry): void {
    if (entry.index !== this.lastIndex() + 1) fail(`new entry index ${entry.index} must follow last index ${this.lastIndex()}`);
    if (entry.term < this.lastTerm()) fail(`new entry term ${entry.term} below last term ${this.lastTerm()}`);
    this.entries.push(entry);
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    if (index > this.lastIndex()) fail(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  /**
   * Entries from `lo` on, at most `bytesMax` of payload (but always at least one
   * entry when `lo` <= lastIndex and `atLeastOne`).
   */
  slice(lo: number, bytesMax: number, atLeastOne: boolean): readonly Entry[] {
    const last = this.lastIndex();
    if (lo > last) return NO_ENTRIES;
    if (lo < this.offset) fail(`slice from compacted index ${lo} (first ${this.offset})`);
    let hi = lo;
    let bytes = 0;
    while (hi <= last) {
      const size = entryBytes(this.entries[hi - this.offset]!);
      if (bytes + size > bytesMax && (hi > lo || !atLeastOne)) break;
      bytes += size;
      hi++;
    }
    return hi === lo ? NO_ENTRIES : this.entries.slice(lo - this.offset, hi - this.offset);
  }

  hasUnstable(): boolean {
    return this.handedOutIndex < this.lastIndex();
  }

  /** Entries not yet handed out for persistence; marks them handed out. */
  takeUnstable(): readonly Entry[] {
    const from = this.handedOutIndex + 1;
    const last = this.lastIndex();
    if (from > last) return NO_ENTRIES;
    if (from < this.offset) fail(`unstable entries start at compacted index ${from}`);
    this.handedOutIndex = last;
    return this.entries.slice(from - this.offset);
  }

  hasNextCommitted(): boolean {
    return this.applying < this.committed;
  }

  /** Committed entries not yet handed to the state machine, at most `bytesMax` (at least one). */
  takeNextCommitted(bytesMax: number): readonly Entry[] {
    if (this.applying >= this.committed) return NO_ENTRIES;
    const hiExclusive = this.committed + 1;
    const lo = this.applying + 1;
    let hi = lo;
    let bytes = 0;
    while (hi < hiExclusive) {
      const size = entryBytes(this.entries[hi - this.offset]!);
      if (hi > lo && bytes + size > bytesMax) break;
      bytes += size;
      hi++;
    }
    this.applying = hi - 1;
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }

  /** advance(): the entries handed out up to (index, term) are durable, if they are still ours. */
  stableTo(index: number, term: number): void {
    if (this.matchTerm(index, term) && index > this.persistedIndex) this.persistedIndex = index;
  }

  /** advance(): committed entries up to `index` were applied. */
  appliedTo(index: number): void {
    if (index <= this.applied) return;
    if (index > this.applying || index > this.committed) fail(`applied ${index} beyond applying ${this.applying} / commit ${this.committed}`);
    this.applied = index;
  }

  /** Does any committed entry in (applied, committed] match `predicate`? (For rare checks only.) */
  someCommittedUnapplied(predicate: (entry: Entry) => boolean): boolean {
    // Entries at or below the compaction point are covered by the snapshot's configuration.
    for (let i = Math.max(this.applied + 1, this.offset); i <= this.committed; i++) {
      if (predicate(this.entries[i - this.offset]!)) return true;
    }
    return false;
  }

  /** Follower: replace the whole log by a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    const meta = snapshot.metadata;
    if (meta.index <= this.committed) fail(`restoring snapshot ${meta.index} at or below commit ${this.committed}`);
    this.entries = [];
    this.offset = meta.index + 1;
    this.prevTerm = meta.term;
    this.committed = meta.index;
    this.applying = meta.index;
    this.handedOutIndex = meta.index;
    this.persistedIndex = 0;
    this.pendingSnapshot = snapshot;
    this.snapshot = meta;
  }

  /**
   * Record a snapshot taken by the state machine at `meta.index` (<= applied)
   * and drop entries at or below `discardThrough` from memory.
   */
  compact(meta: SnapshotMetadata, discardThrough: number): void {
    if (meta.index > this.applied) fail(`compaction index ${meta.index} beyond applied ${this.applied}`);
    assert(discardThrough <= meta.index, 'discarding entries beyond the snapshot');
    this.snapshot = meta;
    if (discardThrough < this.offset) return;
    this.prevTerm = this.termAt(discardThrough);
    this.entries.splice(0, discardThrough - this.offset + 1);
    this.offset = discardThrough + 1;
  }
}
