/**
 * What the WAL knows about the log it has accepted (including appends still
 * queued): the snapshot point, the last index, the term of every entry as runs
 * of equal terms, and the latest hard state. Lets append() check its input
 * without keeping entries in memory (the core holds those).
 *
 * Bad input from the core is a bug, so every check here is an assertion:
 * entries not contiguous, an index gap, a write at or below the snapshot or
 * the commit index, a term or commit going down, a vote changing within a term.
 *
 * Invariants: runs are ascending by `first`; runs[0].first === snapshotIndex + 1
 * when runs is non-empty; runs cover (snapshotIndex, lastIndex] exactly.
 */
import { assert } from '../core/errors.js';
import { EntryType, type Entry, type HardState } from '../core/types.js';

interface TermRun {
  first: number;
  readonly term: number;
}

function assertSafeIndex(value: number, what: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${what} must be a safe non-negative integer, got ${value}`);
}

export class LogTracker {
  private runs: TermRun[] = [];

  constructor(
    private snapshotIndexValue: number,
    private snapshotTerm: number,
    private lastIndexValue: number,
    private hardStateValue: HardState | null,
  ) {
    assert(lastIndexValue >= snapshotIndexValue, 'last index below the snapshot index');
  }

  /** Builds the tracker for a recovered log: entries follow the snapshot at prevIndex. */
  static recovered(
    prevIndex: number,
    prevTerm: number,
    entries: readonly Entry[],
    hardState: HardState | null,
  ): LogTracker {
    const tracker = new LogTracker(prevIndex, prevTerm, prevIndex, hardState);
    if (entries.length > 0) tracker.pushEntries(entries);
    return tracker;
  }

  get snapshotIndex(): number {
    return this.snapshotIndexValue;
  }

  get lastIndex(): number {
    return this.lastIndexValue;
  }

  get hardState(): HardState | null {
    return this.hardStateValue;
  }

  /** Term of the entry at `index`, or null when it is outside (snapshotIndex, lastIndex]. */
  termAt(index: number): number | null {
    if (index === this.snapshotIndexValue) return this.snapshotTerm;
    if (index < this.snapshotIndexValue || index > this.lastIndexValue) return null;
    let low = 0;
    let high = this.runs.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.runs[mid]!.first <= index) low = mid;
      else high = mid - 1;
    }
    return this.runs[low]!.term;
  }

  /** Asserts that append(entries, hardState) is valid input. Changes nothing. */
  checkAppend(entries: readonly Entry[], hardState: HardState | null): void {
    if (entries.length > 0) this.checkEntries(entries);
    if (hardState !== null) {
      const lastIndex = entries.length > 0 ? entries[entries.length - 1]!.index : this.lastIndexValue;
      this.checkHardState(hardState, lastIndex);
    }
  }

  private checkEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k]!;
      assertSafeIndex(entry.index, 'entry index');
      assertSafeIndex(entry.term, 'entry term');
      assert(
        entry.index === first + k,
        `entries are not contiguous: index ${entry.index} at position ${k} after ${first}`,
      );
      assert(
        entry.type === EntryType.Normal || entry.type === EntryType.ConfChange,
        `entry ${entry.index} has unknown type ${entry.type}`,
      );
      assert(entry.data instanceof Uint8Array, `entry ${entry.index} data is not a Uint8Array`);
      if (k > 0) assert(entry.term >= entries[k - 1]!.term, `entry terms decrease at index ${entry.index}`);
    }
    assert(
      first > this.snapshotIndexValue,
      `append at index ${first} is at or below the snapshot index ${this.snapshotIndexValue}`,
    );
    assert(
      first <= this.lastIndexValue + 1,
      `append at index ${first} leaves a gap after last index ${this.lastIndexValue}`,
    );
    const commit = this.hardStateValue?.commit ?? 0;
    assert(first > commit, `append at index ${first} would overwrite committed entries (commit ${commit})`);
    const before = this.termAt(first - 1);
    assert(
      before === null || entries[0]!.term >= before,
      `entry ${first} has term ${entries[0]!.term} below term ${before} of entry ${first - 1}`,
    );
  }

  private checkHardState(next: HardState, lastIndex: number): void {
    assertSafeIndex(next.term, 'hard state term');
    assertSafeIndex(next.commit, 'hard state commit');
    assert(
      next.vote === null || (typeof next.vote === 'string' && next.vote.length > 0),
      'hard state vote must be null or a node id',
    );
    assert(next.commit <= lastIndex, `hard state commit ${next.commit} is beyond the last index ${lastIndex}`);
    const prev = this.hardStateValue;
    if (prev === null) return;
    assert(next.term >= prev.term, `hard state term goes down from ${prev.term} to ${next.term}`);
    assert(next.commit >= prev.commit, `hard state commit goes down from ${prev.commit} to ${next.commit}`);
    if (next.term === prev.term && prev.vote !== null) {
      assert(
        next.vote === prev.vote,
        `vote changes from ${prev.vote} to ${String(next.vote)} within term ${next.term}`,
      );
    }
  }

  /** Records an append that checkAppend() accepted. */
  applyAppend(entries: readonly Entry[], hardState: HardState | null): void {
    if (entries.length > 0) this.pushEntries(entries);
    if (hardState !== null) this.hardStateValue = hardState;
  }

  private pushEntries(entries: readonly Entry[]): void {
    const first = entries[0]!.index;
    while (this.runs.length > 0 && this.runs[this.runs.length - 1]!.first >= first) this.runs.pop();
    for (const entry of entries) {
      const last = this.runs[this.runs.length - 1];
      if (last === undefined || last.term !== entry.term) this.runs.push({ first: entry.index, term: entry.term });
    }
    this.lastIndexValue = entries[entries.length - 1]!.index;
  }

  /**
   * Raft's InstallSnapshot rule: if the log holds `index` with `snapTerm`, the
   * entries after it stay; otherwise the whole log is replaced by the snapshot.
   */
  installSnapshot(index: number, snapTerm: number): void {
    assert(index > this.snapshotIndexValue, `snapshot ${index} is not newer than ${this.snapshotIndexValue}`);
    if (this.termAt(index) === snapTerm) {
      while (this.runs.length > 1 && this.runs[1]!.first <= index + 1) this.runs.shift();
      if (this.runs.length > 0) this.runs[0]!.first = index + 1;
      if (index === this.lastIndexValue) this.runs = [];
    } else {
      this.runs = [];
      this.lastIndexValue = index;
    }
    this.snapshotIndexValue = index;
    this.snapshotTerm = snapTerm;
  }
}
