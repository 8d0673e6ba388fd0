/**
 * Record bodies (layouts in format.ts), encoded by hand: this is the hot path
 * of every append, and a fixed binary layout costs one bounds-checked store per
 * field where a generic serializer would allocate.
 */
import { assert } from '../core/errors.js';
import { EntryType, logIndex, nodeId, term, type Entry, type HardState } from '../core/types.js';
import { readU64, RECORD_HEADER_BYTES, RecordType, recordExtentBytes, sealRecord, writeU64 } from './format.js';

export const ENTRIES_BODY_FIXED_BYTES = 12;
export const ENTRY_FIXED_BYTES = 13;
const HARD_STATE_FIXED_BYTES = 19;
const SNAPSHOT_BODY_BYTES = 16;
const VOTE_BYTES_MAX = 0xffff;

/** One record waiting to be written. Entries runs are slices of the caller's array. */
export type RecordPlan =
  | {
      readonly type: RecordType.Entries;
      readonly entries: readonly Entry[];
      readonly from: number;
      readonly to: number;
    }
  | { readonly type: RecordType.HardState; readonly hardState: HardState }
  | { readonly type: RecordType.Snapshot; readonly index: number; readonly term: number };

/** A record read back from disk, with where it was found. */
export type DecodedRecord = (
  | { readonly type: RecordType.Entries; readonly entries: Entry[] }
  | { readonly type: RecordType.HardState; readonly hardState: HardState }
  | { readonly type: RecordType.Snapshot; readonly index: number; readonly term: number }
) & { readonly file: string; readonly offset: number };

export function entryEncodedBytes(entry: Entry): number {
  return ENTRY_FIXED_BYTES + entry.data.length;
}

export function hardStateBodyBytes(hardState: HardState): number {
  const voteBytes = hardState.vote === null ? 0 : Buffer.byteLength(hardState.vote, 'utf8');
  assert(voteBytes <= VOTE_BYTES_MAX, `vote node id is ${voteBytes} bytes`);
  return HARD_STATE_FIXED_BYTES + voteBytes;
}

export function planBodyBytes(plan: RecordPlan): number {
  switch (plan.type) {
    case RecordType.Entries: {
      let bytes = ENTRIES_BODY_FIXED_BYTES;
      for (let k = plan.from; k < plan.to; k++) bytes += entryEncodedBytes(plan.entries[k]!);
      return bytes;
    }
    case RecordType.HardState:
      return hardStateBodyBytes(plan.hardState);
    case RecordType.Snapshot:
      return SNAPSHOT_BODY_BYTES;
  }
}

export function planExtentBytes(plan: RecordPlan): number {
  return recordExtentBytes(planBodyBytes(plan));
}

function encodeEntriesBody(buf: Buffer, at: number, entries: readonly Entry[], from: number, to: number): number {
  const start = at;
  writeU64(buf, at, entries[from]!.index);
  buf.writeUInt32LE(to - from, at + 8);
  at += ENTRIES_BODY_FIXED_BYTES;
  for (let k = from; k < to; k++) {
    const entry = entries[k]!;
    writeU64(buf, at, entry.term);
    buf[at + 8] = entry.type;
    buf.writeUInt32LE(entry.data.length, at + 9);
    buf.set(entry.data, at + ENTRY_FIXED_BYTES);
    at += ENTRY_FIXED_BYTES + entry.data.length;
  }
  return at - start;
}

function encodeHardStateBody(buf: Buffer, at: number, hardState: HardState): number {
  writeU64(buf, at, hardState.term);
  writeU64(buf, at + 8, hardState.commit);
  buf[at + 16] = hardState.vote === null ? 0 : 1;
  const voteBytes = hardState.vote === null ? 0 : buf.write(hardState.vote, at + 19, 'utf8');
  buf.writeUInt16LE(voteBytes, at + 17);
  return HARD_STATE_FIXED_BYTES + voteBytes;
}

/**
 * Writes one whole record (header, body, padding) at `offset`, which must be
 * aligned and have room for planExtentBytes(plan). Returns the offset after it.
 */
