// Goal: a peer that stops reading cannot make the sender's memory grow: the
// outbound queue stays within its count and byte bounds, overflow drops the
// newest bulky messages (counted and reported), control messages still get a
// place by evicting bulky ones, and the writer respects HTTP/2 flow control.
// Method: a raw gRPC server that accepts the stream but never reads from it;
// a PeerTransport sends ~20 MiB of App messages at it with small bounds.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, logIndex, nodeId, term } from '../../../src/raft/core/types.js';
import { rawRaftPeerService } from '../../../src/raft/transport/index.js';
import { createNode, entry, heartbeat, message, waitFor, type TestNode } from './helpers.js';

const KIB = 1024;

let node: TestNode | null = null;
let stalled: grpc.Server | null = null;
afterEach(async () => {
  await node?.transport.stop();
  stalled?.forceShutdown();
  node = null;
  stalled = null;
});

/** Accepts RaftPeer streams (sends headers) and never reads a message. */
async function startStalledPeer(): Promise<number> {
  const server = new grpc.Server();
  server.addService(rawRaftPeerService, {
    stream: (call: grpc.ServerReadableStream<Buffer, unknown>) => {
      call.sendMetadata(new grpc.Metadata());
      call.pause();
    },
    sendSnapshot: (_call: unknown, respond: grpc.sendUnaryData<unknown>) => respond({ code: grpc.status.UNIMPLEMENTED }),
  });
  stalled = server;
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

describe('bounded outbound queue under a stalled peer', () => {
  it('keeps the queue within its bounds, drops the newest bulky messages, admits heartbeats', async () => {
    const queueBytesMax = 512 * KIB;
    const queueCountMax = 1000;
    node = await createNode('n1', {
      config: { queueBytesMax, queueCountMax, grpcMessageBytesMax: 256 * KIB, batchBytesMax: 64 * KIB, snapshotChunkBytes: 64 * KIB },
    });
    const peer = nodeId('n2');
    await node.transport.addPeer(peer, `127.0.0.1:${await startStalledPeer()}`);
    node.transport.start();
    await waitFor('stream open', () => node!.transport.stats().peers[peer].outboundConnected);

    const payload = new Uint8Array(KIB).fill(7);
    const total = 20_000;
    let queuedBytesPeak = 0;
    for (let i = 0; i < total; i++) {
      node.transport.send([
        message({ type: MessageType.App, from: node.id, to: peer, term: term(1), index: logIndex(i), entries: [entry(i + 1, 1, payload)] }),
      ]);
      if (i % 500 === 499) {
        await new Promise((resolve) => setImmediate(resolve));
        const s = node.transport.stats().peers[peer];
        queuedBytesPeak = Math.max(queuedBytesPeak, s.queuedBytes);
        expect(s.queuedBytes).toBeLessThanOrEqual(queueBytesMax);
        expect(s.queuedMessages).toBeLessThanOrEqual(queueCountMax);
      }
    }
    const s = node.transport.stats().peers[peer];
    console.log(
      `stalled peer: queued ${s.queuedMessages} msgs / ${s.queuedBytes} B (peak ${queuedBytesPeak} B), ` +
        `written ${s.bytesSent} B in ${s.batchesSent} batches, dropped ${s.droppedQueueFull} of ${total}`,
    );
    // What left the queue is bounded by flow control (one write in flight, HTTP/2 windows), far below what was sent.
    expect(s.bytesSent).toBeLessThan(total * KIB * 0.2);
    expect(s.droppedQueueFull).toBeGreaterThan(total * 0.7);
    expect(s.messagesSent + s.queuedMessages + s.droppedQueueFull).toBe(total);
    expect(node.recorder.droppedCount).toBe(s.droppedQueueFull);
    expect(node.recorder.dropped.every((d) => d.error.name === 'OutboundQueueFullError')).toBe(true);

    // The queue has no room for another App, but a heartbeat still gets in
    // (evicting the newest App if needed; the exact policy is unit-tested).
    const before = node.transport.stats().peers[peer];
    node.transport.send([
      message({ type: MessageType.App, from: node.id, to: peer, term: term(1), index: logIndex(total), entries: [entry(total + 1, 1, payload)] }),
    ]);
    expect(node.transport.stats().peers[peer].droppedQueueFull).toBe(before.droppedQueueFull + 1);
    node.transport.send([heartbeat(node.id, peer)]);
    const after = node.transport.stats().peers[peer];
    expect(node.recorder.dropped.every((d) => d.messages.every((m) => m.type === MessageType.App))).toBe(true);
    const evicted = after.droppedQueueFull - (before.droppedQueueFull + 1);
    expect(after.queuedMessages).toBe(before.queuedMessages + 1 - evicted);
    expect(after.queuedBytes).toBeLessThanOrEqual(queueBytesMax);
  });
});
