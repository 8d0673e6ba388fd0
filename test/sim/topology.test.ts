/**
 * Goal: each partition shape blocks exactly the links it should, and healing
 * restores them. Method: build the link matrix for each shape over concrete
 * replicas and compare every pair's connectivity with the shape's definition.
 */
import { describe, expect, it } from 'vitest';
import { applyPartition, LinkMatrix, type PartitionShape } from '../../sim/topology.js';

function connectivity(shape: PartitionShape, replicas: number[]): Map<string, boolean> {
  const links = new LinkMatrix();
  applyPartition(links, shape, replicas);
  const out = new Map<string, boolean>();
  for (const a of replicas) for (const b of replicas) if (a < b) out.set(`${a}-${b}`, links.connected(a, b) && links.connected(b, a));
  return out;
}

describe('partition shapes', () => {
  it('isolate: the isolated replica reaches nobody; the others reach each other', () => {
    const c = connectivity({ kind: 'isolate', node: 2 }, [1, 2, 3, 4, 5]);
    for (const [pair, up] of c) expect(up, pair).toBe(!pair.split('-').includes('2'));
  });

  it('split: no link crosses the sides; links within a side stay', () => {
    const c = connectivity({ kind: 'split', minority: [1, 4], majority: [2, 3, 5] }, [1, 2, 3, 4, 5]);
    const side = (r: number): number => ([1, 4].includes(r) ? 0 : 1);
    for (const [pair, up] of c) {
      const [a, b] = pair.split('-').map(Number) as [number, number];
      expect(up, pair).toBe(side(a) === side(b));
    }
  });

  it('bridge: the bridge sees both sides, the sides do not see each other', () => {
    const c = connectivity({ kind: 'bridge', left: [1, 2], bridge: 3, right: [4, 5] }, [1, 2, 3, 4, 5]);
    expect(c.get('1-3')).toBe(true);
    expect(c.get('3-5')).toBe(true);
    expect(c.get('1-2')).toBe(true);
    expect(c.get('4-5')).toBe(true);
    for (const pair of ['1-4', '1-5', '2-4', '2-5']) expect(c.get(pair), pair).toBe(false);
  });

  it('ring: each replica sees exactly its two neighbours', () => {
    const order = [3, 1, 5, 2, 4];
    const c = connectivity({ kind: 'ring', order }, [1, 2, 3, 4, 5]);
    for (const [pair, up] of c) {
      const [a, b] = pair.split('-').map(Number) as [number, number];
      const distance = Math.abs(order.indexOf(a) - order.indexOf(b));
      expect(up, pair).toBe(distance === 1 || distance === order.length - 1);
    }
    for (const r of order) expect([...c].filter(([p, up]) => up && p.split('-').map(Number).includes(r))).toHaveLength(2);
  });

  it('a replica not named by the shape keeps all its links; heal restores every link', () => {
    const links = new LinkMatrix();
    applyPartition(links, { kind: 'split', minority: [1], majority: [2, 3] }, [1, 2, 3]);
    expect(links.connected(6, 1)).toBe(true);
    expect(links.connected(6, 2)).toBe(true);
    expect(links.healed).toBe(false);
    expect(links.blockedAmong([1, 2, 3])).toEqual([
      [1, 2],
      [1, 3],
    ]);
    links.heal();
    expect(links.healed).toBe(true);
    expect(links.connected(1, 2)).toBe(true);
  });

  it('a new shape replaces the previous one', () => {
    const links = new LinkMatrix();
    applyPartition(links, { kind: 'isolate', node: 1 }, [1, 2, 3]);
    applyPartition(links, { kind: 'isolate', node: 3 }, [1, 2, 3]);
    expect(links.connected(1, 2)).toBe(true);
    expect(links.connected(3, 2)).toBe(false);
  });
});
