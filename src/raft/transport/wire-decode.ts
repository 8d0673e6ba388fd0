/**
 * Protobuf bytes → unvalidated wire records, without copying byte fields.
 *
 * Why not the generated decoder: ts-proto (env=node) copies every `bytes`
 * field into a fresh Buffer. Here entry data and contexts are views
 * (subarray) into the received gRPC message buffer, so a batch of entries
 * costs no copy between the socket and the core. The views keep that buffer
 * alive while any entry of the batch is alive; entries of one batch share a
 * lifetime (written to the WAL together), so the overhead is the framing.
 *
 * The decoder follows raft.proto exactly (a test checks it against the
 * generated decoder on random messages). It is stricter than protobuf
 * requires: a known field with the wrong wire type, a uint64 at or above 2^53,
 * or more records than the configured bounds make it throw
 * InboundRejectedError before allocating further. Unknown fields are skipped
 * (forward compatibility).
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { InboundRejectedError } from './errors.js';

export interface WireEntry {
  readonly term: number;
  readonly index: number;
  readonly type: number;
  readonly data: Uint8Array;
}

export interface WireSnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
}

export interface WireMessage {
  readonly type: number;
  readonly from: string;
  readonly to: string;
  readonly term: number;
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly WireEntry[];
  readonly commit: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly rejectHintTerm: number;
  readonly context: Uint8Array;
  readonly snapshot: WireSnapshotMetadata | null;
}

export interface WireSnapshotChunk {
  readonly header: WireMessage | null;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly crc32c: number;
  readonly last: boolean;
}

export interface DecodeLimits {
  readonly batchMessagesMax: number;
  readonly batchEntriesMax: number;
  readonly confStateMembersMax: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);

/** Remaining record allowance while decoding one frame. */
interface Budget {
  messages: number;
  entries: number;
  members: number;
}

export function decodeMessageBatch(buf: Uint8Array, limits: DecodeLimits): WireMessage[] {
  return guarded(() => {
    const reader = new BinaryReader(buf);
    const budget = newBudget(limits);
    const messages: WireMessage[] = [];
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === 1) messages.push(readMessage(reader, subEnd(reader, wireType), budget));
      else skipUnknown(reader, field, wireType);
    }
    return messages;
  });
}

export function decodeSnapshotChunk(buf: Uint8Array, limits: DecodeLimits): WireSnapshotChunk {
  return guarded(() => {
    const reader = new BinaryReader(buf);
    const budget = newBudget(limits);
    let header: WireMessage | null = null;
    let offset = 0, crc32c = 0, last = false;
    let data: Uint8Array = EMPTY;
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      switch (field) {
        case 1: header = readMessage(reader, subEnd(reader, wireType), budget); break;
        case 2: offset = readUint64(reader, wireType); break;
        case 3: data = readBytes(reader, wireType); break;
        case 4: crc32c = readVarint32(reader, wireType) >>> 0; break;
        case 5: last = readBool(reader, wireType); break;
        default: skipUnknown(reader, field, wireType);
      }
    }
    return { header, offset, data, crc32c, last };
  });
}

function newBudget(limits: DecodeLimits): Budget {
  return {
    messages: limits.batchMessagesMax,
    entries: limits.batchEntriesMax,
    members: limits.confStateMembersMax,
  };
}

/** Runs a decode; any failure of the reader becomes a named 'decode' rejection. */
function guarded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof InboundRejectedError) throw err;
    throw new InboundRejectedError('decode', `malformed protobuf: ${(err as Error).message}`, { cause: err });
  }
}

function readMessage(reader: BinaryReader, end: number, budget: Budget): WireMessage {
  if (--budget.messages < 0) throw new InboundRejectedError('too-large', 'too many messages in one batch');
  let type = 0, from = '', to = '', term = 0, index = 0, logTerm = 0, commit = 0;
  let reject = false, rejectHint = 0, rejectHintTerm = 0;
  let context: Uint8Array = EMPTY;
  let snapshot: WireSnapshotMetadata | null = null;
  const entries: WireEntry[] = [];
  while (reader.pos < end) {
    const [field, wt] = reader.tag();
    switch (field) {
      case 1: type = readVarint32(reader, wt); break;
      case 2: from = readString(reader, wt); break;
      case 3: to = readString(reader, wt); break;
      case 4: term = readUint64(reader, wt); break;
      case 5: index = readUint64(reader, wt); break;
      case 6: logTerm = readUint64(reader, wt); break;
      case 7: entries.push(readEntry(reader, subEnd(reader, wt), budget)); break;
      case 8: commit = readUint64(reader, wt); break;
      case 9: reject = readBool(reader, wt); break;
      case 10: rejectHint = readUint64(reader, wt); break;
      case 11: rejectHintTerm = readUint64(reader, wt); break;
      case 12: context = readBytes(reader, wt); break;
      case 13: snapshot = readMetadata(reader, subEnd(reader, wt), budget); break;
      default: skipUnknown(reader, field, wt);
    }
  }
  expectEnd(reader, end);
  return {
    type, from, to, term, index, logTerm, entries, commit, reject, rejectHint, rejectHintTerm, context, snapshot,
  };
}

