// Goal: the Message <-> protobuf conversion is lossless for every message
// type, byte fields stay zero-copy on decode, the hand-written decoder agrees
// with the generated one, and every kind of malformed or inconsistent input is
// a named InboundRejectedError (never a crash, never a partial result).
// Method: pure encode/decode/validate calls, no network; a seeded fuzz loop.
import { describe, expect, it } from 'vitest';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { MessageType, logIndex, nodeId, term, type Message } from '../../../src/raft/core/types.js';
import {
  Message as ProtoMessage,
  MessageBatch as ProtoMessageBatch,
  SnapshotChunk as ProtoSnapshotChunk,
} from '../../../src/gen/edgernetes/raft/v1/raft.js';
import { TRANSPORT_DEFAULTS } from '../../../src/raft/transport/config.js';
import { InboundRejectedError } from '../../../src/raft/transport/errors.js';
import { toCoreMessage, type ValidationContext } from '../../../src/raft/transport/validate.js';
import { decodeMessageBatch, decodeSnapshotChunk } from '../../../src/raft/transport/wire-decode.js';
import { encodeMessageFrame, encodeSnapshotChunk, joinFrames } from '../../../src/raft/transport/wire-encode.js';
import { messageToProto } from './proto-reference.js';
import { canonical, entry, everyMessageType, message, pseudoRandomBytes } from './helpers.js';

const n1 = nodeId('n1');
const n2 = nodeId('n2');
const ctx: ValidationContext = {
  selfId: n2,
  peer: n1,
  allowSnap: false,
  contextBytesMax: TRANSPORT_DEFAULTS.contextBytesMax,
  nodeIdLengthMax: TRANSPORT_DEFAULTS.nodeIdLengthMax,
};

function roundTrip(messages: readonly Message[], allowSnap = false): Message[] {
  const frames = messages.map(encodeMessageFrame);
  const batch = joinFrames(frames, frames.reduce((n, f) => n + f.length, 0));
  return decodeMessageBatch(batch, TRANSPORT_DEFAULTS).map((w) => toCoreMessage(w, { ...ctx, allowSnap }));
}

/** Builds a batch through the generated encoder, so tests can send anything the schema allows. */
function protoBatch(mutate: (m: ProtoMessage) => void, base: Message = everyMessageType()[0]): Uint8Array {
  const proto = messageToProto(base);
  mutate(proto);
  return ProtoMessageBatch.encode({ messages: [proto] }).finish();
}

function rejection(bytes: Uint8Array, validation: Partial<ValidationContext> = {}): InboundRejectedError {
  try {
    decodeMessageBatch(bytes, TRANSPORT_DEFAULTS).map((w) => toCoreMessage(w, { ...ctx, ...validation }));
  } catch (err) {
    expect(err).toBeInstanceOf(InboundRejectedError);
    return err as InboundRejectedError;
  }
  throw new Error('expected the batch to be rejected');
}

