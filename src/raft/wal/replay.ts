/**
 * Rebuilds the durable Raft state from decoded records over a base snapshot.
 * Pure. Semantics (format.ts, "REPLAY SEMANTICS"): an entries run at index i
 * replaces every entry >= i; the last hard state wins; a snapshot marker
 * follows Raft's InstallSnapshot rule.
 *
 * The base is the snapshot file the state will start from (index 0: none). It
 * is normally the newest snapshot, whose marker is the newest marker. When the
 * newest snapshot file is damaged, recovery retries with an older base: markers
 * newer than the base then must not drop entries (the base needs them); such a
 * marker is acceptable only if the log still holds its entry with its term,
 * and otherwise the base is unusable (BaseUnusableError).
 *
 * A marker whose snapshot file never became durable cannot exist (the file is
 * written first), but a file whose marker was lost in a crash can: the end of
 * replay applies the base as if its marker came last.
 */
import { logIndex, type Entry, type HardState } from '../core/types.js';
import { WalCorruptionError } from './errors.js';
import { RecordType } from './format.js';
import type { DecodedRecord } from './records.js';

export interface ReplayBase {
  /** Snapshot index, or 0 for no snapshot. */
  readonly index: number;
  readonly term: number;
}

export interface ReplayResult {
  readonly hardState: HardState | null;
  /** Equals the base index: entries start right after it. */
  readonly prevIndex: number;
  /** Contiguous, ascending, starting at prevIndex + 1. */
  readonly entries: Entry[];
}

/** The log cannot be rebuilt over this base; recovery may try an older one. */
export class BaseUnusableError extends Error {
  constructor(
    message: string,
    readonly file: string | null,
    readonly offset: number | null,
  ) {
    super(message);
    this.name = 'BaseUnusableError';
  }
}

type Loc = { readonly file: string; readonly offset: number };
type EntriesRecord = Extract<DecodedRecord, { type: RecordType.Entries }>;
type MarkerRecord = Extract<DecodedRecord, { type: RecordType.Snapshot }>;

/**
 * The log as replay has rebuilt it so far: entries (prevIndex, prevIndex+len].
 * Invariant: entries[k].index === prevIndex + 1 + k.
 */
class ReplayLog {
  /** null until the first entries run or marker is seen. */
  prevIndex: number | null = null;
  /** Term of the entry at prevIndex when known (set by a marker). */
  prevTerm: number | null = null;
  /** True when prevIndex was set by a snapshot marker (nothing may be written at or below it). */
  prevFromMarker = false;
  /** Where the log's oldest surviving entries came from, for error messages. */
  startLoc: Loc | null = null;
  entries: Entry[] = [];

  lastIndex(): number {
    return (this.prevIndex ?? 0) + this.entries.length;
  }

  termAt(index: number): number | null {
    if (this.prevIndex === null) return null;
    if (index === this.prevIndex) return this.prevTerm;
    if (index < this.prevIndex || index > this.lastIndex()) return null;
    return this.entries[index - this.prevIndex - 1]!.term;
  }

  reset(prevIndex: number, prevTerm: number | null, fromMarker: boolean, loc: Loc): void {
    this.prevIndex = prevIndex;
    this.prevTerm = prevTerm;
    this.prevFromMarker = fromMarker;
    this.startLoc = loc;
    this.entries = [];
  }

  /** Raft's InstallSnapshot rule for a snapshot (index, term). */
  install(index: number, snapTerm: number, loc: Loc): void {
    if (this.prevIndex !== null && index < this.prevIndex) return; // already compacted past it
    const held = this.termAt(index);
    if (held === snapTerm || (held === null && index === this.prevIndex)) {
      this.entries = this.entries.slice(index - this.prevIndex!);
      this.prevIndex = index;
      this.prevTerm = snapTerm;
      this.prevFromMarker = true;
      return;
    }
    this.reset(index, snapTerm, true, loc);
  }
}