function readEntry(reader: BinaryReader, end: number, budget: Budget): WireEntry {
  if (--budget.entries < 0) throw new InboundRejectedError('too-large', 'too many entries in one batch');
  let term = 0, index = 0, type = 0;
  let data: Uint8Array = EMPTY;
  while (reader.pos < end) {
    const [field, wt] = reader.tag();
    switch (field) {
      case 1: term = readUint64(reader, wt); break;
      case 2: index = readUint64(reader, wt); break;
      case 3: type = readVarint32(reader, wt); break;
      case 4: data = readBytes(reader, wt); break;
      default: skipUnknown(reader, field, wt);
    }
  }
  expectEnd(reader, end);
  return { term, index, type, data };
}

function readMetadata(reader: BinaryReader, end: number, budget: Budget): WireSnapshotMetadata {
  let index = 0, term = 0;
  let voters: string[] = [], learners: string[] = [];
  while (reader.pos < end) {
    const [field, wt] = reader.tag();
    switch (field) {
      case 1: index = readUint64(reader, wt); break;
      case 2: term = readUint64(reader, wt); break;
      case 3: ({ voters, learners } = readConfState(reader, subEnd(reader, wt), budget)); break;
      default: skipUnknown(reader, field, wt);
    }
  }
  expectEnd(reader, end);
  return { index, term, voters, learners };
}

function readConfState(reader: BinaryReader, end: number, budget: Budget): { voters: string[]; learners: string[] } {
  const voters: string[] = [], learners: string[] = [];
  while (reader.pos < end) {
    const [field, wt] = reader.tag();
    if (field === 1 || field === 2) {
      if (--budget.members < 0) throw new InboundRejectedError('too-large', 'too many conf state members');
      (field === 1 ? voters : learners).push(readString(reader, wt));
    } else {
      skipUnknown(reader, field, wt);
    }
  }
  expectEnd(reader, end);
  return { voters, learners };
}

// --- scalar readers: each checks the wire type of a known field -------------

function expectWireType(actual: WireType, expected: WireType): void {
  if (actual !== expected) {
    throw new InboundRejectedError('decode', `wire type ${actual} where ${expected} was expected`);
  }
}

/** End offset of a length-delimited sub-message starting at the reader's position. */
function subEnd(reader: BinaryReader, wt: WireType): number {
  expectWireType(wt, WireType.LengthDelimited);
  const length = reader.uint32();
  const end = reader.pos + length;
  if (end > reader.len) throw new InboundRejectedError('decode', 'sub-message runs past the end of its frame');
  return end;
}

function expectEnd(reader: BinaryReader, end: number): void {
  if (reader.pos !== end) throw new InboundRejectedError('decode', 'field runs past the end of its sub-message');
}

function readUint64(reader: BinaryReader, wt: WireType): number {
  expectWireType(wt, WireType.Varint);
  const value = Number(reader.uint64());
  if (!Number.isSafeInteger(value)) throw new InboundRejectedError('invalid-field', 'uint64 value at or above 2^53');
  return value;
}

function readVarint32(reader: BinaryReader, wt: WireType): number {
  expectWireType(wt, WireType.Varint);
  return reader.int32();
}

function readBool(reader: BinaryReader, wt: WireType): boolean {
  expectWireType(wt, WireType.Varint);
  return reader.bool();
}

function readBytes(reader: BinaryReader, wt: WireType): Uint8Array {
  expectWireType(wt, WireType.LengthDelimited);
  return reader.bytes();
}

function readString(reader: BinaryReader, wt: WireType): string {
  expectWireType(wt, WireType.LengthDelimited);
  return reader.string(true);
}

function skipUnknown(reader: BinaryReader, field: number, wt: WireType): void {
  if (field === 0) throw new InboundRejectedError('decode', 'field number 0');
  reader.skip(wt, field);
}
