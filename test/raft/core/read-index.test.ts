// Goal: ReadIndex reads are linearizable: granted at the commit index only
// after a quorum confirms leadership in a round that started after the read;
// many reads share one round; a new leader serves none before committing an
// entry of its term; a partitioned old leader serves none; followers forward.
// Lease-based reads skip the round only while a quorum was heard recently.
// Method: harness scenarios, counting heartbeat rounds (heartbeats that carry
// a context) and checking the ReadStates handed out.
import { describe, expect, it } from 'vitest';
import { MessageType, nodeId, ProposalDroppedError, Role } from '../../../src/raft/core/index.js';
import { bytes, Cluster, text } from './harness.js';

const IDS = ['n1', 'n2', 'n3'];

function roundHeartbeats(c: Cluster, from = 'n1'): number {
  return c.sent.filter((m) => m.type === MessageType.Heartbeat && m.from === from && m.context.length > 0).length;
}

describe('ReadIndex (safe)', () => {
  it('grants the commit index after one heartbeat round', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.propose('n1', 'a');
    c.stabilize();
    const commit = c.core('n1').status().hardState.commit;
    c.core('n1').readIndex(bytes('r1'));
    expect(c.get('n1').readStates).toHaveLength(0);
    c.stabilize();
    expect(c.get('n1').readStates.map((r) => [r.index, text(r.context)])).toEqual([[commit, 'r1']]);
    expect(roundHeartbeats(c)).toBe(2); // one round: one heartbeat per follower
  });

  it('many reads waiting together share one round; reads arriving during a round wait for the next', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    for (let i = 0; i < 10; i++) c.core('n1').readIndex(bytes(`a${i}`));
    c.processReady(nodeId('n1'));
    // A round is in flight; these arrive after it started, so they need another one.
    for (let i = 0; i < 5; i++) c.core('n1').readIndex(bytes(`b${i}`));
    c.stabilize();
    const served = c.get('n1').readStates.map((r) => text(r.context));
    expect(served).toEqual([...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 5 }, (_, i) => `b${i}`)]);
    expect(roundHeartbeats(c)).toBe(4); // two rounds for 15 reads
  });

  it('a new leader serves no read before it has committed an entry of its own term', () => {
    const c = new Cluster(IDS);
    c.dropIf = (m) => m.type === MessageType.AppResp; // the no-op cannot commit
    c.campaign('n1');
    expect(c.core('n1').status().role).toBe(Role.Leader);
    expect(c.core('n1').status().hardState.commit).toBe(0);
    c.core('n1').readIndex(bytes('early'));
    c.stabilize();
    c.tick(2, ['n1']);
    expect(c.get('n1').readStates).toHaveLength(0);
    expect(roundHeartbeats(c)).toBe(0);
    c.dropIf = null;
    c.tick(1, ['n1']);
    expect(c.core('n1').status().hardState.commit).toBe(1);
    expect(c.get('n1').readStates.map((r) => [r.index, text(r.context)])).toEqual([[1, 'early']]);
  });

  it('a partitioned old leader cannot serve a read, while the majority moves on', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.propose('n1', 'old');
    c.stabilize();
    c.isolate('n1');
    c.core('n1').readIndex(bytes('stale?'));
    // The majority elects a new leader and commits a write the old leader never sees.
    for (let i = 0; i < 40 && (c.leader() === null || c.leader()!.id === 'n1'); i++) c.tick(1, ['n2', 'n3']);
    const newLeader = c.leader()!;
    expect(newLeader.id).not.toBe('n1');
    c.propose(newLeader.id, 'new');
    c.stabilize();
    c.tick(30, ['n1']);
    expect(c.get('n1').readStates).toHaveLength(0);
    expect(c.core('n1').status().role).toBe(Role.Follower); // check-quorum stepped it down
  });

  it('a follower forwards a read to the leader and gets the read index back', () => {
    const c = new Cluster(IDS);
    c.elect('n1');
    c.propose('n1', 'x');
    c.stabilize();
    c.core('n2').readIndex(bytes('via-n2'));
    c.stabilize();
    expect(c.count(MessageType.ReadIndex, { from: 'n2' })).toBe(1);
    expect(c.get('n2').readStates.map((r) => [r.index, text(r.context)])).toEqual([[2, 'via-n2']]);
    expect(c.get('n1').readStates).toHaveLength(0);
  });

  it('a replica without a known leader refuses a read with a named error', () => {
    const c = new Cluster(IDS);
    expect(() => c.core('n2').readIndex(bytes('r'))).toThrow(ProposalDroppedError);
    try {
      c.core('n2').readIndex(bytes('r'));
    } catch (err) {
      expect((err as ProposalDroppedError).reason).toBe('no-leader');
    }
  });

  it('a single-voter leader grants reads without messages', () => {
    const c = new Cluster(['n1']);
    c.elect('n1');
    c.core('n1').readIndex(bytes('solo'));
    c.stabilize();
    expect(c.get('n1').readStates.map((r) => text(r.context))).toEqual(['solo']);
    expect(roundHeartbeats(c)).toBe(0);
  });
});

describe('lease-based reads (opt-in)', () => {
  it('are granted without a heartbeat round while the leader holds its lease', () => {
    const c = new Cluster(IDS, { config: { readOnlyOption: 'leaseBased' } });
    c.elect('n1');
    c.tick(1);
    c.core('n1').readIndex(bytes('lease'));
    expect(roundHeartbeats(c)).toBe(0);
    c.stabilize();
    expect(c.get('n1').readStates.map((r) => text(r.context))).toEqual(['lease']);
    expect(roundHeartbeats(c)).toBe(0);
  });

  it('fall back to a confirmation round once a quorum has not been heard for half an election timeout', () => {
    const c = new Cluster(IDS, { config: { readOnlyOption: 'leaseBased' } });
    c.elect('n1');
    c.isolate('n1');
    c.tick(6, ['n1']);
    c.core('n1').readIndex(bytes('no-lease'));
    c.stabilize();
    expect(c.get('n1').readStates).toHaveLength(0);
    expect(roundHeartbeats(c)).toBeGreaterThan(0);
  });
});
