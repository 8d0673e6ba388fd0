// Goal: damage a crash cannot explain is refused, never silently dropped: a
// flipped bit in a sealed segment, a bad record followed by durable data in the
// last segment, a flipped bit in the last record itself, a cut sealed segment,
// garbage after the end, a missing segment. The error is WalCorruptionError and
// names the file and the byte offset of the damaged record; nothing is changed.
// Method: write a real WAL, damage one byte or range with plain file writes,
// reopen, inspect the error and the file bytes.
import { readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { Wal, WalCorruptionError, type WalOptions } from '../../../src/raft/wal/index.js';
import { RECORD_HEADER_BYTES, recordExtentBytes, SEGMENT_HEADER_BYTES } from '../../../src/raft/wal/format.js';
import { editFile, entries, flipBit, hardState, segmentNames, tempDir } from './helpers.js';

const OPTIONS: WalOptions = { segmentBytes: 4096, preallocateBytes: 0 };
/** Each append below is one entries record of one 16-byte entry: 12 + 13 + 16 body bytes. */
const RECORD_BYTES = recordExtentBytes(12 + 13 + 16);
/** The hard state (term 1, no vote) that opens every segment: 19 body bytes. */
const HS = recordExtentBytes(19);

/** Writes `count` single-entry appends (one record each) and returns the directory. */
async function writeWal(count: number, options: WalOptions = OPTIONS): Promise<string> {
  const dir = tempDir();
  const { wal } = await Wal.open(dir, options);
  await wal.append([], hardState(1, 0));
  for (let i = 1; i <= count; i++) await wal.append(entries(i, i), null);
  await wal.close();
  return dir;
}

async function expectCorruption(dir: string, file: string, offset: number, reason: RegExp): Promise<void> {
  const path = join(dir, file);
  const bytesBefore = readFileSync(path);
  const error = await Wal.open(dir, OPTIONS).then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WalCorruptionError);
  const corruption = error as WalCorruptionError;
  expect(corruption.file).toBe(path);
  expect(corruption.offset).toBe(offset);
  expect(corruption.message).toContain(path);
  expect(corruption.message).toContain(`byte offset ${offset}`);
  expect(corruption.message).toMatch(reason);
  expect(readFileSync(path).equals(bytesBefore)).toBe(true); // refused without repairing anything
  const again = await Wal.open(dir, OPTIONS).catch((err: unknown) => err); // the lock was released
  expect(again).toBeInstanceOf(WalCorruptionError);
}

/** Offset of the k-th entries record (0-based) in a segment that starts with `leading` bytes of other records. */
const recordAt = (k: number, leading = 0) => SEGMENT_HEADER_BYTES + leading + k * RECORD_BYTES;

describe('corruption', () => {
  it('refuses a flipped bit in a record body of a sealed segment', async () => {
    const dir = await writeWal(200);
    const sealed = segmentNames(dir)[1]!; // starts with a hard-state copy
    const damaged = recordAt(3, HS);
    flipBit(join(dir, sealed), damaged + RECORD_HEADER_BYTES + 20, 5);
    await expectCorruption(dir, sealed, damaged, /body checksum mismatch in a sealed segment/);
  });

  it('refuses a flipped bit in a record header of a sealed segment', async () => {
    const dir = await writeWal(200);
    const sealed = segmentNames(dir)[0]!; // hard state, then entries
    flipBit(join(dir, sealed), recordAt(0, HS) + 5);
    await expectCorruption(dir, sealed, recordAt(0, HS), /header checksum mismatch in a sealed segment/);
  });

  it('refuses a sealed segment cut short', async () => {
    const dir = await writeWal(200);
    const sealed = segmentNames(dir)[0]!;
    truncateSync(join(dir, sealed), recordAt(10, HS) + 30);
    await expectCorruption(dir, sealed, recordAt(10, HS), /runs past the end of the file in a sealed segment/);
  });

  it('refuses a zeroed record that shares its sectors with later data (zeros are not a whole sector)', async () => {
    const dir = await writeWal(40, { ...OPTIONS, segmentBytes: 1 << 20 });
    const [last] = segmentNames(dir);
    const damaged = recordAt(20, HS);
    editFile(join(dir, last!), (bytes) => bytes.fill(0, damaged, damaged + RECORD_BYTES));
    await expectCorruption(dir, last!, damaged, /header checksum mismatch, and no sector of it reads as unwritten/);
  });

  it('refuses a bad record in the middle of the last segment followed by valid records', async () => {
    const dir = await writeWal(40, { ...OPTIONS, segmentBytes: 1 << 20 });
    const [last] = segmentNames(dir);
    const damaged = recordAt(20, HS);
    flipBit(join(dir, last!), damaged + RECORD_HEADER_BYTES + 30, 1);
    await expectCorruption(dir, last!, damaged, /no sector of it reads as unwritten/);
  });

  it('refuses zeroed sectors in the middle of the last segment followed by records of later writes', async () => {
    const dir = await writeWal(40, { ...OPTIONS, segmentBytes: 1 << 20 });
    const [last] = segmentNames(dir);
    const damaged = recordAt(20, HS);
    const zeroEnd = Math.ceil((damaged + 1) / 512) * 512 + 512; // looks like two sectors never written
    editFile(join(dir, last!), (bytes) => bytes.fill(0, damaged, zeroEnd));
    await expectCorruption(dir, last!, damaged, /followed by a valid record at offset \d+ from a later write/);
  });

  it('refuses a length field that points past the end, when later writes follow', async () => {
    const dir = await writeWal(40, { ...OPTIONS, segmentBytes: 1 << 20 });
    const [last] = segmentNames(dir);
    const damaged = recordAt(10, HS);
    // A huge body length under a header checksum that still matches: the record
    // seems to run past the end of the file, like a torn write, but later writes follow.
    editFile(join(dir, last!), (bytes) => {
      bytes.writeUInt32LE(1 << 24, damaged + 4);
      bytes.writeUInt32LE(crc32c(bytes.subarray(damaged + 4, damaged + RECORD_HEADER_BYTES)), damaged);
      return bytes;
    });
    await expectCorruption(
      dir,
      last!,
      damaged,
      /runs past the end of the file, followed by a valid record at offset \d+ from a later write/,
    );
  });

  it('refuses a flipped bit in the last record of the last segment (durable data, not a torn write)', async () => {
    const dir = await writeWal(10, { ...OPTIONS, segmentBytes: 1 << 20 });
    const [last] = segmentNames(dir);
    const damaged = recordAt(9, HS);
    flipBit(join(dir, last!), damaged + RECORD_HEADER_BYTES + 14);
    await expectCorruption(dir, last!, damaged, /not a torn write/);
  });

  it('refuses garbage after the last record', async () => {
    const dir = await writeWal(10, { ...OPTIONS, segmentBytes: 1 << 20 });
    const [last] = segmentNames(dir);
    const end = recordAt(10, HS);
    editFile(join(dir, last!), (bytes) => Buffer.concat([bytes, Buffer.alloc(24, 0x5a)]));
    await expectCorruption(dir, last!, end, /not a torn write/);
  });

  it('refuses a damaged segment header and a missing segment', async () => {
    const dir = await writeWal(200);
    const names = segmentNames(dir);
    flipBit(join(dir, names[2]!), 13);
    await expectCorruption(dir, names[2]!, 0, /segment header checksum mismatch/);
    rmSync(join(dir, names[2]!));
    await expectCorruption(dir, names[3]!, 0, /segment 3 is missing before it/);
  });
});
