/**
 * Reads one segment's bytes into records and decides, at the first damaged
 * record, whether it is a torn tail (cut off, WAL opens) or corruption
 * (WalCorruptionError). The rule and why it is sound are in format.ts under
 * "TORN TAIL VERSUS CORRUPTION". Pure: works on a Buffer, does no I/O.
 */
import {
  bodyChecksumMatches,
  decodeSegmentHeader,
  readRecordHeader,
  RECORD_ALIGN_BYTES,
  RECORD_BODY_BYTES_LIMIT,
  RECORD_HEADER_BYTES,
  recordExtentBytes,
  RecordType,
  SECTOR_BYTES,
  SEGMENT_HEADER_BYTES,
  type RecordHeader,
} from './format.js';
import { WalCorruptionError } from './errors.js';
import { decodeBody, MalformedBodyError, type DecodedRecord } from './records.js';

export interface SegmentScan {
  readonly seq: number;
  readonly firstIndex: number;
  readonly records: DecodedRecord[];
  /** Offset just past the last whole record: where the next write goes. */
  readonly validEnd: number;
  /** Set when a torn write was found at validEnd (zeros alone do not count). */
  readonly tornTail: { readonly offset: number; readonly reason: string } | null;
  /** Highest entry index in any record of the segment (0 if none). */
  readonly maxEntryIndex: number;
}

type RecordRead =
  | { readonly kind: 'ok'; readonly record: DecodedRecord; readonly end: number }
  /** Unreadable in a way a torn write can cause; `claimedEnd` is where the record would end. */
  | { readonly kind: 'damaged'; readonly reason: string; readonly claimedEnd: number }
  /** Intact checksum but impossible content: never the result of a torn write. */
  | { readonly kind: 'invalid'; readonly reason: string };

const ZEROS = Buffer.alloc(64 * 1024);

export function isAllZero(buf: Buffer, from: number, to: number): boolean {
  for (let at = from; at < to; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, to - at);
    if (buf.compare(ZEROS, 0, n, at, at + n) !== 0) return false;
  }
  return true;
}

/** First offset >= from whose byte is not zero, or buf.length. */
function nextNonZero(buf: Buffer, from: number): number {
  const chunkBytes = 4096;
  let at = from;
  while (at < buf.length) {
    const end = Math.min(at + chunkBytes, buf.length);
    if (!isAllZero(buf, at, end)) {
      while (buf[at] === 0) at++;
      return at;
    }
    at = end;
  }
  return buf.length;
}

function headerProblem(header: RecordHeader, offset: number): string | null {
  if (header.reserved !== 0) return 'record header reserved bytes are not zero';
  if (!(header.type in RecordType)) return `unknown record type ${header.type}`;
  if (header.bodyBytes < 1 || header.bodyBytes > RECORD_BODY_BYTES_LIMIT)
    return `impossible body size ${header.bodyBytes}`;
  const batchStartValid =
    header.batchStart >= SEGMENT_HEADER_BYTES &&
    header.batchStart <= offset &&
    header.batchStart % RECORD_ALIGN_BYTES === 0;
  return batchStartValid ? null : `impossible batch start ${header.batchStart}`;
}

function readRecordAt(buf: Buffer, offset: number, file: string): RecordRead {
  if (buf.length - offset < RECORD_HEADER_BYTES) {
    return {
      kind: 'damaged',
      reason: 'record header cut short by the end of the file',
      claimedEnd: offset + RECORD_HEADER_BYTES,
    };
  }
  const header = readRecordHeader(buf, offset);
  if (header === null) {
    return { kind: 'damaged', reason: 'record header checksum mismatch', claimedEnd: offset + RECORD_HEADER_BYTES };
  }
  const problem = headerProblem(header, offset);
  if (problem !== null) return { kind: 'invalid', reason: problem };
  const end = offset + recordExtentBytes(header.bodyBytes);
  if (end > buf.length) return { kind: 'damaged', reason: 'record runs past the end of the file', claimedEnd: end };
  if (!bodyChecksumMatches(buf, offset, header)) {
    return {
      kind: 'damaged',
      reason: 'record body checksum mismatch',
      claimedEnd: offset + RECORD_HEADER_BYTES + header.bodyBytes,
    };
  }
  const bodyStart = offset + RECORD_HEADER_BYTES;
  try {
    const record = decodeBody(header.type, buf.subarray(bodyStart, bodyStart + header.bodyBytes), file, offset);
    return { kind: 'ok', record, end };
  } catch (err) {
    if (err instanceof MalformedBodyError) return { kind: 'invalid', reason: `malformed record body: ${err.message}` };
    throw err;
  }
}

/**
 * Rule 2: the damaged record at `offset` looks like a write that never reached
 * the disk — it runs past the end of the file, or one of its sectors reads as
 * zeros from the record's (or sector's) start to the sector's (or file's) end.
 */
