/**
 * Snapshot files: snap-<index:16 hex>-<term:16 hex>.snap, written atomically
 * (temp file, fsync, rename, fsync the directory) and checked on load.
 *
 * Layout, little-endian:
 *    0  8  magic "EDGNSNAP"
 *    8  4  u32 version = 1
 *   12  4  u32 metadataBytes
 *   16  8  u64 dataBytes
 *   24  4  u32 crc32c of the metadata
 *   28  4  u32 crc32c of the data
 *   32  4  u32 crc32c of bytes 0..32
 *   36  4  zero
 *   40  .  metadata, UTF-8 JSON {"index","term","voters","learners"}
 *    .  .  data (opaque state-machine bytes)
 * The file is exactly 40 + metadataBytes + dataBytes long, and the name must
 * agree with the metadata.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { logIndex, nodeId, term, type Snapshot, type SnapshotMetadata } from '../core/types.js';
import { FORMAT_VERSION, readU64, writeU64 } from './format.js';
import { writeFileAtomic } from './fs-util.js';

const MAGIC = Buffer.from('EDGNSNAP', 'latin1');
const HEADER_BYTES = 40;
const NAME = /^snap-([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export interface SnapshotFileRef {
  readonly name: string;
  readonly index: number;
  readonly term: number;
}

export function snapshotFileName(index: number, snapTerm: number): string {
  return `snap-${index.toString(16).padStart(16, '0')}-${snapTerm.toString(16).padStart(16, '0')}.snap`;
}

export function parseSnapshotFileName(name: string): SnapshotFileRef | null {
  const match = NAME.exec(name);
  if (match === null) return null;
  const index = Number.parseInt(match[1]!, 16);
  const snapTerm = Number.parseInt(match[2]!, 16);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(snapTerm)) return null;
  return { name, index, term: snapTerm };
}

function encodeMetadata(metadata: SnapshotMetadata): Buffer {
  const { index, term: snapTerm, confState } = metadata;
  return Buffer.from(
    JSON.stringify({ index, term: snapTerm, voters: confState.voters, learners: confState.learners }),
    'utf8',
  );
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0);
}

function decodeMetadata(bytes: Buffer): SnapshotMetadata | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return `metadata is not JSON (${(err as Error).message})`;
  }
  const { index, term: snapTerm, voters, learners } = (parsed ?? {}) as Record<string, unknown>;
  if (!Number.isSafeInteger(index) || (index as number) < 1) return 'metadata index is invalid';
  if (!Number.isSafeInteger(snapTerm) || (snapTerm as number) < 0) return 'metadata term is invalid';
  if (!isStringArray(voters) || !isStringArray(learners)) return 'metadata membership is invalid';
  return {
    index: logIndex(index as number),
    term: term(snapTerm as number),
    confState: { voters: voters.map(nodeId), learners: learners.map(nodeId) },
  };
}

/** Writes the snapshot atomically and returns its file reference. */
export async function writeSnapshotFile(dir: string, snapshot: Snapshot, sync: boolean): Promise<SnapshotFileRef> {
  const metadata = encodeMetadata(snapshot.metadata);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(metadata.length, 12);
  writeU64(header, 16, snapshot.data.length);
  header.writeUInt32LE(crc32c(metadata), 24);
  header.writeUInt32LE(crc32c(snapshot.data), 28);
  header.writeUInt32LE(crc32c(header.subarray(0, 32)), 32);
  const name = snapshotFileName(snapshot.metadata.index, snapshot.metadata.term);
  await writeFileAtomic(dir, name, [header, metadata, snapshot.data], sync);
  return { name, index: snapshot.metadata.index, term: snapshot.metadata.term };
}

/** Checks a snapshot file's bytes; returns the snapshot or why it is unusable. */
export function decodeSnapshotFile(bytes: Buffer, ref: SnapshotFileRef): Snapshot | { problem: string } {
  if (bytes.length < HEADER_BYTES) return { problem: `file is ${bytes.length} bytes, shorter than the header` };
  if (!bytes.subarray(0, 8).equals(MAGIC)) return { problem: 'bad magic' };
  if (bytes.readUInt32LE(32) !== crc32c(bytes.subarray(0, 32))) return { problem: 'header checksum mismatch' };
  if (bytes.readUInt32LE(8) !== FORMAT_VERSION) return { problem: `unsupported version ${bytes.readUInt32LE(8)}` };
  const metadataBytes = bytes.readUInt32LE(12);
  const dataBytes = readU64(bytes, 16);
  if (dataBytes === null || bytes.length !== HEADER_BYTES + metadataBytes + dataBytes) {
    return {
      problem: `file is ${bytes.length} bytes, header says ${HEADER_BYTES + metadataBytes + (dataBytes ?? NaN)}`,
    };
  }
  const metadataBuf = bytes.subarray(HEADER_BYTES, HEADER_BYTES + metadataBytes);
  const data = bytes.subarray(HEADER_BYTES + metadataBytes);
  if (crc32c(metadataBuf) !== bytes.readUInt32LE(24)) return { problem: 'metadata checksum mismatch' };
  if (crc32c(data) !== bytes.readUInt32LE(28)) return { problem: 'data checksum mismatch' };
  const metadata = decodeMetadata(metadataBuf);
  if (typeof metadata === 'string') return { problem: metadata };
  if (metadata.index !== ref.index || metadata.term !== ref.term)
    return { problem: 'file name disagrees with the metadata' };
  return { metadata, data };
}

export async function readSnapshotFile(dir: string, ref: SnapshotFileRef): Promise<Snapshot | { problem: string }> {
  return decodeSnapshotFile(await readFile(join(dir, ref.name)), ref);
}
