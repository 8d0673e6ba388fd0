/**
 * The on-disk format of the write-ahead log (version 1). docs/wal-format.md
 * says the same with diagrams; keep the two in step.
 *
 * DIRECTORY
 *   <seq:16 hex>-<firstIndex:16 hex>.wal   segments, e.g. 000000000000002a-00000000000f4241.wal
 *   snap-<index:16 hex>-<term:16 hex>.snap snapshots (see snapshot-file.ts)
 *   *.tmp                                  unfinished atomic writes; deleted on open
 *   *.corrupt                              snapshots set aside after a fallback; never read
 *   LOCK                                   PID of the process that has the WAL open
 * Lowercase fixed-width hex makes name order equal to numeric order. `seq`
 * grows by one per segment, with no holes (compaction deletes only a prefix).
 * `firstIndex` is the index of the first entry written to the segment (or, if
 * its first write carried none, the index the log expected next); a later
 * conflicting append may still write lower indexes into it. It helps a human
 * read the directory, and must agree with the header.
 *
 * SEGMENT = header, then records, then (the active one, when preallocating) zeros.
 *   header, 32 bytes, little-endian:
 *     0  8  magic "EDGN-WAL"
 *     8  4  u32 version = 1
 *    12  8  u64 seq
 *    20  8  u64 firstIndex
 *    28  4  u32 crc32c of bytes 0..28
 *   A segment is created as <name>.tmp, header written, fsynced, renamed, and
 *   the directory fsynced, so a segment that exists always has a whole header.
 *
 * RECORD, 8-byte aligned (the header starts at a multiple of 8):
 *     0  4  u32 headerCrc  crc32c of bytes 4..20
 *     4  4  u32 bodyBytes  length of the body (padding excluded), >= 1
 *     8  4  u32 bodyCrc    crc32c of the body
 *    12  4  u32 batchStart segment offset where the write that carried this record began
 *    16  1  u8  type       1 entries, 2 hard state, 3 snapshot marker
 *    17  3  zero
 *    20  .  body
 *     .  .  zero padding to the next multiple of 8
 *   Bodies (u64 = two u32 halves, low first; values < 2^53):
 *     entries   u64 firstIndex, u32 count, then per entry:
 *               u64 term, u8 entryType, u32 dataBytes, data
 *               (entry k has index firstIndex + k; a run is contiguous)
 *     hard st.  u64 term, u64 commit, u8 hasVote, u16 voteBytes, vote (UTF-8)
 *     snapshot  u64 index, u64 term   (the full metadata lives in the .snap file)
 *
 * REPLAY SEMANTICS (replay.ts). Records apply in order, segment by segment.
 *   - An entries run starting at index i replaces every stored entry >= i.
 *     This is how conflicting suffixes are truncated; there is no separate
 *     truncation record, so a prefix of any write replays to a consistent log.
 *   - The last hard-state record wins. The first write into a segment that
 *     holds no hard state yet starts with a copy of the latest one (also after a
 *     torn first write), so deleting old segments never loses it.
 *   - A snapshot marker (index S, term T) follows Raft's InstallSnapshot rule:
 *     if the log holds entry S with term T the entries after S stay, otherwise
 *     the whole log is discarded. Entries <= S are dropped either way.
 *
 * WRITES. Only one write+fdatasync is in flight at a time; each write carries
 * one or more whole records and lies inside one segment; a segment is sealed
 * (truncated to its last record and fsynced) before the next one is created.
 * So after a crash only the LAST write of the LAST segment can be incomplete.
 *
 * TORN TAIL VERSUS CORRUPTION (scan.ts). A record is damaged when its header is
 * short or fails its crc, its extent runs past the end of the file, or its body
 * fails its crc (a header with a good crc but impossible fields is corruption
 * outright). A damaged record at offset X is a TORN TAIL, cut off at X with
 * the WAL opening normally, only when all of these hold:
 *   1. it is in the last segment (every earlier segment was fsynced whole);
 *   2. it looks like a write that did not reach the disk: its extent runs past
 *      the end of the file, or some 512-byte sector it touches reads as zeros
 *      from the record's start (or the sector's start) to the sector's end (or
 *      the end of the file). Sectors are written whole or not at all, and
 *      unwritten space reads as zeros (new or preallocated files), whereas a
 *      flipped bit leaves no zeroed sector;
 *   3. no valid record after X began its write after X (its batchStart > X).
 *      Such a record proves X's write was fsynced before a later write was
 *      issued, so X held durable, possibly acknowledged, data. Records of the
 *      same torn write (batchStart <= X) may have reached the disk out of order
 *      and are dropped with it.
 * Anything else is a WalCorruptionError naming the file and offset. We assume
 * a durable sector never later reads back as zeros (media errors surface as
 * EIO); under that assumption no acknowledged record is ever dropped.
 */
import { crc32c } from '@node-rs/crc32';
import { assert } from '../core/errors.js';

export const FORMAT_VERSION = 1;
export const SEGMENT_MAGIC = Buffer.from('EDGN-WAL', 'latin1');
export const SEGMENT_HEADER_BYTES = 32;
export const RECORD_HEADER_BYTES = 20;
export const RECORD_ALIGN_BYTES = 8;
/** Granularity at which a torn write leaves unwritten (zero) space. */
export const SECTOR_BYTES = 512;
/** No record body may be larger; a header claiming more is corruption. */
export const RECORD_BODY_BYTES_LIMIT = 1 << 30;

