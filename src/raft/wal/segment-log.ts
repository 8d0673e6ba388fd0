/**
 * The segments of one WAL directory as a writer sees them: writes a batch of
 * queued records as ONE write plus ONE fdatasync into the active segment,
 * rotates before a write that would overflow it, and deletes the oldest
 * segments a snapshot covers. Only the WAL's flush loop calls writeBatch (one
 * at a time); compaction may run beside it and touches sealed segments only.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../core/errors.js';
import type { HardState } from '../core/types.js';
import type { PendingWrite } from './append-queue.js';
import { RecordType } from './format.js';
import { fsyncDir } from './fs-util.js';
import type { ResolvedWalOptions } from './options.js';
import { encodeRecord, planExtentBytes, type RecordPlan } from './records.js';
import { ActiveSegment, type SegmentInfo } from './segment-file.js';
import type { WalStatsCounters } from './stats.js';
import { SyncPlacement } from './sync-placement.js';

const ENCODE_BUFFER_BYTES_MIN = 64 * 1024;
const SEGMENT_BYTES_LIMIT = 2 ** 32; // record offsets are u32

export class SegmentLog {
  private encodeBuffer = Buffer.alloc(ENCODE_BUFFER_BYTES_MIN);
  private readonly syncPlacement: SyncPlacement;
  /** The index the written log expects next; names the next segment when its first write has no entries. */
  private nextIndexHint: number;

  constructor(
    private readonly dir: string,
    private readonly options: ResolvedWalOptions,
    /** Every segment on disk, oldest first; the last is the active one. */
    private readonly segments: SegmentInfo[],
    private active: ActiveSegment,
    /** The newest hard state on disk; copied into a segment that holds none yet. */
    private lastWrittenHardState: HardState | null,
    private readonly counters: WalStatsCounters,
    lastIndex: number,
    /**
     * Whether the active segment holds a hard-state record. Until it does, the
     * next write starts with a copy of the latest one. So every segment holds
     * the hard state that was latest when it was first written to (also one
     * reopened empty after a torn first write), and deleting the segments
     * before the active one never loses it.
     */
    private activeHoldsHardState: boolean,
  ) {
    assert(segments[segments.length - 1] === active.info, 'the active segment must be the newest');
    this.syncPlacement = new SyncPlacement(options.inlineSyncMsMax);
    this.nextIndexHint = lastIndex + 1;
  }

  /** Where syncs run (see sync-placement.ts). */
  get syncPlacementState(): Readonly<SyncPlacement> {
    return this.syncPlacement;
  }

  /** See SyncPlacement.allowInline. */
  allowInlineSync(allowed: boolean): void {
    this.syncPlacement.allowInline(allowed);
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Writes every record of `batch` with one write and one fdatasync (if `sync`). */
  async writeBatch(batch: readonly PendingWrite[]): Promise<void> {
    let bytes = 0;
    for (const write of batch) bytes += write.bytes;
    if (bytes === 0) {
      this.recordWritten(batch, 0); // only empty appends: everything before them is already durable
      return;
    }
    if (this.active.hasRecords && this.active.dataEnd + bytes > this.options.segmentBytes) {
      await this.rotate(this.nextSegmentFirstIndex(batch));
    }
    let prefix: RecordPlan | null = null;
    if (!this.activeHoldsHardState && this.lastWrittenHardState !== null) {
      prefix = { type: RecordType.HardState, hardState: this.lastWrittenHardState };
      bytes += planExtentBytes(prefix);
    }
    const buf = this.bufferFor(bytes);
    const batchStart = this.active.dataEnd;
    assert(batchStart + bytes < SEGMENT_BYTES_LIMIT, `segment would reach ${batchStart + bytes} bytes`);
    let at = prefix === null ? 0 : encodeRecord(buf, 0, prefix, batchStart);
    for (const write of batch) for (const plan of write.plans) at = encodeRecord(buf, at, plan, batchStart);
    assert(at === bytes, `encoded ${at} bytes, planned ${bytes}`);
    await this.active.append(buf, bytes, this.options.sync ? this.syncPlacement : null);
    if (prefix !== null || batch.some((write) => write.hardState !== null)) this.activeHoldsHardState = true;
    this.recordWritten(batch, bytes);
  }

  private recordWritten(batch: readonly PendingWrite[], bytes: number): void {
    const c = this.counters;
    if (bytes > 0) c.writes++;
    if (bytes > 0 && this.options.sync) c.fsyncs++;
    c.bytesWritten += bytes;
    c.largestBatchWrites = Math.max(c.largestBatchWrites, batch.length);
    for (const write of batch) {
      if (write.plans[0]?.type === RecordType.Snapshot) c.snapshots++;
      else c.appends++;
      c.entries += write.entryCount;
      this.active.info.maxEntryIndex = Math.max(this.active.info.maxEntryIndex, write.maxEntryIndex);
      if (write.hardState !== null) this.lastWrittenHardState = write.hardState;
      for (const plan of write.plans) {
        if (plan.type === RecordType.Entries) this.nextIndexHint = plan.entries[plan.to - 1]!.index + 1;
        if (plan.type === RecordType.Snapshot) this.nextIndexHint = Math.max(this.nextIndexHint, plan.index + 1);
      }
    }
  }

  private bufferFor(bytes: number): Buffer {
    if (this.encodeBuffer.length < bytes) {
      let size = this.encodeBuffer.length;
      while (size < bytes) size *= 2;
      this.encodeBuffer = Buffer.alloc(size);
    }
    return this.encodeBuffer;
  }

  /** Name for a new segment: the first entry index of the batch, else the index the log expects next. */
  private nextSegmentFirstIndex(batch: readonly PendingWrite[]): number {
    for (const write of batch) {
      for (const plan of write.plans) {
        if (plan.type === RecordType.Entries) return plan.entries[plan.from]!.index;
      }
    }
    return this.nextIndexHint;
  }

  /** Seals the active segment and starts the next. */
  private async rotate(firstIndex: number): Promise<void> {
    const sealed = this.active;
    await sealed.seal(this.options.sync);
    this.active = await ActiveSegment.create(this.dir, sealed.info.seq + 1, firstIndex, this.options);
    this.segments.push(this.active.info);
    this.activeHoldsHardState = false;
    this.counters.rotations++;
  }

  /**
   * Deletes the oldest segments whose every entry is <= snapshotIndex: a
   * prefix, never the active segment. The active segment holds the latest
   * hard state (see activeHoldsHardState), so none is lost. One at a time, oldest first, each unlink
   * durable before the next: a crash leaves a prefix deleted, never a hole in
   * the sequence (which open() would call corruption).
   */
  async deleteCoveredSegments(snapshotIndex: number): Promise<void> {
    const doomed: SegmentInfo[] = [];
    while (this.segments.length > 1 && this.segments[0]!.maxEntryIndex <= snapshotIndex) {
      doomed.push(this.segments.shift()!);
    }
    assert(!doomed.includes(this.active.info), 'compaction chose the active segment');
    for (const segment of doomed) {
      await unlink(join(this.dir, segment.name));
      if (this.options.sync) await fsyncDir(this.dir);
      this.counters.segmentsDeleted++;
    }
  }

  /** Closes the active segment (it stays the newest; nothing is sealed). */
  async close(): Promise<void> {
    await this.active.close();
  }
}
