// Goal: membership and lifecycle changes behave for the driver — stop() with
// a drain delivers the last queued messages (TimeoutNow on shutdown), no
// handler runs after stop() began, removePeer() closes both directions and
// turns later sends into reported UnknownPeerError drops, and addPeer() with a
// new address moves the stream there.
// Method: PeerTransports on 127.0.0.1 ports; state read from stats() and the
// recorded handler calls.
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/raft/core/types.js';
import { connectAll, connectedPair, createNode, heartbeat, message, sleep, stopAll, waitFor, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

describe('transport lifecycle', () => {
  it('stop() with a drain delivers what was queued, then calls no handler', async () => {
    const [a, b] = (nodes = await connectedPair());
    for (let i = 1; i <= 200; i++) a.transport.send([heartbeat(a.id, b.id, i)]);
    a.transport.send([message({ type: MessageType.TimeoutNow, from: a.id, to: b.id })]);
    await a.transport.stop({ drainTimeoutMs: 2000 });
    await waitFor('drained messages received', () => b.recorder.messages.length === 201);
    expect(b.recorder.messages.at(-1)!.type).toBe(MessageType.TimeoutNow);
    a.transport.send([heartbeat(a.id, b.id)]); // a no-op after stop
    await waitFor('b saw a leave', () => b.recorder.unreachable.length === 1);
    expect(a.recorder.unreachable).toHaveLength(0); // our own stop is not an outage
    expect(a.recorder.dropped).toHaveLength(0);
  });

  it('removePeer() closes both directions; later sends are reported unknown-peer drops', async () => {
    const [a, b] = (nodes = await connectedPair());
    await a.transport.removePeer(b.id);
    expect(a.transport.stats().peers[b.id]).toBeUndefined();
    a.transport.send([heartbeat(a.id, b.id)]);
    expect(a.recorder.dropped.map((d) => d.error.name)).toEqual(['UnknownPeerError']);
    expect(a.transport.stats().droppedUnknownPeer).toBe(1);
    // b still has a as a peer: its stream to a is refused now, and b learns a is unreachable.
    await waitFor('b saw the break', () => b.recorder.unreachable.length === 1);
    await sleep(300);
    expect(b.transport.stats().peers[a.id].outboundConnected).toBe(false);
    expect(a.transport.stats().inboundRejected['unknown-peer']).toBeGreaterThanOrEqual(1);
    b.transport.send([heartbeat(b.id, a.id)]);
    await sleep(50);
    expect(a.recorder.messages).toHaveLength(0);
  });

  it('addPeer() with a new address moves the stream to it', async () => {
    const a = await createNode('n1');
    const b = await createNode('n2');
    const b2 = await createNode('n2'); // the same replica id, moved to another port
    nodes = [a, b, b2];
    await connectAll([a, b]);
    await b2.transport.addPeer(a.id, a.address);
    b2.transport.start();
    await a.transport.addPeer(b2.id, b2.address);
    await waitFor('stream to the new address', () => a.transport.stats().peers[b2.id].outboundConnected);
    expect(a.transport.stats().peers[b2.id].address).toBe(b2.address);
    a.transport.send([heartbeat(a.id, b2.id, 7)]);
    await waitFor('delivered at the new address', () => b2.recorder.messages.length === 1);
    expect(b.recorder.messages).toHaveLength(0);
  });
});
