/**
 * A replica's simulated disk: the Raft WAL (hard state, snapshot, entries) as
 * an ordered stream of records.
 *
 *  - write() appends a record: visible at once in the WRITTEN image (what the
 *    replica's core believes it stored) but not durable;
 *  - sync() (fdatasync) makes every written record durable;
 *  - crash() keeps the durable image plus a random PREFIX of the unsynced
 *    records (the OS may have flushed some pages on its own), and may cut a
 *    torn last record (partially written: recovery finds its checksum wrong
 *    and drops it). Records are never reordered: the WAL is append-only.
 *
 * Installing a received snapshot discards every stored entry (the core's log
 * restarts at the snapshot). A local snapshot is written atomically and
 * durably (temp file, fsync, rename) and compacts the entries it covers.
 */
import { logIndex, term, type Entry, type HardState, type SnapshotMetadata } from '../src/raft/core/types.js';
import { simAssert } from './errors.js';
import { LogImage } from './log-image.js';
import type { SimRandom } from './random.js';

export interface StoredSnapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
  /** Prefix hash of the log up to metadata.index (see log-image.ts). */
  readonly prefixHash: number;
}

export type DiskRecord =
  | { readonly kind: 'hard-state'; readonly hardState: HardState }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'snapshot'; readonly snapshot: StoredSnapshot };

export const EMPTY_HARD_STATE: HardState = { term: term(0), vote: null, commit: logIndex(0) };

export class DiskImage {
  hardState: HardState = EMPTY_HARD_STATE;
  snapshot: StoredSnapshot | null = null;
  log = new LogImage();

  apply(record: DiskRecord, onEntry?: (entry: Entry, prefixHash: number) => void): void {
    switch (record.kind) {
      case 'hard-state':
        this.hardState = record.hardState;
        return;
      case 'entries':
        this.log.append(record.entries, onEntry);
        return;
      case 'snapshot': {
        const { metadata, prefixHash } = record.snapshot;
        this.snapshot = record.snapshot;
        this.log.resetTo(metadata.index, metadata.term, prefixHash);
        return;
      }
    }
  }

  /** A local snapshot: keep entries after `compactTo` (<= the snapshot index). */
  saveLocalSnapshot(snapshot: StoredSnapshot, compactTo: number): void {
    simAssert(compactTo <= snapshot.metadata.index, 'compaction stays at or below the snapshot');
    this.snapshot = snapshot;
    if (snapshot.metadata.index > this.log.lastIndex) {
      this.log.resetTo(snapshot.metadata.index, snapshot.metadata.term, snapshot.prefixHash);
      return;
    }
    this.log.compactTo(Math.max(compactTo, this.log.baseIndex));
  }

  get snapshotIndex(): number {
    return this.snapshot === null ? 0 : this.snapshot.metadata.index;
  }

  clone(): DiskImage {
    const copy = new DiskImage();
    copy.hardState = this.hardState;
    copy.snapshot = this.snapshot;
    copy.log = this.log.clone();
    return copy;
  }
}

export interface CrashOutcome {
  readonly unsyncedRecords: number;
  readonly survivedRecords: number;
  readonly tornTail: boolean;
}

export class SimDisk {
  /** What survives a crash. */
  durable = new DiskImage();
  /** What the running replica has written (durable + unsynced records). */
  written = new DiskImage();
  private unsynced: DiskRecord[] = [];

  constructor(private readonly unsyncedRecordsMax: number) {}

  get unsyncedCount(): number {
    return this.unsynced.length;
  }

  write(record: DiskRecord, onEntry?: (entry: Entry, prefixHash: number) => void): void {
    this.written.apply(record, onEntry);
    this.unsynced.push(record);
    // The kernel writes dirty pages back on its own long before this many pile up.
    if (this.unsynced.length > this.unsyncedRecordsMax) this.sync();
  }

  sync(): void {
    for (const record of this.unsynced) this.durable.apply(record);
    this.unsynced = [];
  }

  /** Written atomically and durably; unsynced WAL records before it are synced first. */
  saveLocalSnapshot(snapshot: StoredSnapshot, compactTo: number): void {
    this.sync();
    this.durable.saveLocalSnapshot(snapshot, compactTo);
    this.written.saveLocalSnapshot(snapshot, compactTo);
  }

  crash(random: SimRandom): CrashOutcome {
    const unsyncedRecords = this.unsynced.length;
    const survivedRecords = random.between(0, unsyncedRecords);
    for (let k = 0; k < survivedRecords; k++) this.durable.apply(this.unsynced[k]!);
    const tornTail = survivedRecords < unsyncedRecords && random.chance(0.5);
    this.unsynced = [];
    this.written = this.durable.clone();
    return { unsyncedRecords, survivedRecords, tornTail };
  }
}