export enum RecordType {
  Entries = 1,
  HardState = 2,
  Snapshot = 3,
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
const TWO_POW_32 = 2 ** 32;

export function alignUp(bytes: number): number {
  return Math.ceil(bytes / RECORD_ALIGN_BYTES) * RECORD_ALIGN_BYTES;
}

export function recordExtentBytes(bodyBytes: number): number {
  return alignUp(RECORD_HEADER_BYTES + bodyBytes);
}

export function writeU64(buf: Buffer, offset: number, value: number): void {
  assert(Number.isSafeInteger(value) && value >= 0, `u64 field must be a safe non-negative integer: ${value}`);
  buf.writeUInt32LE(value >>> 0, offset);
  buf.writeUInt32LE(Math.floor(value / TWO_POW_32), offset + 4);
}

/** Reads a u64 written by writeU64, or null if it exceeds 2^53 (never written by us). */
export function readU64(buf: Buffer, offset: number): number | null {
  const high = buf.readUInt32LE(offset + 4);
  if (high >= 1 << 21) return null;
  return high * TWO_POW_32 + buf.readUInt32LE(offset);
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}.wal`;
}

export function parseSegmentFileName(name: string): { seq: number; firstIndex: number } | null {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return null;
  const seq = Number.parseInt(match[1]!, 16);
  const firstIndex = Number.parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return null;
  return { seq, firstIndex };
}

export function encodeSegmentHeader(seq: number, firstIndex: number): Buffer {
  const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  writeU64(header, 12, seq);
  writeU64(header, 20, firstIndex);
  header.writeUInt32LE(crc32c(header.subarray(0, 28)), 28);
  return header;
}

/** Returns the parsed header, or a reason it is unusable. */
export function decodeSegmentHeader(buf: Buffer): { seq: number; firstIndex: number } | { problem: string } {
  if (buf.length < SEGMENT_HEADER_BYTES)
    return { problem: `file is ${buf.length} bytes, shorter than a segment header` };
  if (!buf.subarray(0, 8).equals(SEGMENT_MAGIC)) return { problem: 'bad segment magic' };
  if (buf.readUInt32LE(28) !== crc32c(buf.subarray(0, 28))) return { problem: 'segment header checksum mismatch' };
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) return { problem: `unsupported segment format version ${version}` };
  const seq = readU64(buf, 12);
  const firstIndex = readU64(buf, 20);
  if (seq === null || firstIndex === null) return { problem: 'segment header field out of range' };
  return { seq, firstIndex };
}

/**
 * Fills in the record header at `offset` for a body already written at
 * offset + RECORD_HEADER_BYTES, zeroes the padding, and returns the offset
 * after the record.
 */
export function sealRecord(
  buf: Buffer,
  offset: number,
  type: RecordType,
  bodyBytes: number,
  batchStart: number,
): number {
  assert(offset % RECORD_ALIGN_BYTES === 0, `record offset ${offset} is not aligned`);
  assert(bodyBytes >= 1 && bodyBytes <= RECORD_BODY_BYTES_LIMIT, `record body size ${bodyBytes} out of range`);
  const bodyStart = offset + RECORD_HEADER_BYTES;
  buf.writeUInt32LE(bodyBytes, offset + 4);
  buf.writeUInt32LE(crc32c(buf.subarray(bodyStart, bodyStart + bodyBytes)), offset + 8);
  buf.writeUInt32LE(batchStart, offset + 12);
  buf.writeUInt32LE(type, offset + 16); // type byte, then three zero bytes
  buf.writeUInt32LE(crc32c(buf.subarray(offset + 4, bodyStart)), offset);
  const end = offset + recordExtentBytes(bodyBytes);
  buf.fill(0, bodyStart + bodyBytes, end);
  return end;
}

export interface RecordHeader {
  readonly bodyBytes: number;
  readonly bodyCrc: number;
  readonly batchStart: number;
  readonly type: number;
  /** Bytes 17..20, which must be zero. */
  readonly reserved: number;
}

/** Reads the header at `offset` if its checksum holds, else null. Caller checks bounds. */
export function readRecordHeader(buf: Buffer, offset: number): RecordHeader | null {
  const headerCrc = buf.readUInt32LE(offset);
  if (headerCrc !== crc32c(buf.subarray(offset + 4, offset + RECORD_HEADER_BYTES))) return null;
  const typeWord = buf.readUInt32LE(offset + 16);
  return {
    bodyBytes: buf.readUInt32LE(offset + 4),
    bodyCrc: buf.readUInt32LE(offset + 8),
    batchStart: buf.readUInt32LE(offset + 12),
    type: typeWord & 0xff,
    reserved: typeWord >>> 8,
  };
}

export function bodyChecksumMatches(buf: Buffer, offset: number, header: RecordHeader): boolean {
  const bodyStart = offset + RECORD_HEADER_BYTES;
  return crc32c(buf.subarray(bodyStart, bodyStart + header.bodyBytes)) === header.bodyCrc;
}