function applyEntries(log: ReplayLog, record: EntriesRecord): void {
  const run = record.entries;
  const first = run[0]!.index;
  for (let k = 1; k < run.length; k++) {
    if (run[k]!.term < run[k - 1]!.term) {
      throw new WalCorruptionError(record.file, record.offset, `term decreases at index ${run[k]!.index}`);
    }
  }
  if (log.prevIndex === null || (first <= log.prevIndex && !log.prevFromMarker)) {
    log.reset(first - 1, null, false, record);
  } else if (first <= log.prevIndex) {
    throw new WalCorruptionError(
      record.file,
      record.offset,
      `entries at index ${first} rewrite the log at or below snapshot index ${log.prevIndex}`,
    );
  } else if (first > log.lastIndex() + 1) {
    throw new WalCorruptionError(
      record.file,
      record.offset,
      `entries start at index ${first} but the log ends at ${log.lastIndex()} (gap)`,
    );
  }
  const before = log.termAt(first - 1);
  if (before !== null && run[0]!.term < before) {
    throw new WalCorruptionError(
      record.file,
      record.offset,
      `term ${run[0]!.term} at index ${first} is below term ${before} of the entry before it`,
    );
  }
  log.entries.length = first - log.prevIndex! - 1;
  for (const entry of run) log.entries.push(entry);
}

function applyMarker(log: ReplayLog, record: MarkerRecord, base: ReplayBase): void {
  if (record.index > base.index) {
    // Newer than the base (a fallback): its entries must still be in the log.
    if (log.termAt(record.index) !== record.term) {
      throw new BaseUnusableError(
        `snapshot at index ${record.index} (marker in ${record.file} at offset ${record.offset}) replaced log entries ` +
          `that snapshot ${base.index} would need`,
        record.file,
        record.offset,
      );
    }
    return;
  }
  if (record.index === base.index && record.term !== base.term) {
    throw new WalCorruptionError(
      record.file,
      record.offset,
      `snapshot marker term ${record.term} disagrees with snapshot file term ${base.term} at index ${base.index}`,
    );
  }
  log.install(record.index, record.term, record);
}

/** Applies the base as if its marker came last, then checks the log starts right after it. */
function settleBase(log: ReplayLog, base: ReplayBase): void {
  const here: Loc = log.startLoc ?? { file: '(no segment)', offset: 0 };
  if (log.prevIndex === null) {
    log.reset(base.index, base.index === 0 ? 0 : base.term, true, here);
    return;
  }
  if (log.prevIndex === base.index) return;
  if (log.prevIndex < base.index) {
    log.install(base.index, base.term, here);
    return;
  }
  const what = base.index === 0 ? 'there is no snapshot' : `the snapshot ends at index ${base.index}`;
  throw new BaseUnusableError(
    `the log starts at index ${log.prevIndex + 1} but ${what} (entries missing)`,
    log.startLoc?.file ?? null,
    log.startLoc?.offset ?? null,
  );
}

/**
 * Replays `records` (all segments, oldest first) over `base`. Throws
 * WalCorruptionError for a log that contradicts itself, BaseUnusableError when
 * this base cannot be used.
 */
export function replay(records: Iterable<DecodedRecord>, base: ReplayBase): ReplayResult {
  const log = new ReplayLog();
  let hardState: HardState | null = null;
  let hardStateLoc: Loc | null = null;
  for (const record of records) {
    if (record.type === RecordType.Entries) applyEntries(log, record);
    else if (record.type === RecordType.Snapshot) applyMarker(log, record, base);
    else {
      hardState = record.hardState;
      hardStateLoc = record;
    }
  }
  settleBase(log, base);
  const lastIndex = log.lastIndex();
  if (hardState !== null && hardState.commit > lastIndex) {
    throw new WalCorruptionError(
      hardStateLoc!.file,
      hardStateLoc!.offset,
      `hard state commit ${hardState.commit} is beyond the last entry ${lastIndex}`,
    );
  }
  if (hardState !== null && hardState.commit < base.index) {
    // A snapshot is committed by definition; the hard state naming it may have been lost in a crash.
    hardState = { ...hardState, commit: logIndex(base.index) };
  }
  return { hardState, prevIndex: log.prevIndex!, entries: detached(log.entries) };
}

/**
 * The entries with their data copied out of the segment buffers the scan
 * decoded them from (views, see records.ts), so those buffers can be freed:
 * into ONE new buffer, each entry's data a view of its part. One allocation
 * instead of one per entry (replaying a 42 MB WAL spent most of its 200 ms
 * allocating and collecting per-entry copies of entries it then dropped). The
 * buffer lives until the core has dropped every one of these entries (the
 * next compactions), no longer than the log itself held them.
 */
function detached(entries: readonly Entry[]): Entry[] {
  let totalBytes = 0;
  for (const entry of entries) totalBytes += entry.data.byteLength;
  const bulk = new ArrayBuffer(totalBytes);
  let at = 0;
  return entries.map((entry) => {
    const data = new Uint8Array(bulk, at, entry.data.byteLength);
    data.set(entry.data);
    at += entry.data.byteLength;
    return { ...entry, data };
  });
}
