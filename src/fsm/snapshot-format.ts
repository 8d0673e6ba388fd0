/**
 * Wire format of state-machine snapshots, shared by the producer
 * (snapshot-stream.ts) and the consumer (restore.ts).
 *
 * A snapshot is a sequence of chunks. Each chunk is {data, crc32c} where
 * crc32c = CRC-32C of data, and data is a MessagePack map:
 *   v       format version (1)
 *   seq     0, 1, 2, ... (contiguous)
 *   header  first chunk only: {index, term, revision} of the snapshot
 *   pairs   [key0, value0, key1, value1, ...] raw LevelDB entries, keys strictly
 *           ascending across the whole snapshot
 *   end     last chunk only: {pairs: total entries}
 * A chunk holds about chunkBytes of pairs (at most one record more), so its
 * size is bounded by chunkBytes + the largest record (a 1 MiB kv value and
 * its change-log copy stay well under chunkBytes + 2.2 MiB).
 */
import { crc32c } from '@node-rs/crc32';
import { decodeRecord, encodeRecord } from './codec.js';
import { SnapshotCorruptError } from './errors.js';

export const SNAPSHOT_FORMAT_VERSION = 1;

export interface SnapshotChunk {
  readonly data: Uint8Array;
  readonly crc32c: number;
}

export interface SnapshotHeader {
  readonly index: number;
  readonly term: number;
  readonly revision: number;
}

export interface ChunkBody {
  readonly seq: number;
  readonly header: SnapshotHeader | null;
  readonly pairs: readonly Uint8Array[];
  readonly end: { readonly pairs: number } | null;
}

export function encodeChunk(body: ChunkBody): SnapshotChunk {
  const record: Record<string, unknown> = { v: SNAPSHOT_FORMAT_VERSION, seq: body.seq };
  if (body.header !== null)
    record.header = { index: body.header.index, term: body.header.term, revision: body.header.revision };
  record.pairs = body.pairs;
  if (body.end !== null) record.end = { pairs: body.end.pairs };
  const data = encodeRecord(record);
  return { data, crc32c: crc32c(data) };
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function readHeader(value: unknown): SnapshotHeader {
  const h = value as Partial<SnapshotHeader> | null;
  if (typeof h !== 'object' || h === null || !isCount(h.index) || !isCount(h.term) || !isCount(h.revision)) {
    throw new SnapshotCorruptError('snapshot header is malformed');
  }
  return { index: h.index, term: h.term, revision: h.revision };
}

/** Verifies the checksum and framing of one received chunk. Throws SnapshotCorruptError. */
export function decodeChunk(chunk: SnapshotChunk): ChunkBody {
  if (!(chunk.data instanceof Uint8Array) || crc32c(chunk.data) !== chunk.crc32c) {
    throw new SnapshotCorruptError('snapshot chunk failed its CRC-32C check');
  }
  let raw: Record<string, unknown>;
  try {
    raw = decodeRecord<Record<string, unknown>>(chunk.data);
  } catch (err) {
    throw new SnapshotCorruptError('snapshot chunk is not MessagePack', { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || raw.v !== SNAPSHOT_FORMAT_VERSION || !isCount(raw.seq)) {
    throw new SnapshotCorruptError(
      `snapshot chunk has an unknown format (expected version ${SNAPSHOT_FORMAT_VERSION})`,
    );
  }
  const pairs = raw.pairs;
  if (!Array.isArray(pairs) || pairs.length % 2 !== 0 || !pairs.every((p) => p instanceof Uint8Array)) {
    throw new SnapshotCorruptError(`snapshot chunk ${raw.seq} has malformed pairs`);
  }
  const end = raw.end === undefined ? null : raw.end;
  if (end !== null && (typeof end !== 'object' || !isCount((end as { pairs?: unknown }).pairs))) {
    throw new SnapshotCorruptError(`snapshot chunk ${raw.seq} has a malformed end`);
  }
  return {
    seq: raw.seq,
    header: raw.header === undefined ? null : readHeader(raw.header),
    pairs: pairs as Uint8Array[],
    end: end === null ? null : { pairs: (end as { pairs: number }).pairs },
  };
}
