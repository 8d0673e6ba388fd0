/**
 * Goal: snapshots cut into chunks reassemble to the same bytes whatever the
 * arrival order and duplication, never from an incomplete set, and the
 * receiver's open transfers stay bounded. Method: cut a snapshot, feed its
 * chunks to the assembler in various orders.
 */
import { describe, expect, it } from 'vitest';
import { MessageType, logIndex, term, type Message } from '../../src/raft/core/types.js';
import { cutIntoChunks, SnapshotAssembler, SnapshotSends } from '../../sim/snapshot-transfer.js';
import { n } from './fixtures.js';
import { raftMessage } from '../support/raft-messages.js';

const data = Uint8Array.from({ length: 130 }, (_, i) => i);
const snap: Message = raftMessage({
  type: MessageType.Snap,
  from: n(1),
  to: n(2),
  term: term(3),
  snapshot: { metadata: { index: logIndex(40), term: term(3), confState: { voters: [n(1)], learners: [] } }, data: new Uint8Array() },
});

describe('snapshot chunks', () => {
  it('cuts into ceil(size / chunk) chunks and reassembles out of order, ignoring duplicates', () => {
    const chunks = cutIntoChunks(9, snap, data, 48);
    expect(chunks).toHaveLength(3);
    const assembler = new SnapshotAssembler(2);
    expect(assembler.add(1, chunks[2]!)).toBeNull();
    expect(assembler.add(1, chunks[2]!)).toBeNull();
    expect(assembler.add(1, chunks[0]!)).toBeNull();
    const done = assembler.add(1, chunks[1]!);
    expect(done?.message.snapshot?.data).toEqual(data);
    expect(done?.message.snapshot?.metadata.index).toBe(40);
  });

  it('never completes with a chunk missing, and evicts the oldest open transfer past the bound', () => {
    const assembler = new SnapshotAssembler(1);
    const first = cutIntoChunks(1, snap, data, 48);
    const second = cutIntoChunks(2, snap, data, 48);
    assembler.add(1, first[0]!);
    assembler.add(1, first[1]!);
    assembler.add(1, second[0]!); // evicts transfer 1 with its two chunks
    assembler.add(1, second[1]!);
    expect(assembler.add(1, second[2]!)?.transferId).toBe(2);
    expect(assembler.add(1, first[2]!)).toBeNull();
  });

  it('an empty snapshot is one chunk', () => {
    expect(cutIntoChunks(1, snap, new Uint8Array(), 48)).toHaveLength(1);
  });

  it('the sender ends a transfer once, and only the outstanding one to that peer', () => {
    const sends = new SnapshotSends();
    sends.start(n(2), 1);
    sends.start(n(2), 2);
    expect(sends.finish(n(2), 1)).toBe(false);
    expect(sends.finish(n(2), 2)).toBe(true);
    expect(sends.finish(n(2), 2)).toBe(false);
  });
});