function looksUnwritten(buf: Buffer, offset: number, claimedEnd: number): boolean {
  if (claimedEnd > buf.length) return true;
  const firstSector = offset - (offset % SECTOR_BYTES);
  for (let sector = firstSector; sector < claimedEnd; sector += SECTOR_BYTES) {
    const from = Math.max(sector, offset);
    const to = Math.min(sector + SECTOR_BYTES, buf.length);
    if (isAllZero(buf, from, to)) return true;
  }
  return false;
}

/** A cheap filter before any checksum: would a record header at `at` be plausible? */
function plausibleHeaderAt(buf: Buffer, at: number): boolean {
  const bodyBytes = buf.readUInt32LE(at + 4);
  const batchStart = buf.readUInt32LE(at + 12);
  const typeWord = buf.readUInt32LE(at + 16);
  return (
    typeWord >= RecordType.Entries &&
    typeWord <= RecordType.Snapshot &&
    bodyBytes >= 1 &&
    at + RECORD_HEADER_BYTES + bodyBytes <= buf.length &&
    batchStart >= SEGMENT_HEADER_BYTES &&
    batchStart <= at &&
    batchStart % RECORD_ALIGN_BYTES === 0
  );
}

/**
 * Rule 3: finds a valid record after `damagedAt` whose write began after it,
 * which proves the damaged bytes had been fsynced. Returns its offset or null.
 * Steps over zero space quickly; bounded by the file length.
 */
function findLaterWriteRecord(buf: Buffer, damagedAt: number): number | null {
  let at = damagedAt + RECORD_ALIGN_BYTES;
  while (at + RECORD_HEADER_BYTES <= buf.length) {
    if (isAllZero(buf, at, at + RECORD_ALIGN_BYTES)) {
      const nonZero = nextNonZero(buf, at);
      at = nonZero - (nonZero % RECORD_ALIGN_BYTES);
      continue;
    }
    const header = plausibleHeaderAt(buf, at) ? readRecordHeader(buf, at) : null;
    if (header === null || header.reserved !== 0 || !bodyChecksumMatches(buf, at, header)) {
      at += RECORD_ALIGN_BYTES;
      continue;
    }
    if (header.batchStart > damagedAt) return at;
    at += recordExtentBytes(header.bodyBytes);
  }
  return null;
}

function maxIndexOf(record: DecodedRecord): number {
  return record.type === RecordType.Entries ? record.entries[record.entries.length - 1]!.index : 0;
}

/**
 * Scans a whole segment. `isLast` is true for the newest segment, the only one
 * that may end in a torn write. Throws WalCorruptionError naming `file` and the
 * byte offset of the first damage that a torn write cannot explain.
 */
export function scanSegment(buf: Buffer, file: string, isLast: boolean): SegmentScan {
  const header = decodeSegmentHeader(buf);
  if ('problem' in header) throw new WalCorruptionError(file, 0, header.problem);
  const records: DecodedRecord[] = [];
  let maxEntryIndex = 0;
  let offset = SEGMENT_HEADER_BYTES;
  let tornTail: SegmentScan['tornTail'] = null;
  while (offset < buf.length) {
    const read = readRecordAt(buf, offset, file);
    if (read.kind === 'ok') {
      records.push(read.record);
      maxEntryIndex = Math.max(maxEntryIndex, maxIndexOf(read.record));
      offset = read.end;
      continue;
    }
    if (read.kind === 'invalid') throw new WalCorruptionError(file, offset, read.reason);
    if (isLast && isAllZero(buf, offset, buf.length)) break; // preallocated space: the clean end
    tornTail = judgeDamage(buf, file, isLast, offset, read);
    break;
  }
  return { seq: header.seq, firstIndex: header.firstIndex, records, validEnd: offset, tornTail, maxEntryIndex };
}

/** Applies rules 1-3 to a damaged record: returns the torn tail or throws. */
function judgeDamage(
  buf: Buffer,
  file: string,
  isLast: boolean,
  offset: number,
  read: { readonly reason: string; readonly claimedEnd: number },
): NonNullable<SegmentScan['tornTail']> {
  if (!isLast) {
    throw new WalCorruptionError(
      file,
      offset,
      `${read.reason} in a sealed segment (only the last segment may end torn)`,
    );
  }
  if (!looksUnwritten(buf, offset, read.claimedEnd)) {
    throw new WalCorruptionError(
      file,
      offset,
      `${read.reason}, and no sector of it reads as unwritten: not a torn write`,
    );
  }
  const laterAt = findLaterWriteRecord(buf, offset);
  if (laterAt !== null) {
    throw new WalCorruptionError(
      file,
      offset,
      `${read.reason}, followed by a valid record at offset ${laterAt} from a later write: the damaged data was durable`,
    );
  }
  return { offset, reason: read.reason };
}
