// Goal: hostile or broken input never crashes a replica and never poisons a
// stream: garbage bytes, invalid fields and misaddressed messages each reject
// their whole batch (counted by reason, logged at a bounded rate), and the
// same stream goes on delivering valid batches; calls from unknown peers or
// another cluster are refused before any message is read.
// Method: a raw gRPC client writes hand-made frames into the RaftPeer/Stream
// of a real PeerTransport on 127.0.0.1.
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeId } from '../../../src/raft/core/types.js';
import { MessageBatch as ProtoMessageBatch } from '../../../src/gen/edgernetes/raft/v1/raft.js';
import { resolveTransportConfig } from '../../../src/raft/transport/config.js';
import { STREAM_PATH, callMetadata, decodeStreamAck, identityBytes } from '../../../src/raft/transport/grpc-service.js';
import { encodeMessageFrame } from '../../../src/raft/transport/wire-encode.js';
import { messageToProto } from './proto-reference.js';
import { CapturingLogger, createNode, heartbeat, pseudoRandomBytes, sleep, waitFor, type TestNode } from './helpers.js';

let node: TestNode | null = null;
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await node?.transport.stop();
  node = null;
});

interface RawStream {
  call: grpc.ClientWritableStream<Buffer>;
  status: Promise<grpc.ServiceError | null>;
}

function openRawStream(target: TestNode, from: string, clusterId = ''): RawStream {
  const client = new grpc.Client(target.address, grpc.credentials.createInsecure());
  clients.push(client);
  const config = resolveTransportConfig({ selfId: nodeId(from), peers: new Map(), clusterId });
  let call!: grpc.ClientWritableStream<Buffer>;
  const status = new Promise<grpc.ServiceError | null>((resolve) => {
    call = client.makeClientStreamRequest(STREAM_PATH, identityBytes, decodeStreamAck, callMetadata(config, target.id), {}, (err) => resolve(err));
  });
  return { call, status };
}

describe('malformed inbound batches', () => {
  it('rejects garbage and invalid batches, keeps serving valid ones on the same stream', async () => {
    const logger = new CapturingLogger();
    node = await createNode('n2', { logger });
    const peer = nodeId('n1');
    await node.transport.addPeer(peer, '127.0.0.1:1'); // membership only; nothing listens there
    node.transport.start();
    const raw = openRawStream(node, 'n1');
    const valid = (commit: number) => Buffer.from(encodeMessageFrame(heartbeat(peer, node!.id, commit)));
    const withProto = (mutate: (m: ReturnType<typeof messageToProto>) => void) => {
      const proto = messageToProto(heartbeat(peer, node!.id, 1));
      mutate(proto);
      return Buffer.from(ProtoMessageBatch.encode({ messages: [proto] }).finish());
    };

    raw.call.write(valid(1));
    for (let seed = 1; seed <= 50; seed++) raw.call.write(Buffer.from(pseudoRandomBytes(10 + seed * 3, seed)));
    raw.call.write(withProto((m) => (m.type = 42 as typeof m.type)));
    raw.call.write(withProto((m) => (m.to = 'n7')));
    raw.call.write(withProto((m) => (m.from = 'n3')));
    raw.call.write(Buffer.concat([valid(2), withProto((m) => (m.type = 0))])); // one bad message rejects its batch
    raw.call.write(Buffer.alloc(0)); // an empty batch is valid and carries nothing
    raw.call.write(valid(3));
    await waitFor('valid batches delivered', () => node!.recorder.messages.length === 2);
    await sleep(50);
    expect(node.recorder.messages.map((m) => m.commit)).toEqual([1, 3]);

    const stats = node.transport.stats();
    const rejected = Object.values(stats.inboundRejected).reduce((a, b) => a + b, 0);
    expect(stats.peers[peer].rejectedBatches).toBe(rejected);
    expect(stats.inboundRejected['wrong-target']).toBe(1);
    expect(stats.inboundRejected['wrong-sender']).toBe(1);
    expect(stats.inboundRejected['invalid-field']).toBeGreaterThanOrEqual(2);
    expect(rejected).toBeGreaterThanOrEqual(50); // a few random inputs may decode as empty or unknown-field batches
    expect(stats.peers[peer].batchesReceived).toBe(57);
    expect(logger.warnings.some((w) => w.msg === 'raft inbound rejected')).toBe(true);
    expect(logger.warnings.length).toBeLessThan(10); // rate-limited: one line per peer and reason per interval

    raw.call.end();
    expect(await raw.status).toBeNull(); // the stream ended cleanly, it was never reset
  });

  it('refuses calls from unknown peers, for another replica, or from another cluster', async () => {
    node = await createNode('n2', { config: { clusterId: 'prod' } });
    await node.transport.addPeer(nodeId('n1'), '127.0.0.1:1');
    node.transport.start();
    const stranger = openRawStream(node, 'n9', 'prod');
    stranger.call.write(Buffer.from(encodeMessageFrame(heartbeat(nodeId('n9'), node.id))));
    expect((await stranger.status)?.code).toBe(grpc.status.PERMISSION_DENIED);
    const otherCluster = openRawStream(node, 'n1', 'staging');
    expect((await otherCluster.status)?.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(node.recorder.messages).toHaveLength(0);
    expect(node.transport.stats().inboundRejected).toMatchObject({ 'unknown-peer': 1, 'wrong-target': 1 });
    expect(node.recorder.unreachable).toHaveLength(0);
  });
});
