// Goal: the chaos fault points act as documented when switched on at runtime —
// delay holds messages back, drop loses about the configured fraction,
// blackhole loses everything (and fails snapshot transfers) — in either
// direction, and switching them off restores normal delivery.
// Method: two PeerTransports on 127.0.0.1 with a seeded FaultPoints; only
// lower bounds on delays are asserted (upper bounds depend on the machine).
import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/raft/core/types.js';
import { SnapshotStreamError } from '../../../src/raft/transport/errors.js';
import { FaultPoints } from '../../../src/raft/transport/faults.js';
import { chunksOf, connectAll, createNode, everyMessageType, heartbeat, sleep, stopAll, waitFor, type TestNode } from './helpers.js';

let nodes: TestNode[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

/** xorshift-based uniform [0, 1), seeded. */
function seededRandom(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

async function pairWithFaults(): Promise<[TestNode, TestNode, FaultPoints, FaultPoints]> {
  const faultsA = new FaultPoints(seededRandom(12345));
  const faultsB = new FaultPoints(seededRandom(678));
  const a = await createNode('n1', { faults: faultsA });
  const b = await createNode('n2', { faults: faultsB });
  nodes = [a, b];
  await connectAll(nodes);
  return [a, b, faultsA, faultsB];
}

async function arrivalMs(from: TestNode, to: TestNode, commit: number): Promise<number> {
  const sentAt = performance.now();
  const before = to.recorder.messages.length;
  from.transport.send([heartbeat(from.id, to.id, commit)]);
  await waitFor('arrival', () => to.recorder.messages.length > before);
  return performance.now() - sentAt;
}

describe('fault points', () => {
  it('delay holds messages back in the configured direction, and can be switched off', async () => {
    const [a, b, faultsA, faultsB] = await pairWithFaults();
    const baselineMs = await arrivalMs(a, b, 1);
    faultsA.setDelay(b.id, 150);
    const delayedMs = await arrivalMs(a, b, 2);
    faultsA.clear();
    faultsB.setDelay(a.id, 100, 'inbound');
    const inboundDelayedMs = await arrivalMs(a, b, 3);
    faultsB.clear();
    const afterMs = await arrivalMs(a, b, 4);
    console.log(`delay fault: baseline ${baselineMs.toFixed(1)} ms, outbound 150 ms -> ${delayedMs.toFixed(1)} ms, inbound 100 ms -> ${inboundDelayedMs.toFixed(1)} ms, off -> ${afterMs.toFixed(1)} ms`);
    expect(delayedMs).toBeGreaterThanOrEqual(145);
    expect(inboundDelayedMs).toBeGreaterThanOrEqual(95);
    expect(b.recorder.messages.map((m) => m.commit)).toEqual([1, 2, 3, 4]);
  });

  it('drop loses about the configured fraction, counted, in order otherwise', async () => {
    const [a, b, faultsA] = await pairWithFaults();
    faultsA.setDropProbability(b.id, 0.3);
    const total = 2000;
    for (let i = 1; i <= total; i++) a.transport.send([heartbeat(a.id, b.id, i)]);
    const dropped = a.transport.stats().peers[b.id].faultDropped;
    await waitFor('survivors delivered', () => b.recorder.messages.length === total - dropped);
    expect(dropped).toBeGreaterThan(total * 0.25);
    expect(dropped).toBeLessThan(total * 0.35);
    const commits = b.recorder.messages.map((m) => m.commit as number);
    expect(commits).toEqual([...commits].sort((x, y) => x - y));
    expect(a.recorder.dropped).toHaveLength(0); // fault drops look like network loss, not reported drops
  });

  it('blackhole loses everything, fails snapshot transfers, and lifts cleanly', async () => {
    const [a, b, faultsA, faultsB] = await pairWithFaults();
    faultsA.setBlackhole(b.id, true);
    for (let i = 1; i <= 100; i++) a.transport.send([heartbeat(a.id, b.id, i)]);
    const snap = everyMessageType(a.id, b.id).find((m) => m.type === MessageType.Snap)!;
    await expect(a.transport.sendSnapshot(snap, chunksOf(new Uint8Array(1000), 100))).rejects.toBeInstanceOf(SnapshotStreamError);
    faultsB.setBlackhole(a.id, true, 'inbound');
    faultsA.clear();
    for (let i = 101; i <= 200; i++) a.transport.send([heartbeat(a.id, b.id, i)]);
    await sleep(100);
    expect(b.recorder.messages).toHaveLength(0);
    expect(a.transport.stats().peers[b.id].faultDropped).toBe(100);
    expect(b.transport.stats().peers[a.id].faultDropped).toBe(100);
    faultsB.clear();
    await arrivalMs(a, b, 201);
    expect(b.recorder.messages.map((m) => m.commit)).toEqual([201]);
    expect(a.recorder.unreachable).toHaveLength(0); // the streams themselves never broke
  });
});
