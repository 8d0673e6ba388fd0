// Goal: the core elects a leader and replicates/commits proposals in a healthy
// 3-replica cluster. Method: drive the in-memory harness and compare the
// applied sequences of all replicas.
import { describe, expect, it } from 'vitest';
import { Role } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

describe('smoke', () => {
  it('elects a leader and replicates proposals to every replica', () => {
    const c = new Cluster(['n1', 'n2', 'n3']);
    c.elect('n1');
    expect(c.core('n1').status().role).toBe(Role.Leader);
    for (let i = 0; i < 10; i++) c.propose('n1', `v${i}`);
    c.stabilize();
    for (const id of ['n1', 'n2', 'n3']) expect(c.get(id).appliedData).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`));
  });
});