describe('message codec', () => {
  it('round-trips every message type field for field', () => {
    const all = everyMessageType();
    expect(new Set(all.map((m) => m.type)).size).toBe(Object.keys(MessageType).length);
    const back = roundTrip(all, true);
    expect(back.map(canonical)).toEqual(all.map(canonical));
  });

  it('encodes byte-identically to the generated encoder (messages and snapshot chunks)', () => {
    const messages = [...everyMessageType(), message({ type: MessageType.App, from: n1, to: n2, term: term(2 ** 40), index: logIndex(2 ** 53 - 2), commit: logIndex(300) })];
    for (const m of messages) {
      const generated = Buffer.from(ProtoMessageBatch.encode({ messages: [messageToProto(m)] }).finish());
      expect(encodeMessageFrame(m).equals(generated)).toBe(true);
    }
    const snap = everyMessageType().find((m) => m.type === MessageType.Snap)!;
    for (const chunk of [
      { header: snap, offset: 0, data: new Uint8Array(0), crc32c: 0, last: false },
      { header: null, offset: 5_000_000_000, data: pseudoRandomBytes(200, 1), crc32c: 0xffffffff, last: true },
    ]) {
      const generated = ProtoSnapshotChunk.encode({
        header: chunk.header === null ? undefined : messageToProto(chunk.header),
        offset: chunk.offset,
        data: Buffer.from(chunk.data),
        crc32c: chunk.crc32c,
        last: chunk.last,
      }).finish();
      expect(encodeSnapshotChunk(chunk).equals(Buffer.from(generated))).toBe(true);
    }
  });

  it('decodes entry data and contexts as views into the received buffer (no copy)', () => {
    const app = everyMessageType()[0];
    const frame = Buffer.from(encodeMessageFrame(app));
    const [decoded] = decodeMessageBatch(frame, TRANSPORT_DEFAULTS);
    expect(decoded.entries[0].data.buffer).toBe(frame.buffer);
    expect(Buffer.from(decoded.entries[0].data).equals(Buffer.from(app.entries[0].data))).toBe(true);
  });

  it('agrees with the generated encoder and decoder on 500 random valid messages', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const bytes = pseudoRandomBytes(64, seed);
      const entries = Array.from({ length: bytes[0] % 4 }, (_, i) => entry(11 + i, 3, bytes.subarray(i * 8, i * 8 + bytes[i + 1] % 9)));
      const m = message({
        type: MessageType.App, from: n1, to: n2, term: term(3 + (bytes[5] % 3)), index: logIndex(10), logTerm: term(2),
        commit: logIndex(bytes[6] * 1000), context: bytes.subarray(40, 40 + (bytes[7] % 20)), entries,
      });
      const frame = encodeMessageFrame(m);
      expect(frame.equals(Buffer.from(ProtoMessageBatch.encode({ messages: [messageToProto(m)] }).finish()))).toBe(true);
      const generated = ProtoMessageBatch.decode(frame).messages[0];
      const ours = decodeMessageBatch(frame, TRANSPORT_DEFAULTS)[0];
      expect(ours.term).toBe(generated.term);
      expect(ours.commit).toBe(generated.commit);
      expect(ours.entries.map((e) => Buffer.from(e.data).toString('hex'))).toEqual(generated.entries.map((e) => e.data.toString('hex')));
      expect(Buffer.from(ours.context).equals(generated.context)).toBe(true);
      expect(canonical(toCoreMessage(ours, ctx))).toEqual(canonical(m));
    }
  });

  it('round-trips snapshot chunks, header only on the first', () => {
    const snap = everyMessageType().find((m) => m.type === MessageType.Snap)!;
    const data = pseudoRandomBytes(1000, 3);
    const first = decodeSnapshotChunk(encodeSnapshotChunk({ header: snap, offset: 0, data, crc32c: 0xfedcba98, last: false }), TRANSPORT_DEFAULTS);
    expect(first.header).not.toBeNull();
    expect(canonical(toCoreMessage(first.header!, { ...ctx, allowSnap: true }))).toEqual(canonical(snap));
    expect(first.crc32c).toBe(0xfedcba98);
    expect(Buffer.from(first.data).equals(Buffer.from(data))).toBe(true);
    const later = decodeSnapshotChunk(encodeSnapshotChunk({ header: null, offset: 1000, data, crc32c: 1, last: true }), TRANSPORT_DEFAULTS);
    expect(later).toMatchObject({ header: null, offset: 1000, last: true, crc32c: 1 });
  });
});

