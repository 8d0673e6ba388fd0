/**
 * Goal: the simulated network delivers, drops, duplicates and delays frames
 * as configured, blocks partitioned links (also for frames already in flight
 * when the link breaks, and frames to a restarted replica), and gives the
 * "connection broke" signal where a real transport would.
 * Method: drive SimNetwork with a fake host that records scheduled
 * deliveries and signals, then deliver them by hand.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/raft/core/rng.js';
import { MessageType, nodeId, type Message } from '../../src/raft/core/types.js';
import { CALM_NETWORK, SimNetwork, type Delivery, type NetworkHost } from '../../sim/network.js';
import { SimRandom } from '../../sim/random.js';
import { applyPartition } from '../../sim/topology.js';
import { Trace } from '../../sim/trace.js';
import { raftMessage } from '../support/raft-messages.js';

const TIMING = {
  crashDetectUnitsMax: 3,
  partitionDetectUnitsMin: 10,
  partitionDetectUnitsMax: 30,
  unreachableRepeatUnits: 50,
  inFlightPerLinkMax: 8,
};

class FakeHost implements NetworkHost {
  now = 0;
  up = new Set([1, 2, 3, 4, 5]);
  incarnations = new Map<number, number>();
  deliveries: Array<{ at: number; delivery: Delivery }> = [];
  unreachable: Array<{ at: number; replica: number; peer: number }> = [];
  nowUnits(): number {
    return this.now;
  }
  isUp(r: number): boolean {
    return this.up.has(r);
  }
  incarnation(r: number): number {
    return this.incarnations.get(r) ?? 1;
  }
  scheduleDelivery(at: number, delivery: Delivery): void {
    this.deliveries.push({ at, delivery });
  }
  scheduleUnreachable(at: number, replica: number, peer: number): void {
    this.unreachable.push({ at, replica, peer });
  }
}

function message(from: number, to: number): Message {
  return raftMessage({ type: MessageType.Heartbeat, from: nodeId(`n${from}`), to: nodeId(`n${to}`) });
}

function setup(): { host: FakeHost; net: SimNetwork } {
  const host = new FakeHost();
  const net = new SimNetwork(host, SimRandom.fromSeed(7, seededRng), new Trace(16), TIMING);
  return { host, net };
}

const frame = (from: number, to: number) => ({ kind: 'raft', message: message(from, to) }) as const;

describe('SimNetwork', () => {
  it('delivers over a calm network within the delay bounds, and arrive() hands the frame over', () => {
    const { host, net } = setup();
    for (const to of [2, 3, 4, 5]) for (let k = 0; k < TIMING.inFlightPerLinkMax; k++) net.send(1, to, frame(1, to));
    expect(host.deliveries).toHaveLength(4 * TIMING.inFlightPerLinkMax);
    for (const d of host.deliveries) {
      expect(d.at).toBeGreaterThanOrEqual(CALM_NETWORK.minDelayUnits);
      expect(d.at).toBeLessThanOrEqual(CALM_NETWORK.maxDelayUnits);
    }
    expect(net.arrive(host.deliveries[0]!.delivery)).not.toBeNull();
  });

  it('random delays reorder frames on one link', () => {
    const { host, net } = setup();
    net.mode = { ...CALM_NETWORK, maxDelayUnits: 20 };
    for (let k = 0; k < 8; k++) net.send(1, 2, frame(1, 2));
    const times = host.deliveries.map((d) => d.at);
    expect(times).not.toEqual([...times].sort((a, b) => a - b));
  });

  it('drops every frame at drop probability 1 and duplicates every frame at duplicate probability 1', () => {
    const dropping = setup();
    dropping.net.mode = { ...CALM_NETWORK, dropProbability: 1 };
    dropping.net.send(1, 2, frame(1, 2));
    expect(dropping.host.deliveries).toHaveLength(0);
    expect(dropping.net.stats.dropped).toBe(1);
    const duplicating = setup();
    duplicating.net.mode = { ...CALM_NETWORK, duplicateProbability: 1 };
    duplicating.net.send(1, 2, frame(1, 2));
    expect(duplicating.host.deliveries).toHaveLength(2);
  });

  it('bounds the frames in flight on one directed link', () => {
    const { host, net } = setup();
    for (let k = 0; k < 20; k++) net.send(1, 2, frame(1, 2));
    expect(host.deliveries).toHaveLength(TIMING.inFlightPerLinkMax);
    net.send(2, 1, frame(2, 1));
    expect(host.deliveries).toHaveLength(TIMING.inFlightPerLinkMax + 1);
  });

  it('a partitioned link refuses frames and the sender is told after a detection delay, at most once per repeat interval', () => {
    const { host, net } = setup();
    applyPartition(net.links, { kind: 'isolate', node: 1 }, [1, 2, 3]);
    net.send(1, 2, frame(1, 2));
    net.send(1, 2, frame(1, 2));
    net.send(2, 3, frame(2, 3));
    expect(host.deliveries.map((d) => d.delivery.to)).toEqual([3]);
    expect(host.unreachable).toHaveLength(1);
    const [signal] = host.unreachable;
    expect(signal).toMatchObject({ replica: 1, peer: 2 });
    expect(signal!.at).toBeGreaterThanOrEqual(TIMING.partitionDetectUnitsMin);
    expect(signal!.at).toBeLessThanOrEqual(TIMING.partitionDetectUnitsMax);
    host.now = TIMING.unreachableRepeatUnits;
    net.send(1, 2, frame(1, 2));
    expect(host.unreachable).toHaveLength(2);
  });

  it('a frame in flight when its link breaks is lost; so is one whose receiver restarted meanwhile', () => {
    const { host, net } = setup();
    net.send(1, 2, frame(1, 2));
    net.send(1, 3, frame(1, 3));
    applyPartition(net.links, { kind: 'split', minority: [1], majority: [2] }, [1, 2, 3]);
    host.incarnations.set(3, 2);
    expect(net.arrive(host.deliveries[0]!.delivery)).toBeNull();
    expect(net.arrive(host.deliveries[1]!.delivery)).toBeNull();
    expect(net.stats.dropped).toBe(2);
  });

  it('every shape blocks exactly its cut links end to end', () => {
    const { host, net } = setup();
    applyPartition(net.links, { kind: 'bridge', left: [1, 2], bridge: 3, right: [4, 5] }, [1, 2, 3, 4, 5]);
    for (const a of [1, 2, 3, 4, 5]) for (const b of [1, 2, 3, 4, 5]) if (a !== b) net.send(a, b, frame(a, b));
    const delivered = new Set(host.deliveries.map((d) => `${d.delivery.from}-${d.delivery.to}`));
    const crossing = (a: number, b: number): boolean => (a <= 2 && b >= 4) || (a >= 4 && b <= 2);
    for (const a of [1, 2, 3, 4, 5]) for (const b of [1, 2, 3, 4, 5]) if (a !== b) expect(delivered.has(`${a}-${b}`), `${a}-${b}`).toBe(!crossing(a, b));
  });

  it('signals broken links to both ends, and a crash to every replica that is up', () => {
    const { host, net } = setup();
    net.linksBroke([[1, 2]]);
    expect(host.unreachable.map((u) => `${u.replica}:${u.peer}`).sort()).toEqual(['1:2', '2:1']);
    host.unreachable = [];
    host.up.delete(4);
    net.peerCrashed(4, [1, 2, 3, 5]);
    expect(host.unreachable.map((u) => u.replica).sort()).toEqual([1, 2, 3, 5]);
    for (const u of host.unreachable) expect(u.at).toBeLessThanOrEqual(TIMING.crashDetectUnitsMax);
    net.send(1, 4, frame(1, 4));
    expect(host.deliveries).toHaveLength(0);
  });
});