export function encodeRecord(buf: Buffer, offset: number, plan: RecordPlan, batchStart: number): number {
  const bodyStart = offset + RECORD_HEADER_BYTES;
  let bodyBytes: number;
  switch (plan.type) {
    case RecordType.Entries:
      bodyBytes = encodeEntriesBody(buf, bodyStart, plan.entries, plan.from, plan.to);
      break;
    case RecordType.HardState:
      bodyBytes = encodeHardStateBody(buf, bodyStart, plan.hardState);
      break;
    case RecordType.Snapshot:
      writeU64(buf, bodyStart, plan.index);
      writeU64(buf, bodyStart + 8, plan.term);
      bodyBytes = SNAPSHOT_BODY_BYTES;
      break;
  }
  return sealRecord(buf, offset, plan.type, bodyBytes, batchStart);
}

/** Thrown by decodeBody for a body whose checksum holds but whose content cannot be ours. */
export class MalformedBodyError extends Error {}

function decodeEntriesBody(body: Buffer): Entry[] {
  if (body.length < ENTRIES_BODY_FIXED_BYTES) throw new MalformedBodyError('entries body too short');
  const firstIndex = readU64(body, 0);
  const count = body.readUInt32LE(8);
  if (firstIndex === null || firstIndex < 1) throw new MalformedBodyError('entries run has an invalid first index');
  if (count < 1) throw new MalformedBodyError('entries run is empty');
  const entries: Entry[] = new Array<Entry>(count);
  let at = ENTRIES_BODY_FIXED_BYTES;
  for (let k = 0; k < count; k++) {
    if (at + ENTRY_FIXED_BYTES > body.length) throw new MalformedBodyError(`entry ${k} header runs past the body`);
    const entryTerm = readU64(body, at);
    const type = body[at + 8]!;
    const dataBytes = body.readUInt32LE(at + 9);
    at += ENTRY_FIXED_BYTES;
    if (entryTerm === null || !(type in EntryType)) {
      throw new MalformedBodyError(`entry ${k} has an invalid term or type`);
    }
    if (at + dataBytes > body.length) throw new MalformedBodyError(`entry ${k} data runs past the body`);
    // A view into the segment buffer, not a copy: most of a WAL is older than its
    // snapshot and dropped by replay, which copies out only the entries it keeps.
    const data = new Uint8Array(body.buffer, body.byteOffset + at, dataBytes);
    entries[k] = { index: logIndex(firstIndex + k), term: term(entryTerm), type: type as EntryType, data };
    at += dataBytes;
  }
  if (at !== body.length) throw new MalformedBodyError('entries body has trailing bytes');
  return entries;
}

function decodeHardStateBody(body: Buffer): HardState {
  if (body.length < HARD_STATE_FIXED_BYTES) throw new MalformedBodyError('hard state body too short');
  const hsTerm = readU64(body, 0);
  const commit = readU64(body, 8);
  const hasVote = body[16]!;
  const voteBytes = body.readUInt16LE(17);
  if (hsTerm === null || commit === null || hasVote > 1) throw new MalformedBodyError('hard state field out of range');
  if (body.length !== HARD_STATE_FIXED_BYTES + voteBytes) throw new MalformedBodyError('hard state length mismatch');
  if (hasVote === 0 && voteBytes !== 0) throw new MalformedBodyError('hard state has vote bytes but no vote');
  const vote = hasVote === 1 ? nodeId(body.toString('utf8', HARD_STATE_FIXED_BYTES)) : null;
  return { term: term(hsTerm), commit: logIndex(commit), vote };
}

export function decodeBody(type: number, body: Buffer, file: string, offset: number): DecodedRecord {
  switch (type) {
    case RecordType.Entries:
      return { type, entries: decodeEntriesBody(body), file, offset };
    case RecordType.HardState:
      return { type, hardState: decodeHardStateBody(body), file, offset };
    case RecordType.Snapshot: {
      if (body.length !== SNAPSHOT_BODY_BYTES) throw new MalformedBodyError('snapshot marker length mismatch');
      const index = readU64(body, 0);
      const snapTerm = readU64(body, 8);
      if (index === null || snapTerm === null || index < 1) {
        throw new MalformedBodyError('snapshot marker out of range');
      }
      return { type, index, term: snapTerm, file, offset };
    }
    default:
      throw new MalformedBodyError(`unknown record type ${type}`);
  }
}