describe('inbound validation rejects the whole batch', () => {
  it('unknown and unspecified message types', () => {
    expect(rejection(protoBatch((m) => (m.type = 99 as ProtoMessage["type"]))).message).toMatch(/unknown message type 99/);
    expect(rejection(protoBatch((m) => (m.type = 0))).reason).toBe('invalid-field');
  });

  it('a sender other than the stream peer, a target other than this replica', () => {
    expect(rejection(protoBatch((m) => (m.from = 'n3'))).reason).toBe('wrong-sender');
    expect(rejection(protoBatch((m) => (m.to = 'n3'))).reason).toBe('wrong-target');
    expect(rejection(protoBatch((m) => (m.from = ''))).reason).toBe('wrong-sender');
  });

  it('App entries that do not extend the log after (index, logTerm)', () => {
    expect(rejection(protoBatch((m) => (m.entries[1].index = 200))).message).toMatch(/index 200/);
    expect(rejection(protoBatch((m) => (m.entries[1].term = 9))).message).toMatch(/out of order/);
    expect(rejection(protoBatch((m) => (m.entries[2].term = 4))).message).toMatch(/out of order/);
    expect(rejection(protoBatch((m) => (m.logTerm = 6))).message).toMatch(/logTerm newer/);
    expect(rejection(protoBatch((m) => (m.entries[0].type = 7 as ProtoMessage["entries"][number]["type"]))).message).toMatch(/unknown entry type/);
  });

  it('fields a type must not carry, and Snap outside a transfer', () => {
    const vote = everyMessageType().find((m) => m.type === MessageType.Vote)!;
    expect(rejection(protoBatch((m) => (m.entries = [{ term: 1, index: 1, type: 0, data: Buffer.alloc(1) }]), vote)).message).toMatch(/carries entries/);
    expect(rejection(protoBatch((m) => (m.snapshot = { index: 1, term: 1, confState: { voters: ['n1'], learners: [] } }), vote)).message).toMatch(/carries snapshot/);
    const snap = everyMessageType().find((m) => m.type === MessageType.Snap)!;
    expect(rejection(protoBatch(() => {}, snap)).message).toMatch(/Snap outside a snapshot transfer/);
    expect(rejection(protoBatch((m) => (m.snapshot = undefined), snap), { allowSnap: true }).message).toMatch(/without snapshot metadata/);
    expect(rejection(protoBatch((m) => m.snapshot!.confState!.learners.push('n1'), snap), { allowSnap: true }).message).toMatch(/twice/);
  });

  it('absurd sizes: uint64 beyond 2^53, oversized context, too many messages or entries', () => {
    const w = new BinaryWriter();
    w.uint32(10).fork().uint32(8).int32(7).uint32(18).string('n1').uint32(26).string('n2').uint32(32).uint64(2n ** 60n).join();
    expect(rejection(w.finish()).message).toMatch(/2\^53/);
    expect(rejection(protoBatch((m) => (m.context = Buffer.alloc(TRANSPORT_DEFAULTS.contextBytesMax + 1)))).reason).toBe('too-large');
    const hb = encodeMessageFrame(message({ type: MessageType.Heartbeat, from: n1, to: n2 }));
    const many = joinFrames(Array(5).fill(hb), hb.length * 5);
    expect(() => decodeMessageBatch(many, { ...TRANSPORT_DEFAULTS, batchMessagesMax: 4 })).toThrow(/too many messages/);
    const app = encodeMessageFrame(everyMessageType()[0]);
    expect(() => decodeMessageBatch(app, { ...TRANSPORT_DEFAULTS, batchEntriesMax: 2 })).toThrow(/too many entries/);
  });

  it('malformed protobuf: truncation, wrong wire types, garbage — 2000 seeded inputs, only named errors', () => {
    const validFrames = everyMessageType().slice(0, 8).map(encodeMessageFrame);
    const valid = joinFrames(validFrames, validFrames.reduce((n, f) => n + f.length, 0));
    expect(rejection(valid.subarray(0, valid.length - 3)).reason).toBe('decode');
    expect(rejection(new Uint8Array([0x0a, 0x02, 0x0a, 0x05])).reason).toBe('decode'); // type as a length-delimited field
    let rejected = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const garbage = seed % 2 === 0 ? pseudoRandomBytes(1 + (seed % 200), seed) : mutate(valid, seed);
      try {
        decodeMessageBatch(garbage, TRANSPORT_DEFAULTS).map((w) => toCoreMessage(w, ctx));
      } catch (err) {
        expect(err).toBeInstanceOf(InboundRejectedError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1500);
  });
});

/** Flips a few bytes of `bytes` (seeded). */
function mutate(bytes: Uint8Array, seed: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const noise = pseudoRandomBytes(8, seed);
  for (let i = 0; i < 4; i++) out[(noise[i] * 977 + seed) % out.length] ^= noise[i + 4] | 1;
  return out;
}
