// Goal: a follower told by its transport that the leader's connection broke
// (reportUnreachable) starts a pre-vote at once, so a crashed leader is
// replaced without waiting out an election timeout; and the same signal is
// harmless when the leader is alive for the others. Method: crash or cut the
// leader in the harness and count the ticks until a new leader, with and
// without the signal.
import { describe, expect, it } from 'vitest';
import { MessageType, nodeId, Role } from '../../../src/raft/core/index.js';
import { Cluster } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

function ticksToNewLeader(c: Cluster, old: string): number {
  for (let ticks = 0; ticks <= 100; ticks++) {
    const l = c.leader();
    if (l !== null && l.id !== old) return ticks;
    c.tick(1);
  }
  throw new Error('no new leader within 100 ticks');
}

describe('fast failover on reportUnreachable', () => {
  it('elects a new leader with no tick after the transports report the crash, vs. >= one timeout without', () => {
    const fast: number[] = [];
    const slow: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const a = new Cluster(IDS, { seed });
      a.elect('n1');
      a.propose('n1', 'x');
      a.stabilize();
      a.crash('n1');
      // n3 notices only after it refused n2's pre-vote by stickiness: it then grants that
      // request (failover.ts) and n2 wins at once.
      for (const id of ['n2', 'n3']) {
        a.core(id).reportUnreachable(nodeId('n1'));
        a.stabilize();
      }
      fast.push(ticksToNewLeader(a, 'n1'));
      expect(a.leader()!.appliedData).toEqual(['x']);

      const b = new Cluster(IDS, { seed });
      b.elect('n1');
      b.crash('n1');
      slow.push(ticksToNewLeader(b, 'n1'));
    }
    expect(Math.max(...fast)).toBe(0);
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(10);
  });

  it('does not split the vote when every follower notices the crash at once: the first by id wins with zero ticks', () => {
    for (let seed = 1; seed <= 20; seed++) {
      for (const ids of [IDS, ['n1', 'n2', 'n3', 'n4', 'n5']]) {
        const c = new Cluster(ids, { seed });
        c.elect('n1');
        const termBefore = c.core('n2').status().hardState.term;
        c.crash('n1');
        for (const id of ids.slice(1)) c.core(id).reportUnreachable(nodeId('n1'));
        c.stabilize();
        expect(ticksToNewLeader(c, 'n1')).toBe(0);
        expect(c.leader()!.id).toBe('n2');
        // One campaign, one term: no split vote; the others granted n2 and cancelled their turns.
        expect(c.leader()!.core.status().hardState.term).toBe(termBefore + 1);
        c.tick(ids.length);
        expect(c.sent.filter((m) => m.type === MessageType.PreVote && m.from !== 'n2' && m.term > termBefore)).toEqual([]);
      }
    }
  });

  it('a single report is enough once the other follower has timed out its leader too', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.crash('n1');
    // n3's transport is slow to notice; n2's reports at once. n2's pre-vote is
    // rejected while n3 still trusts n1, and succeeds after n3's timeout.
    c.core('n2').reportUnreachable(nodeId('n1'));
    c.stabilize();
    expect(c.core('n2').status().role).toBe(Role.PreCandidate);
    const ticks = ticksToNewLeader(c, 'n1');
    expect(ticks).toBeLessThanOrEqual(20);
  });

  it('is harmless when the leader is alive for the others: their stickiness rejects the pre-vote', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    const termBefore = c.core('n1').status().hardState.term;
    c.partition(['n1'], ['n2']); // only the n1-n2 link broke
    c.core('n2').reportUnreachable(nodeId('n1'));
    c.stabilize();
    c.tick(5);
    expect(c.core('n1').status()).toMatchObject({ role: Role.Leader });
    expect(c.core('n1').status().hardState.term).toBe(termBefore);
    expect(c.core('n3').status().hardState.term).toBe(termBefore);
    c.heal();
    c.tick(2);
    expect(c.core('n2').status()).toMatchObject({ role: Role.Follower, leader: 'n1' });
    expect(c.core('n2').status().hardState.term).toBe(termBefore);
  });

  it('ignores a report about a peer that is not the leader', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.core('n2').reportUnreachable(nodeId('n3'));
    expect(c.core('n2').status()).toMatchObject({ role: Role.Follower, leader: 'n1' });
  });

  it('on the leader, moves a replicating follower back to probing', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.propose('n1', 'a');
    c.stabilize();
    expect(c.core('n1').status().progress!.get(nodeId('n2'))!.state).toBe('replicate');
    c.core('n1').reportUnreachable(nodeId('n2'));
    expect(c.core('n1').status().progress!.get(nodeId('n2'))!.state).toBe('probe');
  });

  it('does not start an immediate pre-vote in leaseBased mode (leases rely on full stickiness)', () => {
    const c = new Cluster(IDS, { config: { readOnlyOption: 'leaseBased' } });
    c.elect('n1');
    c.crash('n1');
    c.core('n2').reportUnreachable(nodeId('n1'));
    expect(c.core('n2').status()).toMatchObject({ role: Role.Follower, leader: 'n1' });
  });
});
