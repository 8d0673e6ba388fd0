// Goal: over real gRPC on 127.0.0.1, every message type arrives intact and in
// order (entries with binary data included), Snap metadata arrives through a
// snapshot transfer, and many sends coalesce into fewer batches.
// Method: two PeerTransports on ephemeral ports; compare what the receiver's
// handlers saw with what was sent; read batching from stats().
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, logIndex, nodeId, term, type Message } from '../../../src/raft/core/types.js';
import {
  canonical,
  chunksOf,
  connectAll,
  connectedPair,
  createNode,
  entry,
  everyMessageType,
  heartbeat,
  message,
  pseudoRandomBytes,
  stopAll,
  waitFor,
  type TestNode,
} from './helpers.js';

let nodes: TestNode[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

/** Connected n1 and n2, tracked for afterEach. */
async function pair(): Promise<[TestNode, TestNode]> {
  return (nodes = await connectedPair());
}

describe('message round trip over gRPC', () => {
  it('delivers every message type field for field, in order', async () => {
    const [a, b] = await pair();
    const sent = everyMessageType(a.id, b.id).filter((m) => m.type !== MessageType.Snap);
    for (const m of sent) a.transport.send([m]);
    await waitFor('all messages received', () => b.recorder.messages.length === sent.length);
    expect(b.recorder.messages.map(canonical)).toEqual(sent.map(canonical));
    const stats = a.transport.stats().peers[b.id];
    expect(stats.messagesSent).toBe(sent.length);
    expect(b.transport.stats().peers[a.id].messagesReceived).toBe(sent.length);
    expect(b.transport.stats().peers[a.id].rejectedBatches).toBe(0);
  });

  it('reports a peer whose stream reached us (onPeerReachable)', async () => {
    const [a, b] = await pair();
    a.transport.send([heartbeat(a.id, b.id)]);
    await waitFor('heartbeat received', () => b.recorder.messages.length === 1);
    expect(b.recorder.reachable).toContain(a.id);
    expect(b.recorder.reachable.every((peer) => peer === a.id)).toBe(true);
  });

  it('carries Snap metadata through a snapshot transfer to onSnapshot', async () => {
    const [a, b] = await pair();
    const snap = everyMessageType(a.id, b.id).find((m) => m.type === MessageType.Snap)!;
    const data = pseudoRandomBytes(1000, 11);
    const result = await a.transport.sendSnapshot(snap, chunksOf(data, 300));
    expect(result.bytes).toBe(1000);
    expect(b.recorder.messages.map(canonical)).toEqual([canonical(snap)]);
    expect(b.sink.finished[0].snapshot).toEqual({ from: a.id, term: snap.term, metadata: snap.snapshot!.metadata });
    expect(Buffer.from(b.sink.finished[0].bytes).equals(Buffer.from(data))).toBe(true);
  });

  it('coalesces many sends into fewer batches, entries with large binary data intact', async () => {
    const [a, b] = await pair();
    const total = 3000;
    const payloads = Array.from({ length: total }, (_, i) => pseudoRandomBytes(64 + (i % 512), i + 1));
    for (let i = 0; i < total; i++) {
      const app = message({
        type: MessageType.App, from: a.id, to: b.id, term: term(2), index: logIndex(i), logTerm: term(i === 0 ? 0 : 2),
        entries: [entry(i + 1, 2, payloads[i])], commit: logIndex(i),
      });
      a.transport.send([app]);
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve)); // let writes start mid-stream
    }
    await waitFor('all entries received', () => b.recorder.messages.length === total, 10_000);
    b.recorder.messages.forEach((m: Message, i) => {
      expect(m.entries[0].index).toBe(i + 1);
      expect(Buffer.from(m.entries[0].data).equals(Buffer.from(payloads[i]))).toBe(true);
    });
    const sent = a.transport.stats().peers[b.id];
    console.log(`batching: ${sent.messagesSent} messages in ${sent.batchesSent} batches (${(sent.messagesSent / sent.batchesSent).toFixed(1)} per batch)`);
    expect(sent.messagesSent).toBe(total);
    expect(sent.batchesSent).toBeLessThan(total / 5);
    expect(b.transport.stats().peers[a.id].batchesReceived).toBe(sent.batchesSent);
  });

  it('drops and reports messages to unknown peers and oversized messages, without sending them', async () => {
    const a = await createNode('n1', { config: { grpcMessageBytesMax: 64 * 1024, batchBytesMax: 64 * 1024, queueBytesMax: 1 << 20, snapshotChunkBytes: 1024 } });
    const b = await createNode('n2');
    nodes = [a, b];
    await connectAll(nodes);
    a.transport.send([heartbeat(a.id, nodeId('n9'))]);
    const big = message({ type: MessageType.App, from: a.id, to: b.id, term: term(1), entries: [entry(1, 1, new Uint8Array(70 * 1024))] });
    a.transport.send([big, heartbeat(a.id, b.id)]);
    await waitFor('heartbeat received', () => b.recorder.messages.length === 1);
    expect(b.recorder.messages[0].type).toBe(MessageType.Heartbeat);
    expect(a.recorder.dropped.map((d) => d.error.name)).toEqual(['UnknownPeerError', 'MessageTooLargeError']);
    expect(a.recorder.dropped[1].error.message).toMatch(/bytes; the limit is 65536/);
    expect(a.transport.stats().droppedUnknownPeer).toBe(1);
    expect(a.transport.stats().peers[b.id].droppedTooLarge).toBe(1);
  });
});
