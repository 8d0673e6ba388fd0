/**
 * The segment being written. Creation is atomic (temp file with the header,
 * fsync, rename, fsync the directory), so every segment on disk has a whole
 * header. Sealing truncates away preallocated space and fsyncs, so a sealed
 * segment ends exactly at its last record and was durable before the next
 * segment existed: the facts the torn-tail rule (format.ts) relies on.
 */
import { fdatasyncSync } from 'node:fs';
import fs from 'node:fs/promises';
import { join } from 'node:path';
import { assert } from '../core/errors.js';
import { encodeSegmentHeader, RECORD_ALIGN_BYTES, SEGMENT_HEADER_BYTES, segmentFileName } from './format.js';
import type { SyncPlacement } from './sync-placement.js';
import { closeFd, fdatasync, fstatBytes, fsyncDir, fsyncFd, ftruncate, openFd, writeAll, writeAllInline } from './fs-util.js';

export interface SegmentFileOptions {
  readonly sync: boolean;
  /** Zeros kept ahead of the data end (0: none). */
  readonly preallocateBytes: number;
  readonly segmentBytes: number;
}

/** A segment on disk, as the compactor sees it. */
export interface SegmentInfo {
  readonly seq: number;
  readonly name: string;
  /** Highest entry index written to it (0 if none). Grows while the segment is active. */
  maxEntryIndex: number;
}

export class ActiveSegment {
  private closed = false;

  private constructor(
    readonly info: SegmentInfo,
    private readonly fd: number,
    /** Offset where the next write goes; everything before it is whole records. */
    private dataEndBytes: number,
    /** Current file length (>= dataEnd when preallocated). */
    private fileBytes: number,
    private readonly preallocateBytes: number,
    private readonly segmentBytes: number,
  ) {}

  get dataEnd(): number {
    return this.dataEndBytes;
  }

  /** True when at least one record has been written. */
  get hasRecords(): boolean {
    return this.dataEndBytes > SEGMENT_HEADER_BYTES;
  }

  static async create(
    dir: string,
    seq: number,
    firstIndex: number,
    options: SegmentFileOptions,
  ): Promise<ActiveSegment> {
    const name = segmentFileName(seq, firstIndex);
    const path = join(dir, name);
    const temp = `${path}.tmp`;
    const handle = await fs.open(temp, 'wx');
    let fileBytes = SEGMENT_HEADER_BYTES;
    try {
      await writeAll(handle.fd, encodeSegmentHeader(seq, firstIndex), SEGMENT_HEADER_BYTES, 0);
      if (options.preallocateBytes > 0) {
        fileBytes = Math.min(SEGMENT_HEADER_BYTES + options.preallocateBytes, options.segmentBytes);
        await handle.truncate(fileBytes);
      }
      if (options.sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path);
    if (options.sync) await fsyncDir(dir);
    const fd = await openFd(path, 'r+');
    const info = { seq, name, maxEntryIndex: 0 };
    return new ActiveSegment(info, fd, SEGMENT_HEADER_BYTES, fileBytes, options.preallocateBytes, options.segmentBytes);
  }

  /**
   * Reopens the newest segment after recovery for appending at `validEnd`.
   * When the scan found a torn tail, the bytes after validEnd are cut off
   * (and zeros re-extended when preallocating) before anything is written.
   */
  static async reopen(
    dir: string,
    info: SegmentInfo,
    validEnd: number,
    tornTail: boolean,
    options: SegmentFileOptions,
  ): Promise<ActiveSegment> {
    assert(validEnd >= SEGMENT_HEADER_BYTES && validEnd % RECORD_ALIGN_BYTES === 0, `bad valid end ${validEnd}`);
    const fd = await openFd(join(dir, info.name), 'r+');
    let fileBytes: number;
    try {
      fileBytes = await ActiveSegment.repairTail(fd, validEnd, tornTail, options);
    } catch (err) {
      await closeFd(fd);
      throw err;
    }
    return new ActiveSegment(info, fd, validEnd, fileBytes, options.preallocateBytes, options.segmentBytes);
  }

  /** Cuts a torn tail (the next append re-extends preallocation); returns the file length. */
  private static async repairTail(
    fd: number,
    validEnd: number,
    tornTail: boolean,
    options: SegmentFileOptions,
  ): Promise<number> {
    if (!tornTail) return fstatBytes(fd);
    await ftruncate(fd, validEnd);
    if (options.sync) await fsyncFd(fd);
    return validEnd;
  }

  /**
   * Writes `length` bytes of `buf` (whole records) at the data end, then
   * fdatasyncs where `sync` says (null: no sync) and records how long it took.
   */
  async append(buf: Uint8Array, length: number, sync: SyncPlacement | null): Promise<void> {
    assert(!this.closed, `segment ${this.info.name} written after close`);
    await this.preallocateFor(length);
    assert(length > 0 && length % RECORD_ALIGN_BYTES === 0, `write of ${length} bytes is not whole records`);
    await writeAllInline(this.fd, buf, length, this.dataEndBytes);
    if (sync !== null) {
      const startedMs = performance.now();
      if (sync.runsInline) fdatasyncSync(this.fd);
      else await fdatasync(this.fd);
      sync.record(performance.now() - startedMs);
    }
    this.dataEndBytes += length;
    this.fileBytes = Math.max(this.fileBytes, this.dataEndBytes);
  }

  /**
   * Extends the file with zeros (ftruncate) so the write lands inside it: a
   * step of preallocateBytes ahead, within the segment size unless this one
   * write is larger. The size change is made durable by the write's fdatasync.
   */
  private async preallocateFor(length: number): Promise<void> {
    const end = this.dataEndBytes + length;
    if (this.preallocateBytes === 0 || end <= this.fileBytes) return;
    const target = Math.max(end, Math.min(end + this.preallocateBytes, this.segmentBytes));
    await ftruncate(this.fd, target);
    this.fileBytes = target;
  }

  /** Cuts preallocated space, fsyncs and closes: the segment is sealed and never written again. */
  async seal(sync: boolean): Promise<void> {
    assert(!this.closed, `segment ${this.info.name} sealed after close`);
    if (this.fileBytes > this.dataEndBytes) await ftruncate(this.fd, this.dataEndBytes);
    if (sync) await fsyncFd(this.fd);
    await this.close();
  }

  /** Closes without sealing (the WAL is shutting down; this stays the newest segment). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeFd(this.fd);
  }
}
